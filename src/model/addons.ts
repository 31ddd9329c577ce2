/**
 * The controllers the control plane installs, pinned: the AWS cloud-controller-manager follows the
 * Kubernetes minor (its releases do: v1.31.x serves Kubernetes 1.31), the EBS CSI driver and the
 * node termination handler support every minor listed. Bump deliberately, in this one place; the
 * IAM test holds each policy to the upstream policy of the version pinned here.
 */
export interface AddonVersions {
  /** kubernetes/cloud-provider-aws release (image and kustomize base). */
  readonly cloudControllerManager: string;
  /** kubernetes-sigs/aws-ebs-csi-driver release (kustomize overlay "stable"). */
  readonly ebsCsiDriver: string;
  /** aws/aws-node-termination-handler release (queue-processor manifest). */
  readonly nodeTerminationHandler: string;
}

const EBS_CSI_DRIVER = 'v1.44.0';
const NODE_TERMINATION_HANDLER = 'v1.25.6';

/** Latest cloud-provider-aws patch release of each supported minor. */
const CLOUD_CONTROLLER_MANAGER: Readonly<Record<string, string>> = {
  '1.30': 'v1.30.10',
  '1.31': 'v1.31.9',
  '1.32': 'v1.32.8',
  '1.33': 'v1.33.4',
  '1.34': 'v1.34.3',
  '1.35': 'v1.35.3',
  '1.36': 'v1.36.2',
};

export const SUPPORTED_MINORS = Object.keys(CLOUD_CONTROLLER_MANAGER);

export function minorOf(kubernetesVersion: string): string {
  return kubernetesVersion.replace(/^v/, '').split('.').slice(0, 2).join('.');
}

/** The pinned versions for a Kubernetes version, or undefined for a minor haform does not support. */
export function addonVersions(kubernetesVersion: string): AddonVersions | undefined {
  const ccm = CLOUD_CONTROLLER_MANAGER[minorOf(kubernetesVersion)];
  return ccm ? { cloudControllerManager: ccm, ebsCsiDriver: EBS_CSI_DRIVER, nodeTerminationHandler: NODE_TERMINATION_HANDLER } : undefined;
}
