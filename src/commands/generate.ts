import { existsSync } from 'node:fs';
import { HaformError } from '../errors.js';
import { generateFiles } from '../generate.js';
import { guardStatefulChanges, type Move } from '../model/guard.js';
import { type StatefulResource, statefulInventory } from '../model/inventory.js';
import { LAYOUT, legacyMoves } from '../model/layout-moves.js';
import { buildPlan } from '../model/plan.js';
import { versionStep } from '../model/upgrade.js';
import { conflicts, diffOutput, readManifest, stagingDirs, writeOutput } from '../render/write.js';
import { formatProblem } from '../spec/format.js';
import { type ClusterSpec, loadClusterFile } from '../spec/index.js';
import { VERSION } from '../version.js';
import { type CommandOutput, output } from './output.js';

export interface GenerateOptions {
  readonly file: string;
  readonly out: string;
  /** Write nothing; exit 1 when the directory differs from what would be generated. */
  readonly check?: boolean;
  readonly force?: boolean;
  /** Generate even when etcd volumes, the VPC or subnets holding masters would be destroyed or replaced. */
  readonly allowDestroy?: boolean;
  /** Write nothing; list what would change, and exit 1 if it would destroy state. */
  readonly dryRun?: boolean;
}

export async function generate(opts: GenerateOptions): Promise<CommandOutput> {
  const { spec, problems } = loadClusterFile(opts.file);
  const report = problems.map((p) => `${formatProblem(p)}\n`).join('');
  if (!spec) return output('', `${report}nothing written: fix the errors above.\n`, 1);
  const out = await generateSpec(spec, opts);
  return { ...out, stderr: report + out.stderr };
}

/** Generation of an already validated spec (also reached from `create cluster --target terraform`). */
export async function generateSpec(spec: ClusterSpec, opts: Omit<GenerateOptions, 'file'>): Promise<CommandOutput> {
  const previous = existsSync(opts.out) ? readManifest(opts.out) : undefined;
  const plan = buildPlan(spec);
  const stateful = statefulInventory(plan);
  const guard = guardStatefulChanges(previous?.stateful ?? [], stateful);
  // Output of a haform before for_each over zones and CIDRs: those resources move, never replaced.
  const relayout = previous && (previous.layout ?? 1) < LAYOUT ? legacyMoves(plan) : [];
  // Forgotten addresses stay until they are in the configuration again (a removed block for a
  // resource that exists is an error).
  const present = new Set(stateful.map((r) => r.address));
  const forgotten = [...new Set([...(previous?.forgotten ?? []), ...guard.forgets])].filter((a) => !present.has(a)).sort();
  const moved = mergeMoves(previous?.moved ?? [], [...guard.moves, ...relayout]);
  // The version the output was last generated at: kubeadm takes one minor at a time, never down.
  const step = previous?.kubernetesVersion && previous.cluster === spec.name ? versionStep(previous.kubernetesVersion, spec.kubernetesVersion) : undefined;
  if (step?.refusal && !opts.check) throw new HaformError(`nothing written: ${step.refusal}`, 1);
  if (opts.dryRun) return dryRun(opts.out, await generateFiles(spec, moved, forgotten), guard, opts.force ?? false);
  if (guard.destructions.length && !opts.allowDestroy && !opts.check) {
    const lines = guard.destructions.map((d) => `  ${d.address}: ${d.reason}`).join('\n');
    throw new HaformError(
      `nothing written: this change would destroy or replace cluster state:\n${lines}\n${pinSubnetsHint(previous?.stateful ?? [], guard.destructions)}If that is intended (after moving etcd members off these volumes), rerun with --allow-destroy. Preview with: haform diff OLD.yaml NEW.yaml`,
      1,
    );
  }
  const files = await generateFiles(spec, moved, forgotten);
  if (opts.check) {
    const drift = [...diffOutput(opts.out, files).filter((c) => c.kind !== 'unchanged'), ...leftovers(opts.out)];
    if (!drift.length) return output(`${opts.out}: up to date (${files.length} files)\n`);
    const verb = { add: 'missing', update: 'differs', remove: 'stale', unchanged: '', leftover: 'left by a killed run' } as const;
    const lines = drift.map((c) => `  ${verb[c.kind]}: ${c.path}`).join('\n');
    return output('', `${opts.out}: out of date, ${drift.length} file(s) differ from what ${spec.source} generates:\n${lines}\nrun: haform generate ${spec.source} --out ${opts.out}\n`, 1);
  }
  try {
    const changes = writeOutput(opts.out, files, { version: VERSION, cluster: spec.name, force: opts.force, stateful, moved, forgotten, layout: LAYOUT, kubernetesVersion: spec.kubernetesVersion });
    const count = (k: string) => changes.filter((c) => c.kind === k).length;
    const relayoutNote = relayout.length ? `; the network and security modules now use for_each over zones and CIDRs: ${relayout.length} moved blocks move their resources in the state, none is replaced` : '';
    const ownMoves = guard.moves.filter((m) => !relayout.some((r) => r.from === m.from && r.to === m.to));
    const movedNote = `${ownMoves.length ? `; state moves: ${ownMoves.map((m) => `${m.from} -> ${m.to}`).join(', ')}` : ''}${relayoutNote}`;
    const forgottenNow = new Set(guard.forgets);
    const destroyed = guard.destructions.filter((d) => !forgottenNow.has(d.address));
    const destroyNote = `${destroyed.length ? `; allowed to destroy: ${destroyed.map((d) => d.address).join(', ')}` : ''}${forgottenNow.size ? `; kept in AWS, forgotten by terraform (removed blocks): ${guard.forgets.join(', ')}` : ''}`;
    const upgradeNote = step && step.kind !== 'same' ? `\n${step.summary}. Apply first: running instances keep their version until the upgrade, new ones join at the cluster's.` : '';
    return output(`${opts.out}: ${count('add')} added, ${count('update')} updated, ${count('remove')} removed, ${count('unchanged')} unchanged${movedNote}${destroyNote}${upgradeNote}\n`);
  } catch (e) {
    if (e instanceof HaformError) throw e;
    throw new HaformError(`could not write ${opts.out}: ${(e as Error).message}. Nothing was half-written: the previous files are in place.`, 1);
  }
}

