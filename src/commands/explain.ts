import { analyzeQuorum, analyzeWorkers, placeMasters, workerLossText } from '../model/placement.js';
import { alarmsLine } from '../model/alarms.js';
import { recoveryLines } from '../model/recovery.js';
import { daysOfSupport, releaseOf } from '../model/versions.js';
import { formatProblem } from '../spec/format.js';
import { today } from '../spec/today.js';
import { type ClusterSpec, loadClusterFile } from '../spec/index.js';
import { type CommandOutput, output } from './output.js';

/** The HA picture of one cluster: who runs where, and what each zone's loss leaves. */
export function explain(file: string): CommandOutput {
  const { spec, problems } = loadClusterFile(file);
  const warnings = problems.map((p) => `${formatProblem(p)}\n`).join('');
  if (!spec) return output('', warnings, 1);
  return output(explainSpec(spec), warnings, 0);
}

export function explainSpec(spec: ClusterSpec): string {
  const masters = placeMasters(spec.masterZones, spec.masterCount);
  const q = analyzeQuorum(masters, spec.zones);
  const rows = [
    ['ZONE', 'MASTERS', 'ETCD MEMBERS', 'IF THIS ZONE IS LOST'],
    ...q.zones.map((z) => [
      z.zone,
      String(z.members.length),
      z.members.join(', ') || '-',
      `${z.remaining} of ${q.members} members remain, quorum ${q.quorum}: ${z.quorumKept ? 'kept' : 'LOST'}`,
    ]),
  ];
  const workers = analyzeWorkers(spec.nodeGroups, spec.nodeCount, spec.zones);
  const workerRows = [
    ['ZONE', 'NODES', 'IF THIS ZONE IS LOST'],
    ...workers.map((w) => [
      w.zone,
      String(w.nodes),
      workerLossText(w, spec.nodeCount),
    ]),
  ];
  const zonesWithMasters = new Set(masters.map((m) => m.zone)).size;
  const lines = [
    `Cluster ${spec.name} in ${spec.region}, ${spec.topology} topology, networking ${spec.networking}`,
    `${q.members} master(s), each an etcd member; quorum is ${q.quorum} of ${q.members}, so ${q.faultTolerance} member(s) can fail.`,
    supportLine(spec.kubernetesVersion),
    '',
    table(rows),
    '',
    `Survives the loss of any one AZ: ${q.survivesAnyZoneLoss ? 'yes' : 'no'}`,
  ];
  const workerLines = [
    '',
    spec.nodeGroups === 'spread'
      ? `Workers: one autoscaling group of ${spec.nodeCount} node(s) across ${spec.zones.join(', ')} (nodeGroups: spread).`
      : `Workers: a group per zone, ${spec.nodeCount} node(s) in all (nodeGroups: perZone).`,
    ...capacityLines(spec),
    '',
    table(workerRows),
  ];
  if (!q.survivesAnyZoneLoss) {
    lines.push(
      q.members === 1
        ? 'A single master: while it is down the Kubernetes API is unavailable.'
        : 'Masters of one AZ are lost together. Upgrades and single-master failures stay graceful, but an outage of the zone(s) marked LOST stops the API until it returns.',
    );
  }
  // The cost of spread, for a cluster that has some: one or two zones are the cheaper choice it compares with.
  if (spec.zones.length > 2) {
    lines.push(
      `Note: spanning ${spec.zones.length} zones (masters in ${zonesWithMasters}) costs more than one or two: EC2 for each master, and cross-AZ traffic is billed. Workers in two zones keep AZ fault tolerance for workloads that do not rely on quorum.`,
    );
  }
  lines.push('', ...recoveryLines(spec.etcd.backupRetentionDays), alarmsLine(spec.alarms));
  lines.push(...workerLines);
  return `${lines.join('\n')}\n`;
}

/** How long upstream supports the cluster's minor (kubernetes.io/releases, in the version table). */
function supportLine(version: string): string {
  const release = releaseOf(version);
  const days = daysOfSupport(release, today());
  if (days < 0) return `Kubernetes ${version}: past its end of life (${release.endOfLife}); upgrade one minor at a time (the generated README's runbook).`;
  return `Kubernetes ${version}: supported upstream until ${release.endOfLife} (${days} days).`;
}

/** Columns padded to their widest cell; the last column runs free. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ')).join('\n');
}

/** How the node groups scale and what they run on, when the YAML says more than a fixed count. */
function capacityLines(spec: ClusterSpec): string[] {
  const { minSize, maxSize, mixed } = spec.nodeCapacity;
  const out: string[] = [];
  if (minSize < maxSize) {
    out.push(spec.clusterAutoscaler
      ? `Scaled by the cluster-autoscaler between ${minSize} and ${maxSize} node(s) in all; the table is the size at creation, and a lost zone's pods may bring nodes up in the others.`
      : `May scale between ${minSize} and ${maxSize} node(s) in all, but no cluster-autoscaler is enabled: they stay at ${spec.nodeCount}.`);
  }
  if (mixed) {
    const spot = mixed.onDemandAboveBase < 100 ? `${100 - mixed.onDemandAboveBase}% spot above ${mixed.onDemandBase} on-demand node(s) per group (${mixed.spotAllocationStrategy}${mixed.maxPrice ? `, at most ${mixed.maxPrice} USD an hour` : ''})` : 'on-demand only';
    out.push(`Instances: ${mixed.instances.join(', ')}; ${spot}.`);
  }
  return out;
}
