/**
 * The alarms on what the masters publish (userdata/monitor.sh): metric names, thresholds and the
 * timers' intervals in one place, read by the alarms generator, the script's template and the tests.
 */
import { BACKUP_EVERY_MINUTES } from './recovery.js';

/** The metrics monitor.sh publishes, each without dimensions: every master publishes the cluster's value. */
export const METRICS = {
  /** Seconds since the newest object under backups/etcd/main/ was written (each master lists the bucket). */
  snapshotAge: 'EtcdSnapshotAgeSeconds',
  /** The fewest days any control-plane certificate of a master has left (kubeadm certs check-expiration). */
  certificateDays: 'CertificateDaysLeft',
  /** A member's database file (etcd's dbSize) in percent of its --quota-backend-bytes. */
  databaseQuota: 'EtcdDatabaseQuotaUsedPercent',
} as const;

/** etcd's quota when --quota-backend-bytes is unset or 0 (server/storage/quota.go, DefaultQuotaBytes): a cluster initialized before haform set one. */
export const ETCD_DEFAULT_QUOTA_BYTES = 2 * 1024 ** 3;

/** haform-metrics.timer: snapshot age and database size, every 5 minutes on every master. */
export const METRICS_EVERY_SECONDS = 300;
/** haform-cert-metrics.timer: twice a day, so that each one-day period of its alarm holds a datapoint. */
export const CERT_METRICS_EVERY_HOURS = 12;

export interface AlarmDefinition {
  readonly metric: string;
  readonly statistic: 'Maximum' | 'Minimum';
  readonly comparison: 'GreaterThanThreshold' | 'LessThanOrEqualToThreshold';
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly description: string;
}

/** The snapshot is stale past twice the backup interval: one missed backup is tolerated, two are not. */
export const SNAPSHOT_AGE_THRESHOLD_SECONDS = 2 * BACKUP_EVERY_MINUTES * 60;
export const CERTIFICATE_DAYS_THRESHOLD = 30;
export const DATABASE_QUOTA_PERCENT_THRESHOLD = 80;

/**
 * Each alarm: one period, treat_missing_data breaching (a metric no master publishes is the masters
 * or their timers gone, which is what an alarm is for).
 */
export const ALARMS = {
  snapshotAge: {
    metric: METRICS.snapshotAge,
    statistic: 'Maximum',
    comparison: 'GreaterThanThreshold',
    threshold: SNAPSHOT_AGE_THRESHOLD_SECONDS,
    periodSeconds: 3 * METRICS_EVERY_SECONDS,
    description: `The newest etcd snapshot in the cluster bucket is older than twice the backup interval (${SNAPSHOT_AGE_THRESHOLD_SECONDS} s), or no master reports its age: check haform-etcd-backup.service on the etcd leader (journalctl -u haform-etcd-backup).`,
  },
  certificates: {
    metric: METRICS.certificateDays,
    statistic: 'Minimum',
    comparison: 'LessThanOrEqualToThreshold',
    threshold: CERTIFICATE_DAYS_THRESHOLD,
    periodSeconds: 86_400,
    description: `A control-plane certificate of a master expires within ${CERTIFICATE_DAYS_THRESHOLD} days, or no master reports: renew them one master at a time (kubeadm certs renew all, then restart the static pods), or run the upgrade, which renews them.`,
  },
  databaseQuota: {
    metric: METRICS.databaseQuota,
    statistic: 'Maximum',
    comparison: 'GreaterThanThreshold',
    threshold: DATABASE_QUOTA_PERCENT_THRESHOLD,
    periodSeconds: 3 * METRICS_EVERY_SECONDS,
    description: `An etcd member's database is past ${DATABASE_QUOTA_PERCENT_THRESHOLD}% of its quota (at 100% etcd refuses every write), or no master reports: defragment one member at a time (etcdctl defrag), or raise etcd.quotaBackendBytes.`,
  },
} as const satisfies Record<string, AlarmDefinition>;

/**
 * EBS's own checks, per volume (namespace AWS/EBS, dimension VolumeId), each minute: 1 when the
 * volume's demand exceeded its provisioned IOPS, or throughput, in that minute. Published for every
 * volume type but magnetic, attached to a Nitro instance (the EC2 user guide, Amazon EBS metrics).
 */
export const EBS_EXCEEDED_METRICS = { iops: 'VolumeIOPSExceededCheck', throughput: 'VolumeThroughputExceededCheck' } as const;

/**
 * An etcd volume held at its limit: either check at 1 in 3 of the last 5 minutes (a burst of a
 * minute is a compaction or a snapshot; three is a member whose fsyncs wait on the disk, which is how
 * etcd loses its leader). One alarm per volume, main and events, of every master. Missing data is
 * not breaching: a volume publishes nothing while its master is replaced, or on an instance type
 * that is not Nitro, and the masters' own metrics already alarm when they go quiet.
 */
export const VOLUME_ALARM = {
  periodSeconds: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 3,
  description: "An etcd volume of a master was held at its provisioned IOPS or throughput in 3 of the last 5 minutes (EBS's VolumeIOPSExceededCheck, VolumeThroughputExceededCheck): etcd's disk writes wait, and its leader elections follow. Raise etcd.volumeIops or etcd.volumeThroughput, or use volumeType: io2.",
} as const;

/**
 * explain's line on the alarms: what tells the operator that backups stopped, certificates near
 * their end or etcd fills up (the failures that are otherwise silent until a restore or an outage).
 */
export function alarmsLine(alarms: { readonly topicArn: string | undefined } | undefined): string {
  if (!alarms) return '  Alarms: off (alarms.enabled: false): nothing tells you when the backups stop, a certificate nears its expiry, etcd nears its quota or its disks hold it back.';
  const topic = alarms.topicArn ?? "the cluster's own SNS topic (output alarm_topic_arn: subscribe to it)";
  return `  Alarms: CloudWatch notifies ${topic} when the newest etcd snapshot is older than ${SNAPSHOT_AGE_THRESHOLD_SECONDS} s, a control-plane certificate has ${CERTIFICATE_DAYS_THRESHOLD} days or fewer left, an etcd database passes ${DATABASE_QUOTA_PERCENT_THRESHOLD}% of its quota or an etcd volume is held at its IOPS or throughput limit, and when the masters stop reporting any of these.`;
}
