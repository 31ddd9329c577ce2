import { ALARMS, CERT_METRICS_EVERY_HOURS, EBS_EXCEEDED_METRICS, METRICS_EVERY_SECONDS, VOLUME_ALARM } from '../model/alarms.js';
import { BACKUP_PREFIX } from '../model/names.js';
import { analyzeWorkers, workerLossText } from '../model/placement.js';
import { type ClusterPlan, ownAlarmTopicName, type SubnetPlan } from '../model/plan.js';
import { VERSION } from '../version.js';
import { templates } from './templates.js';
import type { OutputFile } from './write.js';

export interface ModuleSummary {
  readonly path: string;
  readonly summary: string;
}

/** The generated README: the explain table and a Mermaid diagram, from a finished view model. */
export function renderReadme(plan: ClusterPlan, modules: readonly ModuleSummary[]): OutputFile {
  return { path: 'README.md', content: templates().readme(viewModel(plan, modules)) };
}

function viewModel(plan: ClusterPlan, modules: readonly ModuleSummary[]) {
  const q = plan.quorum;
  const nodeCount = plan.nodeGroups.reduce((n, g) => n + g.size, 0);
  const workers = analyzeWorkers(plan.nodePlacement, nodeCount, plan.network.zones.map((z) => z.zone));
  const mermaidId = (s: string) => s.replace(/[^A-Za-z0-9]/g, '_');
  return {
    name: plan.name,
    version: VERSION,
    region: plan.region,
    initMember: plan.masters[0]!.member,
    internalApi: plan.api.internalName,
    internalLoadBalancer: plan.api.internalLoadBalancer !== undefined,
    masterCount: plan.masters.length,
    topology: plan.topology,
    networking: plan.networking,
    apiEndpoint: `https://${plan.api.dns ? plan.api.dns.recordName : '<load balancer DNS name>'}`,
    quorum: q.quorum,
    members: q.members,
    faultTolerance: q.faultTolerance,
    survives: q.survivesAnyZoneLoss ? 'yes' : 'no',
    lbKind: plan.api.internal ? 'internal' : 'public',
    preventDestroy: plan.etcd.preventDestroy,
    backupPrefix: BACKUP_PREFIX,
    backupRetentionDays: plan.etcd.backupRetentionDays,
    bastion: plan.bastion !== undefined,
    alarms: plan.alarms && {
      namespace: plan.alarms.namespace,
      topicName: ownAlarmTopicName(plan) ?? '',
      topicArn: 'arn' in plan.alarms.topic ? plan.alarms.topic.arn : '',
      rows: [
        { name: plan.alarms.names.snapshotAge, when: `the newest etcd snapshot in the bucket is older than ${ALARMS.snapshotAge.threshold / 3600} hours (twice the hourly backup), as the masters see it every ${METRICS_EVERY_SECONDS / 60} minutes`, what: 'on the etcd leader: `journalctl -u haform-etcd-backup`; run `/var/lib/haform/master.sh backup` once fixed' },
        { name: plan.alarms.names.certificates, when: `a control-plane certificate of a master has ${ALARMS.certificates.threshold} days left or fewer (\`kubeadm certs check-expiration\`, every ${CERT_METRICS_EVERY_HOURS} hours)`, what: 'an upgrade to the next Kubernetes version renews them (`master.sh upgrade`); or, one master at a time, `kubeadm certs renew all` and a restart of its static pods' },
        { name: plan.alarms.names.databaseQuota, when: `an etcd member's database file is past ${ALARMS.databaseQuota.threshold}% of its quota (\`etcdctl endpoint status\`: dbSize against --quota-backend-bytes, ${plan.etcd.quotaBackendBytes / 1024 ** 3} GiB here)`, what: 'defragment one member at a time, the leader last (`etcdctl defrag`), every member healthy before the next; or raise `etcd.quotaBackendBytes` (and the volume)' },
        {
          name: `${plan.alarms.volumes[0]!.alarmName.replace(/-[a-z0-9]+-(main|events)$/, '')}-MEMBER-main\`, \`…-MEMBER-events`,
          when: `an etcd volume of a master (${plan.alarms.volumes.length}: ${plan.alarms.volumes.map((v) => v.alarmName.slice(v.alarmName.indexOf('-etcd-volume-') + 13)).join(', ')}) was at its provisioned IOPS or throughput in ${VOLUME_ALARM.datapointsToAlarm} of the last ${VOLUME_ALARM.evaluationPeriods} minutes (EBS's own \`${EBS_EXCEEDED_METRICS.iops}\` and \`${EBS_EXCEEDED_METRICS.throughput}\`, published for volumes of Nitro instances; nothing published is not an alarm)`,
          what: "raise `etcd.volumeIops` or `etcd.volumeThroughput` (gp3: up to 16000 IOPS and 1000 MiB/s), or use `volumeType: io2`; the member's `etcd_disk_wal_fsync_duration_seconds` shows what the disk cost it",
        },
      ],
    },
    zones: plan.network.zones.map((z) => {
      const loss = q.zones.find((l) => l.zone === z.zone)!;
      const nodes = workers.find((w) => w.zone === z.zone)!.nodes;
      return {
        zone: z.zone,
        id: mermaidId(z.zone),
        masterCount: loss.members.length,
        members: loss.members.join(', ') || '-',
        loss: `${loss.remaining} of ${q.members} remain: quorum ${loss.quorumKept ? 'kept' : '**lost**'}`,
        subnets: [
          { id: mermaidId(`subnet_${z.zone}`), label: `${plan.topology === 'private' ? 'private' : 'public'} subnet ${subnetLabel(z.subnet)}` },
          ...(z.utility ? [{ id: mermaidId(`utility_${z.zone}`), label: `utility subnet ${subnetLabel(z.utility)}${natLabel(z.egress, !!z.subnet.existingId)}` }] : []),
        ],
        masters: plan.masters.filter((m) => m.zone === z.zone).map((m) => ({ id: mermaidId(`master_${m.member}`), member: m.member })),
        nodes,
        nodesId: mermaidId(`nodes_${z.zone}`),
      };
    }),
    modules,
    workers: {
      spread: plan.nodePlacement === 'spread',
      count: nodeCount,
      zones: workers.map((w) => ({ zone: w.zone, nodes: w.nodes, loss: workerLossText(w, nodeCount) })),
    },
  };
}

/** A created subnet by its range, an existing one by its ID. */
function subnetLabel(s: SubnetPlan): string {
  return s.existingId ? `${s.existingId} (existing)` : s.cidr;
}

function natLabel(egress: string | undefined, existing: boolean): string {
  if (existing || egress === 'external') return '';
  return egress ? `, NAT gateway ${egress} (existing)` : ', NAT gateway';
}
