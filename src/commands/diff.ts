import { generateFiles } from '../generate.js';
import { guardStatefulChanges } from '../model/guard.js';
import { statefulInventory } from '../model/inventory.js';
import { buildPlan, type ClusterPlan } from '../model/plan.js';
import { type VersionStep, versionStep } from '../model/upgrade.js';
import type { OutputFile } from '../render/write.js';
import { changedInputs, resourceConfigs } from '../render/resources.js';
import { formatProblem } from '../spec/format.js';
import { type ClusterSpec, loadClusterFile } from '../spec/index.js';
import { type CommandOutput, output } from './output.js';

/**
 * What changing the cluster from OLD to NEW does, in cluster terms. Exit 0 when safe, 1 when it would
 * destroy or replace state or take a Kubernetes step kubeadm cannot (a skipped minor, a downgrade), 2 when either file is invalid (nothing was compared).
 */
export async function diff(oldFile: string, newFile: string, format: 'text' | 'json' = 'text'): Promise<CommandOutput> {
  const before = loadClusterFile(oldFile);
  const after = loadClusterFile(newFile);
  const report = [...before.problems, ...after.problems].map((p) => `${formatProblem(p)}\n`).join('');
  if (!before.spec || !after.spec) {
    if (format === 'json') return output(`${JSON.stringify({ valid: false, problems: [...before.problems, ...after.problems] }, null, 2)}\n`, '', 2);
    return output('', report, 2);
  }
  const [a, b] = [buildPlan(before.spec), buildPlan(after.spec)];
  const [fa, fb] = [await generateFiles(before.spec), await generateFiles(after.spec)];
  const [ra, rb] = [resourceConfigs(fa), resourceConfigs(fb)];
  const step = versionStep(a.kubernetesVersion, b.kubernetesVersion);
  const changes = clusterChanges(before.spec, after.spec, fa, fb, step);
  const guard = guardStatefulChanges(statefulInventory(a), statefulInventory(b));

  const lines = [`${a.name}: ${a.masters.length} -> ${b.masters.length} master(s), etcd members ${members(a)} -> ${members(b)}`];
  for (const zone of unique([...a.network.zones.map((z) => z.zone), ...b.network.zones.map((z) => z.zone)])) {
    const [x, y] = [inZone(a, zone), inZone(b, zone)];
    const added = y.filter((m) => !x.includes(m));
    const removed = x.filter((m) => !y.includes(m));
    const note = [added.length ? `added ${added.join(', ')}` : '', removed.length ? `REMOVED ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
    lines.push(`  ${zone}: ${x.join(', ') || '-'} -> ${y.join(', ') || '-'}${note ? `  (${note})` : ''}`);
  }
  lines.push(`Quorum: ${a.quorum.quorum} of ${a.quorum.members} -> ${b.quorum.quorum} of ${b.quorum.members}; survives the loss of any one AZ: ${yesNo(a)} -> ${yesNo(b)}`);
  if (b.masters.length > a.masters.length && a.masters.length > 0) {
    lines.push(`Grow etcd one member at a time: apply, then check that each new member joined (etcdctl member list) before the next; see the runbook in the generated README.`);
  }
  const add = [...rb.keys()].filter((k) => !ra.has(k)).sort();
  const destroy = [...ra.keys()].filter((k) => !rb.has(k)).sort();
  const change = [...rb.keys()].filter((k) => ra.has(k) && ra.get(k)!.fingerprint !== rb.get(k)!.fingerprint).sort();
  // Why each changes: its own definition, or the inputs it reads; a retag in place said as such.
  const why = (k: string) => {
    const c = changedInputs(ra.get(k)!, rb.get(k)!);
    const what = [c.definition ? 'its definition' : '', c.inputs.length ? `${c.inputs.join(', ')}` : ''].filter(Boolean).join('; ');
    return c.tagsOnly ? `tags only (${c.inputs.join(', ')}): retagged in place` : what;
  };
  if (format === 'json') {
    const doc = {
      valid: true,
      cluster: b.name,
      masters: { before: a.masters.map((m) => ({ member: m.member, zone: m.zone })), after: b.masters.map((m) => ({ member: m.member, zone: m.zone })) },
      quorum: { before: a.quorum.quorum, after: b.quorum.quorum, survivesAnyZoneLoss: { before: a.quorum.survivesAnyZoneLoss, after: b.quorum.survivesAnyZoneLoss } },
      resources: { add, change, destroy, changes: Object.fromEntries(change.map((k) => [k, why(k)])) },
      moves: guard.moves,
      forgotten: guard.forgets,
      destructions: guard.destructions,
      kubernetes: { from: step.from, to: step.to, step: step.kind, ...(step.refusal ? { refused: step.refusal } : {}) },
      changes,
      safe: guard.destructions.length === 0 && !step.refusal,
    };
    return output(`${JSON.stringify(doc, null, 2)}\n`, report, guard.destructions.length || step.refusal ? 1 : 0);
  }
  if (changes.length) lines.push('Changes to the running cluster:', ...changes.map((c) => `  * ${c}`));
  lines.push(`Resources: ${add.length} to add, ${change.length} to change, ${destroy.length} to destroy`);
  lines.push(...add.map((r) => `  + ${r}`), ...change.map((r) => `  ~ ${r}: ${why(r)}`), ...destroy.map((r) => `  - ${r}`));
  if (guard.moves.length) lines.push('State moves (moved blocks):', ...guard.moves.map((m) => `  ${m.from} -> ${m.to}`));
  if (guard.forgets.length) lines.push('Kept in AWS, forgotten by terraform (removed blocks, destroy = false):', ...guard.forgets.map((a) => `  ${a}`));
  if (step.refusal) {
    lines.push(`REFUSED: ${step.refusal}`);
    return output(`${lines.join('\n')}\n`, report, 1);
  }
  if (guard.destructions.length) {
    lines.push('REFUSED: this change destroys or replaces cluster state; haform generate needs --allow-destroy for it:');
    lines.push(...guard.destructions.map((d) => `  ! ${d.address}: ${d.reason}`));
    return output(`${lines.join('\n')}\n`, report, 1);
  }
  lines.push('Safe: no etcd volume, VPC or subnet holding masters is destroyed or replaced.');
  return output(`${lines.join('\n')}\n`, report, 0);
}

/**
 * What the change does to the running cluster beyond Terraform's resources: the launch templates
 * take new boot scripts and settings, which only instances launched later use (nothing is replaced
 * by an apply), so each is said in the terms of what to do next.
 */
function clusterChanges(a: ClusterSpec, b: ClusterSpec, fa: readonly OutputFile[], fb: readonly OutputFile[], step: VersionStep): string[] {
  const out: string[] = [];
  if (step.kind !== 'same') out.push(step.summary);
  if (a.networking !== b.networking) {
    out.push(`networking ${a.networking} -> ${b.networking}: new masters apply the ${b.networking} manifest, the running pod network stays ${a.networking}; moving pods to another CNI is a migration of its own (both networks side by side, then nodes replaced), not an apply`);
  }
  if (a.masterSize !== b.masterSize) out.push(`masterSize ${a.masterSize} -> ${b.masterSize}: new launch template versions; running masters keep their type until replaced, one at a time (terminate one, wait for etcd health, then the next)`);
  if (a.nodeSize !== b.nodeSize) out.push(`nodeSize ${a.nodeSize} -> ${b.nodeSize}: new launch template versions; running nodes keep their type until replaced`);
  if (JSON.stringify(a.image) !== JSON.stringify(b.image)) out.push('image changes: instances launched from now on boot the new image; running ones keep theirs until replaced');
  const scripts = (fs: readonly OutputFile[]) => new Map(fs.filter((f) => f.path.startsWith('userdata/')).map((f) => [f.path, f.content]));
  const [sa, sb] = [scripts(fa), scripts(fb)];
  const changed = [...new Set([...sa.keys(), ...sb.keys()])].filter((p) => sa.get(p) !== sb.get(p)).sort();
  if (changed.length) {
    out.push(`boot scripts change (${changed.join(', ')}): instances launched after the apply run them; running instances keep theirs${step.kind === 'minor' || step.kind === 'patch' ? ' until the upgrade installs them' : ' until replaced'}`);
  }
  return out;
}

const members = (p: ClusterPlan) => p.masters.map((m) => m.member).join(',') || '-';
const inZone = (p: ClusterPlan, zone: string) => p.masters.filter((m) => m.zone === zone).map((m) => m.member);
const yesNo = (p: ClusterPlan) => (p.quorum.survivesAnyZoneLoss ? 'yes' : 'no');
const unique = <T>(xs: T[]) => [...new Set(xs)];
