import { EBS_CSI_DRIVER, minorRelease, NODE_TERMINATION_HANDLER } from './versions.js';

/**
 * The controllers the control plane installs, as the version table (versions.ts) pins them; the IAM
 * test holds each policy to the upstream policy of the version pinned there.
 */
export interface AddonVersions {
  /** kubernetes/cloud-provider-aws release (image and kustomize base). */
  readonly cloudControllerManager: string;
  /** kubernetes-sigs/aws-ebs-csi-driver release (kustomize overlay "stable"). */
  readonly ebsCsiDriver: string;
  /** aws/aws-node-termination-handler release (queue-processor manifest). */
  readonly nodeTerminationHandler: string;
  /** kubernetes/autoscaler's cluster-autoscaler of the minor (the AWS auto-discovery example), if released. */
  readonly clusterAutoscaler: string | undefined;
}

/** The pinned versions for a Kubernetes version, or undefined for a minor haform does not support. */
export function addonVersions(kubernetesVersion: string): AddonVersions | undefined {
  const r = minorRelease(kubernetesVersion);
  return r ? { cloudControllerManager: r.cloudControllerManager, ebsCsiDriver: EBS_CSI_DRIVER, nodeTerminationHandler: NODE_TERMINATION_HANDLER, clusterAutoscaler: r.clusterAutoscaler } : undefined;
}
