import { Fn, propertyAccess, TerraformIterator, Token } from 'cdktn';
import { CloudwatchMetricAlarm } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic/index.js';
import { ALARMS, EBS_EXCEEDED_METRICS, VOLUME_ALARM } from '../model/alarms.js';
import { callModule, describe, field, type Generator, moduleNamed, moduleStack, output, tfName, variable } from './context.js';
import { KMS_MODULE, KmsOutputs } from './kms.js';
import { MasterOutputs } from './control-plane.js';

export const ALARMS_MODULE = 'alarms';
const DIR = 'modules/alarms';

export const AlarmsOutputs = { topicArn: 'topic_arn' } as const;

/**
 * CloudWatch alarms on the metrics every master publishes (userdata/monitor.sh, under the cluster's
 * own namespace), to an SNS topic: the cluster's own, encrypted with the cluster key, or one the YAML
 * names. Each treats missing data as breaching: a metric no master publishes means the masters or
 * their timers are gone.
 */
export const alarms: Generator = {
  name: ALARMS_MODULE,

  modules(scope, plan) {
    const a = plan.alarms;
    if (!a) return [];
    const stack = moduleStack(scope, 'alarms');
    const namespace = variable(stack, 'namespace', 'string', "CloudWatch namespace of the masters' metrics (haform/<cluster>): their IAM policy allows this one only.", [
      { condition: '${can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.namespace))}', errorMessage: 'namespace is at most 255 letters, digits and . _ / # : -.' },
    ]);
    const alarmNames = variable(stack, 'alarm_names', 'object({\nsnapshot_age = string\ncertificates = string\ndatabase_quota = string\n})', 'Names of the alarms, by what they watch.');
    const thresholds = variable(stack, 'thresholds', 'object({\nsnapshot_age_seconds = number\ncertificate_days_left = number\ndatabase_quota_percent = number\n})', 'When each alarm fires: the newest snapshot older than (twice the backup interval), a certificate with at most this many days left, a database past this percent of its quota.');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    let topicArn: string;
    if ('name' in a.topic) {
      const topicName = variable(stack, 'topic_name', 'string', 'Name of the SNS topic the alarms notify: subscribe your pager or e-mail to it (output topic_arn).', [
        { condition: '${can(regex("^[A-Za-z0-9_-]{1,256}$", var.topic_name))}', errorMessage: 'topic_name is at most 256 letters, digits, - and _.' },
      ]);
      const kmsKey = variable(stack, 'kms_key_arn', 'string', "The cluster's KMS key (modules/kms), whose policy lets CloudWatch publish to the topic.");
      const topic = describe(
        tfName(new SnsTopic(stack, 'topic', { name: topicName.stringValue, kmsMasterKeyId: kmsKey.stringValue, tags: tags.value }), 'this'),
        "Where the alarms go, encrypted with the cluster key (CloudWatch cannot publish to a topic under AWS's managed SNS key).",
      );
      topicArn = topic.arn;
    } else {
      topicArn = variable(stack, 'topic_arn', 'string', 'ARN of your SNS topic the alarms notify (alarms.topicArn).', [
        { condition: '${can(regex("^arn:aws[a-z-]*:sns:", var.topic_arn))}', errorMessage: 'topic_arn is the ARN of an SNS topic.' },
      ]).stringValue;
    }
    const alarm = (id: 'snapshot_age' | 'certificates' | 'database_quota', d: (typeof ALARMS)[keyof typeof ALARMS], threshold: string, why: string) =>
      describe(
        tfName(
          new CloudwatchMetricAlarm(stack, id, {
            alarmName: field(alarmNames.value, id),
            alarmDescription: d.description,
            namespace: namespace.stringValue,
            metricName: d.metric,
            statistic: d.statistic,
            period: d.periodSeconds,
            evaluationPeriods: 1,
            comparisonOperator: d.comparison,
            threshold: Token.asNumber(propertyAccess(thresholds.value, [threshold])),
            treatMissingData: 'breaching',
            alarmActions: [topicArn],
            okActions: [topicArn],
            tags: tags.value,
          }),
          id,
        ),
        why,
      );
    alarm('snapshot_age', ALARMS.snapshotAge, 'snapshot_age_seconds', 'Backups that silently stopped: the newest snapshot in the bucket, as every master sees it.');
    alarm('certificates', ALARMS.certificates, 'certificate_days_left', "kubeadm's one-year certificates: the fewest days left on any master.");
    alarm('database_quota', ALARMS.databaseQuota, 'database_quota_percent', 'etcd refuses every write at its quota: the fullest member.');
    // EBS's own checks on every etcd volume: for_each over the volumes, keyed by their Name tags.
    const volumes = variable(stack, 'etcd_volumes', 'map(object({\nid = string\nalarm_name = string\n}))', "Every master's etcd volumes, by their Name tags: the volume's ID and the name of its alarm.");
    const volume = TerraformIterator.fromMap(volumes.value);
    const check = (id: string, metricName: string) => ({
      id,
      metric: { namespace: 'AWS/EBS', metricName, dimensions: { VolumeId: volume.getString('id') }, period: VOLUME_ALARM.periodSeconds, stat: 'Maximum' },
    });
    describe(
      tfName(
        new CloudwatchMetricAlarm(stack, 'etcd_volume', {
          forEach: volume,
          alarmName: volume.getString('alarm_name'),
          alarmDescription: VOLUME_ALARM.description,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          threshold: 1,
          evaluationPeriods: VOLUME_ALARM.evaluationPeriods,
          datapointsToAlarm: VOLUME_ALARM.datapointsToAlarm,
          treatMissingData: 'notBreaching',
          metricQuery: [
            { id: 'exceeded', expression: 'iops + throughput', label: `${Token.asString(volume.key)} at its IOPS or throughput limit`, returnData: true },
            check('iops', EBS_EXCEEDED_METRICS.iops),
            check('throughput', EBS_EXCEEDED_METRICS.throughput),
          ],
          alarmActions: [topicArn],
          okActions: [topicArn],
          tags: tags.value,
        }),
        'etcd_volume',
      ),
      "Slow etcd disks (kops #10438): each volume's demand above its provisioned IOPS or throughput, minute by minute.",
    );
    output(stack, AlarmsOutputs.topicArn, topicArn, 'ARN of the SNS topic the alarms notify.');
    return [{ dir: DIR, stack, summary: "CloudWatch alarms on the masters' metrics: stale etcd backups, expiring certificates, etcd near its quota; and on EBS's: etcd volumes at their limits." }];
  },

  wire(ctx) {
    const a = ctx.plan.alarms;
    if (!a) return;
    callModule(ctx, ALARMS_MODULE, DIR, {
      namespace: a.namespace,
      alarm_names: { snapshot_age: a.names.snapshotAge, certificates: a.names.certificates, database_quota: a.names.databaseQuota },
      thresholds: { snapshot_age_seconds: ALARMS.snapshotAge.threshold, certificate_days_left: ALARMS.certificates.threshold, database_quota_percent: ALARMS.databaseQuota.threshold },
      ...('name' in a.topic ? { topic_name: a.topic.name, kms_key_arn: moduleNamed(ctx, KMS_MODULE).get(KmsOutputs.keyArn) } : { topic_arn: a.topic.arn }),
      etcd_volumes: Object.fromEntries(
        a.volumes.map((v) => [v.volumeName, { id: Fn.lookup(moduleNamed(ctx, v.module).get(MasterOutputs.volumeIds), v.kind), alarm_name: v.alarmName }]),
      ),
      tags: ctx.shared.tags,
    });
  },
};
