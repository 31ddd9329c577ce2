import type { StatefulResource } from './inventory.js';

export interface Destruction {
  readonly address: string;
  readonly reason: string;
}

export interface Move {
  readonly from: string;
  readonly to: string;
}

export interface GuardResult {
  /** Changes that destroy or replace state; refused unless the user allows them. */
  readonly destructions: readonly Destruction[];
  /** Same resource, new address: terraform moves the state instead of destroying it. */
  readonly moves: readonly Move[];
  /** Etcd volumes and member interfaces that leave the configuration: forgotten, never destroyed. */
  readonly forgets: readonly string[];
}

/** Compares the stateful resources of the previous generation with the next one. */
export function guardStatefulChanges(before: readonly StatefulResource[], after: readonly StatefulResource[]): GuardResult {
  const destructions: Destruction[] = [];
  const moves: Move[] = [];
  const forgets: string[] = [];
  const byAddress = new Map(after.map((r) => [r.address, r]));
  const byIdentity = new Map(after.map((r) => [identityOf(r), r]));
  for (const old of before) {
    const next = byAddress.get(old.address) ?? byIdentity.get(identityOf(old));
    // A zone's subnet that no master runs in leaves with its zone: the node groups leave it first
    // (terraform updates them before it destroys what they referenced), and it holds no state.
    if (!next && old.kind === 'subnet' && !old.holdsMasters?.length) continue;
    if (!next || identityOf(next) !== identityOf(old)) {
      destructions.push({ address: old.address, reason: removalReason(old) });
      if (!next && (old.kind === 'etcd-volume' || old.kind === 'member-interface')) forgets.push(old.address);
      continue;
    }
    if (next.address !== old.address) moves.push({ from: old.address, to: next.address });
    destructions.push(...attributeChanges(old, next));
  }
  return { destructions, moves, forgets };
}

/**
 * A cluster has one VPC: renaming the cluster retags it, so its identity is not its name (manifests
 * of earlier haform versions record `vpc/<cluster>`).
 */
function identityOf(r: StatefulResource): string {
  return r.kind === 'vpc' ? 'vpc' : r.identity;
}

function removalReason(r: StatefulResource): string {
  if (r.kind === 'backup-bucket') return 'would be destroyed with the etcd backups in it';
  if (r.kind === 'etcd-volume') return `leaves the configuration with etcd member ${r.identity.split('/')[1]} (remove the member from etcd first); a removed block keeps the volume in AWS, forgotten by terraform, for you to delete`;
  if (r.kind === 'member-interface') return `leaves the configuration: etcd member ${r.identity.split('/')[1]} loses its peer address (a removed block keeps the interface in AWS)`;
  if (r.kind === 'subnet' && r.holdsMasters?.length) return `would be destroyed while masters ${r.holdsMasters.join(', ')} run in it`;
  return 'would be destroyed';
}

function attributeChanges(old: StatefulResource, next: StatefulResource): Destruction[] {
  const out: Destruction[] = [];
  const at = next.address;
  for (const key of Object.keys(old.attributes)) {
    const a = old.attributes[key];
    const b = next.attributes[key];
    if (a === b) continue;
    if (key === 'size') {
      if ((b as number) < (a as number)) out.push({ address: at, reason: `size would shrink from ${a} to ${b} GiB: EBS volumes cannot shrink, terraform would replace it and lose its data` });
    } else if (key === 'type') {
      out.push({ address: at, reason: `type would change from ${a} to ${b}: a live modification of the volume under etcd; do it deliberately` });
    } else if (key === 'role') {
      if (old.holdsMasters?.length) out.push({ address: at, reason: `masters ${old.holdsMasters.join(', ')} would move from a ${a} to a ${b} subnet: their instances must be replaced, one at a time` });
    } else {
      out.push({ address: at, reason: `${key} would change from ${JSON.stringify(a)} to ${JSON.stringify(b)}, which forces replacement${old.kind === 'etcd-volume' ? ' and loses the etcd data' : old.kind === 'backup-bucket' ? ' and deletes the etcd backups with the old bucket' : ''}` });
    }
  }
  return out;
}
