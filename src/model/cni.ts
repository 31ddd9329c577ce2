import { CNI_RELEASES } from './versions.js';

/**
 * Pod networking per `networking` value: the manifest the first master applies once, and the pod
 * CIDR it expects. Versions are pinned so that a cluster boots the same way every time; bump them
 * deliberately. kubenet is gone from kubelet since Kubernetes 1.24. It is served by flannel with
 * VXLAN between node IPs, which needs nothing from the VPC. kindnet's routes are unencapsulated: the
 * cloud controller's route controller writes a VPC route per node and disables the instances'
 * source/destination check (render/addons.ts turns it on for kindnet; private topology, with a
 * route table per zone, is refused).
 */
export interface CniPlan {
  /** '' for networking cni: the user brings their own, haform installs none. */
  readonly manifest: string;
  readonly podSubnet: string;
  /** The pod range written into the manifest, replaced by podSubnet before it is applied. */
  readonly manifestPodSubnet?: string;
}

/** kops's defaults for the pod and service ranges, outside any VPC range people use. */
const KOPS_PODS = '100.96.0.0/11';
export const SERVICE_SUBNET = '100.64.0.0/13';

/** The pod range per `networking` value; the manifest of each comes from the version table. */
const POD_SUBNETS: Record<string, { podSubnet: string; manifestPodSubnet?: string; release?: string }> = {
  kubenet: { podSubnet: '10.244.0.0/16', release: 'flannel' },
  kindnet: { podSubnet: KOPS_PODS },
  calico: { podSubnet: KOPS_PODS },
  canal: { podSubnet: '10.244.0.0/16' },
  // The quick install's cluster pool is 10.0.0.0/8, which overlaps most VPCs: kops's range instead.
  cilium: { podSubnet: KOPS_PODS, manifestPodSubnet: '10.0.0.0/8' },
  flannel: { podSubnet: '10.244.0.0/16' },
  amazonvpc: { podSubnet: KOPS_PODS },
  'kube-router': { podSubnet: KOPS_PODS },
  // kops --networking cni: nothing installed; the user's CNI is told the pod range by kubeadm's config.
  cni: { podSubnet: KOPS_PODS, release: '' },
  // Refused by the spec rules (archived upstream); kept so that the rule, not a crash, says so.
  weave: { podSubnet: KOPS_PODS, release: '' },
};

export function cniPlan(networking: string): CniPlan {
  const p = POD_SUBNETS[networking];
  if (!p) throw new Error(`internal: no CNI plan for networking ${networking}`);
  const release = p.release ?? networking;
  const manifest = release ? CNI_RELEASES[release]!.manifest : '';
  return { manifest, podSubnet: p.podSubnet, ...(p.manifestPodSubnet ? { manifestPodSubnet: p.manifestPodSubnet } : {}) };
}

/**
 * Whether the cloud controller's route controller runs: for kindnet only, whose pod routes are the
 * VPC's (render/addons.ts, --configure-cloud-routes); IAM grants its route actions only then.
 */
export function cloudRoutes(networking: string): boolean {
  return networking === 'kindnet';
}
