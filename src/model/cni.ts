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

const CNI: Record<string, CniPlan> = {
  kubenet: { manifest: 'https://github.com/flannel-io/flannel/releases/download/v0.28.4/kube-flannel.yml', podSubnet: '10.244.0.0/16' },
  kindnet: { manifest: 'https://raw.githubusercontent.com/aojea/kindnet/v1.8.5/install-kindnet.yaml', podSubnet: KOPS_PODS },
  calico: { manifest: 'https://raw.githubusercontent.com/projectcalico/calico/v3.28.2/manifests/calico.yaml', podSubnet: KOPS_PODS },
  canal: { manifest: 'https://raw.githubusercontent.com/projectcalico/calico/v3.28.2/manifests/canal.yaml', podSubnet: '10.244.0.0/16' },
  // The quick install's cluster pool is 10.0.0.0/8, which overlaps most VPCs: kops's range instead.
  cilium: { manifest: 'https://raw.githubusercontent.com/cilium/cilium/v1.16.3/install/kubernetes/quick-install.yaml', podSubnet: KOPS_PODS, manifestPodSubnet: '10.0.0.0/8' },
  flannel: { manifest: 'https://github.com/flannel-io/flannel/releases/download/v0.28.4/kube-flannel.yml', podSubnet: '10.244.0.0/16' },
  amazonvpc: { manifest: 'https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v1.18.5/config/master/aws-k8s-cni.yaml', podSubnet: KOPS_PODS },
  'kube-router': { manifest: 'https://raw.githubusercontent.com/cloudnativelabs/kube-router/v2.2.1/daemonset/kubeadm-kuberouter.yaml', podSubnet: KOPS_PODS },
  // kops --networking cni: nothing installed; the user's CNI is told the pod range by kubeadm's config.
  cni: { manifest: '', podSubnet: KOPS_PODS },
  weave: { manifest: 'https://github.com/weaveworks/weave/releases/download/v2.8.1/weave-daemonset-k8s.yaml', podSubnet: KOPS_PODS },
};

export function cniPlan(networking: string): CniPlan {
  const plan = CNI[networking];
  if (!plan) throw new Error(`internal: no CNI plan for networking ${networking}`);
  return plan;
}
