import { compareVersions, minorOf, minorRelease, minorSteps, SUPPORTED_MINORS } from './versions.js';

/**
 * What a change of kubernetesVersion asks of a running cluster. kubeadm upgrades from the previous
 * minor only ('kubeadm upgrade apply' refuses to skip one) and never down; the version skew policy
 * (kubernetes.io/releases/version-skew-policy) keeps kubelets at or below the apiservers. So one
 * minor up at a time, or a patch, with the control plane first.
 */
export interface VersionStep {
  readonly from: string;
  readonly to: string;
  readonly kind: 'same' | 'patch' | 'minor' | 'skip' | 'downgrade';
  /** One line for diff and generate. */
  readonly summary: string;
  /** Why it is refused, with the steps to take instead; only for skip and downgrade. */
  readonly refusal?: string;
}

export function versionStep(from: string, to: string): VersionStep {
  const steps = minorSteps(from, to);
  const order = compareVersions(from, to);
  if (order === 0) return { from, to, kind: 'same', summary: `Kubernetes ${to}: unchanged` };
  if (order > 0) {
    return {
      from, to, kind: 'downgrade',
      summary: `Kubernetes ${from} -> ${to}: a downgrade`,
      refusal: `Kubernetes ${from} -> ${to} is a downgrade, which kubeadm does not do: keep ${from}, or restore etcd from a backup taken at ${to}'s minor into a cluster of that version (a new output directory)`,
    };
  }
  if (steps > 1) {
    const path = stepsBetween(from, to);
    return {
      from, to, kind: 'skip',
      summary: `Kubernetes ${from} -> ${to}: skips ${steps - 1} minor(s)`,
      refusal: `Kubernetes ${from} -> ${to} skips ${steps - 1} minor(s): kubeadm upgrades from the previous minor only. Upgrade one minor at a time, each through generate, apply and the upgrade runbook: ${[from, ...path].join(' -> ')}`,
    };
  }
  const how = 'control plane one master at a time (master.sh upgrade on each, etcd health between), then nodes; see "Upgrade Kubernetes" in the generated README';
  return { from, to, kind: steps === 1 ? 'minor' : 'patch', summary: `Kubernetes ${from} -> ${to}: ${how}` };
}

/** The newest patch of each minor after FROM's, up to TO itself. */
function stepsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (const minor of SUPPORTED_MINORS) {
    if (compareVersions(`${minor}.0`, `${minorOf(from)}.0`) <= 0 || compareVersions(`${minor}.0`, `${minorOf(to)}.0`) >= 0) continue;
    out.push(`${minor}.${minorRelease(`${minor}.0`)!.newestPatch}`);
  }
  return [...out, to];
}