/** What the real run would do, refusals included: exit 1 where it would write nothing. */
function dryRun(out: string, files: Awaited<ReturnType<typeof generateFiles>>, guard: ReturnType<typeof guardStatefulChanges>, force: boolean): CommandOutput {
  const sign = { add: '+', update: '~', remove: '-', unchanged: '' } as const;
  const all = diffOutput(out, files);
  const refused = conflicts(out, all, force);
  if (refused.length) return output(`${out}: generate would refuse and write nothing:\n  ${refused.join('\n  ')}\n`, '', 1);
  const changes = all.filter((c) => c.kind !== 'unchanged');
  const lines = [`${out}: ${changes.length} file(s) would change (nothing written)`, ...changes.map((c) => `  ${sign[c.kind]} ${c.path}`)];
  lines.push(...guard.moves.map((m) => `  state move: ${m.from} -> ${m.to}`));
  if (!guard.destructions.length) return output(`${lines.join('\n')}\n`);
  lines.push('would destroy or replace cluster state (generate refuses without --allow-destroy):', ...guard.destructions.map((d) => `  ! ${d.address}: ${d.reason}`));
  return output(`${lines.join('\n')}\n`, '', 1);
}

/** Staging directories a killed run left in the output: never up to date. */
function leftovers(out: string): { path: string; kind: 'leftover' }[] {
  return stagingDirs(out).map(({ name }) => ({ path: name, kind: 'leftover' as const }));
}

/**
 * Subnets whose CIDR would change: most likely a cluster generated before haform split networks as
 * kops 1.28+ does. The YAML that keeps them, from what the last generation recorded.
 */
function pinSubnetsHint(previous: readonly StatefulResource[], destructions: readonly { address: string; reason: string }[]): string {
  const moved = destructions.filter((d) => d.reason.startsWith('cidr_block would change') && previous.some((r) => r.address === d.address && r.kind === 'subnet'));
  if (!moved.length) return '';
  const zones = new Map<string, { cidr?: string; utilityCidr?: string }>();
  for (const r of previous.filter((x) => x.kind === 'subnet')) {
    const zone = String(r.attributes.availability_zone);
    const entry = zones.get(zone) ?? {};
    if (r.attributes.role === 'utility') entry.utilityCidr = String(r.attributes.cidr_block);
    else entry.cidr = String(r.attributes.cidr_block);
    zones.set(zone, entry);
  }
  const yaml = [...zones].map(([zone, z]) => `    - zone: ${zone}\n      cidr: ${z.cidr}${z.utilityCidr ? `\n      utilityCidr: ${z.utilityCidr}` : ''}`).join('\n');
  return `Subnets are split as kops 1.28+ splits them now; a cluster generated before keeps its subnets by naming them in the YAML:\n  subnets:\n${yaml}\n`;
}

function mergeMoves(kept: readonly Move[], added: readonly Move[]): Move[] {
  const all = [...kept, ...added];
  return all.filter((m, i) => all.findIndex((x) => x.from === m.from && x.to === m.to) === i);
}
