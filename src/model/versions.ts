/**
 * What kubeadm pins per Kubernetes minor, read from kubeadm's own constants
 * (k8s.io/kubernetes cmd/kubeadm/app/constants/constants.go at each minor's newest patch, 2026-12-01):
 * the pause image the kubelet's sandboxes use, which containerd must be configured with (its own
 * default differs), and the etcd kubeadm runs.
 */
export interface KubeadmPins {
  readonly pause: string;
  readonly etcd: string;
}

const KUBEADM: Readonly<Record<string, KubeadmPins>> = {
  '1.30': { pause: '3.9', etcd: '3.5.15-0' },
  '1.31': { pause: '3.10', etcd: '3.5.24-0' },
  '1.32': { pause: '3.10', etcd: '3.5.24-0' },
  '1.33': { pause: '3.10', etcd: '3.5.24-0' },
  '1.34': { pause: '3.10.1', etcd: '3.6.5-0' },
  '1.35': { pause: '3.10.1', etcd: '3.6.6-0' },
  '1.36': { pause: '3.10.2', etcd: '3.6.8-0' },
};

export function kubeadmPins(minor: string): KubeadmPins {
  const pins = KUBEADM[minor];
  if (!pins) throw new Error(`internal: no kubeadm pins for Kubernetes ${minor}`);
  return pins;
}

/** The registries containerd pulls through assets.containerProxy: every one an addon or CNI names. */
export const PROXIED_REGISTRIES = ['registry.k8s.io', 'docker.io', 'quay.io', 'ghcr.io', 'public.ecr.aws'] as const;

/** https://HOST/PATH through assets.fileRepository (URL/HOST/PATH), or unchanged without one. */
export function mirrored(url: string, fileRepository: string | undefined): string {
  if (!fileRepository) return url;
  return `${fileRepository}/${url.replace(/^https:\/\//, '')}`;
}
