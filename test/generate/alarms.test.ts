import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { BACKUP_EVERY_MINUTES } from '../../src/model/recovery.js';
import { topLevelBlocks } from '../../src/render/hcl-fix.js';
import { loadClusterText } from '../../src/spec/index.js';

/**
 * The alarms as the synthesized Terraform has them, read by meaning: each alarm's metric, namespace,
 * threshold, missing-data rule and actions, the topic, and what the masters may do for them.
 */
const blocks = (hcl: string) => topLevelBlocks(hcl.replace(/^\s*#.*$/gm, ''));
const attr = (text: string, name: string) => new RegExp(`\\n\\s*${name}\\s*=\\s*"?([^"\\n]*)"?`).exec(text)?.[1];
const resource = (hcl: string, type: string, name: string) => blocks(hcl).find((b) => b.kind === 'resource' && b.labels[0] === type && b.labels[1] === name)?.text;

const PUBLIC = readFileSync('fixtures/examples/public.yaml', 'utf8');
async function files(alarms = '') {
  const yaml = alarms ? PUBLIC.replace(/\nspec:\n/, `\nspec:\n${alarms}`) : PUBLIC;
  return new Map((await generateFiles(loadClusterText('public.yaml', yaml).spec!)).map((f) => [f.path, f.content]));
}

describe('alarms, on by default', () => {
  it('three alarms on the masters\' namespace, missing data breaching, notifying the cluster\'s own topic', async () => {
    const f = await files();
    const alarms = f.get('modules/alarms/main.tf')!;
    const call = blocks(f.get('main.tf')!).find((b) => b.kind === 'module' && b.labels[0] === 'alarms')!.text;
    expect(attr(call, 'namespace')).toBe('haform/hacluster.example.com');
    expect(attr(call, 'topic_name')).toBe('hacluster-example-com-alarms');
    expect(call).toContain('kms_key_arn = module.kms.key_arn');
    // The threshold of staleness: twice the backup interval of master.sh's timer.
    expect(Number(attr(call, 'snapshot_age_seconds'))).toBe(2 * BACKUP_EVERY_MINUTES * 60);
    expect(Number(attr(call, 'snapshot_age_seconds'))).toBe(7200);
    expect(Number(attr(call, 'certificate_days_left'))).toBe(30);
    expect(Number(attr(call, 'database_quota_percent'))).toBe(80);

    const topic = resource(alarms, 'aws_sns_topic', 'this')!;
    expect(attr(topic, 'kms_master_key_id')).toBe('var.kms_key_arn');
    const expected = {
      snapshot_age: { metric: 'EtcdSnapshotAgeSeconds', statistic: 'Maximum', comparison: 'GreaterThanThreshold', threshold: 'var.thresholds.snapshot_age_seconds', period: '900' },
      certificates: { metric: 'CertificateDaysLeft', statistic: 'Minimum', comparison: 'LessThanOrEqualToThreshold', threshold: 'var.thresholds.certificate_days_left', period: '86400' },
      database_quota: { metric: 'EtcdDatabaseQuotaUsedPercent', statistic: 'Maximum', comparison: 'GreaterThanThreshold', threshold: 'var.thresholds.database_quota_percent', period: '900' },
    };
    const found = blocks(alarms).filter((b) => b.kind === 'resource' && b.labels[0] === 'aws_cloudwatch_metric_alarm').map((b) => b.labels[1]);
    expect(found.sort()).toEqual([...Object.keys(expected), 'etcd_volume'].sort());
    for (const [name, e] of Object.entries(expected)) {
      const a = resource(alarms, 'aws_cloudwatch_metric_alarm', name)!;
      expect(attr(a, 'metric_name'), name).toBe(e.metric);
      expect(attr(a, 'namespace'), name).toBe('var.namespace');
      expect(attr(a, 'statistic'), name).toBe(e.statistic);
      expect(attr(a, 'comparison_operator'), name).toBe(e.comparison);
      expect(attr(a, 'threshold'), name).toBe(e.threshold);
      expect(attr(a, 'period'), name).toBe(e.period);
      expect(attr(a, 'evaluation_periods'), name).toBe('1');
      expect(attr(a, 'treat_missing_data'), name).toBe('breaching');
      expect(a.replace(/\s+/g, ' '), name).toContain('alarm_actions = [ aws_sns_topic.this.arn ]');
      expect(a.replace(/\s+/g, ' '), name).toContain('ok_actions = [ aws_sns_topic.this.arn ]');
      expect(attr(a, 'alarm_name'), name).toBe(`var.alarm_names.${name}`);
    }
    expect(f.get('outputs.tf')).toContain('output "alarm_topic_arn"');
  });

  it("one alarm per etcd volume of every master, on EBS's own checks of that volume, 3 of 5 minutes, silence not breaching", async () => {
    // Five masters in three zones: two zones hold two (members a2, b2).
    const f = new Map((await generateFiles(loadClusterText('public.yaml', PUBLIC.replace('masterCount: 3', 'masterCount: 5')).spec!)).map((x) => [x.path, x.content]));
    const alarms = f.get('modules/alarms/main.tf')!;
    const a = resource(alarms, 'aws_cloudwatch_metric_alarm', 'etcd_volume')!;
    expect(attr(a, 'for_each')).toBe('var.etcd_volumes');
    expect(attr(a, 'alarm_name')).toBe('each.value.alarm_name');
    expect(attr(a, 'comparison_operator')).toBe('GreaterThanOrEqualToThreshold');
    expect(attr(a, 'threshold')).toBe('1');
    expect(attr(a, 'evaluation_periods')).toBe('5');
    expect(attr(a, 'datapoints_to_alarm')).toBe('3');
    expect(attr(a, 'treat_missing_data')).toBe('notBreaching');
    expect(a.replace(/\s+/g, ' ')).toContain('alarm_actions = [ aws_sns_topic.this.arn ]');
    // The two checks of the volume itself, minute by minute; the alarm on either.
    const queries = [...a.matchAll(/metric_query \{([\s\S]*?)\n  \}/g)].map((m) => m[1]!);
    expect(queries.map((q) => attr(q, 'id'))).toEqual(['exceeded', 'iops', 'throughput']);
    expect(attr(queries[0]!, 'expression')).toBe('iops + throughput');
    expect(attr(queries[0]!, 'return_data')).toBe('true');
    for (const [q, metric] of [[queries[1]!, 'VolumeIOPSExceededCheck'], [queries[2]!, 'VolumeThroughputExceededCheck']] as const) {
      expect(attr(q, 'metric_name')).toBe(metric);
      expect(attr(q, 'namespace')).toBe('AWS/EBS');
      expect(attr(q, 'VolumeId')).toBe('each.value.id');
      expect(attr(q, 'period')).toBe('60');
      expect(attr(q, 'stat')).toBe('Maximum');
      expect(attr(q, 'return_data')).toBeUndefined();
    }
    // Every volume of every master, each by its own master's output, each alarm named apart.
    const call = blocks(f.get('main.tf')!).find((b) => b.kind === 'module' && b.labels[0] === 'alarms')!.text;
    const entries = [...call.matchAll(/"([a-z0-9]+)\.etcd-(main|events)\.hacluster\.example\.com" = \{\s*id\s*= (\S+)\s*alarm_name = "([^"]+)"/g)].map((m) => ({ member: m[1], kind: m[2], id: m[3], name: m[4] }));
    const masters = [...f.get('main.tf')!.matchAll(/module "master_([a-z0-9]+)"/g)].map((m) => m[1]!);
    expect(masters).toHaveLength(5);
    expect(entries).toHaveLength(10);
    for (const m of masters)
      for (const kind of ['main', 'events']) expect(entries.find((e) => e.member === m && e.kind === kind), `${m} ${kind}`).toEqual({ member: m, kind, id: `module.master_${m}.etcd_volume_ids.${kind}`, name: `hacluster.example.com-etcd-volume-${m}-${kind}` });
    expect(f.get(`modules/master/outputs.tf`)!.replace(/\s+/g, ' ')).toContain('output "etcd_volume_ids" { value = { main = aws_ebs_volume.etcd_main.id events = aws_ebs_volume.etcd_events.id }');
  });

  it("the masters publish into their namespace only, read monitor.sh, and CloudWatch may use the key for the topic", async () => {
    const f = await files();
    const iam = f.get('modules/iam/main.tf')!;
    const doc = blocks(iam).find((b) => b.kind === 'data' && b.labels[0] === 'aws_iam_policy_document' && b.labels[1] === 'masters')!.text;
    expect(doc.replace(/\s+/g, ' ')).toContain('statement { actions = [ "cloudwatch:PutMetricData" ] resources = [ "*" ] sid = "PublishMetrics" condition { test = "StringEquals" values = [ var.metric_namespace ] variable = "cloudwatch:namespace" } }');
    expect(doc.match(/cloudwatch:/g)).toHaveLength(2);
    expect(doc).toContain('${var.bucket_arn}/boot/monitor.sh');
    const call = blocks(f.get('main.tf')!).find((b) => b.kind === 'module' && b.labels[0] === 'iam')!.text;
    expect(attr(call, 'metric_namespace')).toBe('haform/hacluster.example.com');
    const key = f.get('modules/kms/main.tf')!;
    // CloudWatch may use the key for the alarms' topic only (SNS's encryption context names it).
    expect(key.replace(/\s+/g, ' ')).toContain(
      'statement { actions = [ "kms:Decrypt", "kms:GenerateDataKey*" ] resources = [ "*" ] sid = "AlarmTopic" condition { test = "ArnEquals" values = [ "arn:${data.aws_partition.current.partition}:sns:${var.region}:${data.aws_caller_identity.current.account_id}:${var.alarm_topic_name}" ] variable = "kms:EncryptionContext:aws:sns:topicArn" } principals { identifiers = [ "cloudwatch.amazonaws.com" ] type = "Service" } }',
    );
  });

  it('monitor.sh goes with the boot scripts to the bucket; master.sh takes it and gives etcd its quota and compaction', async () => {
    const f = await files('  etcd: {quotaBackendBytes: 4294967296, compactionRetention: 30m}\n');
    expect(f.get('userdata/monitor.sh')).toContain('readonly NAMESPACE="haform/hacluster.example.com"');
    const master = f.get('userdata/master.sh')!;
    expect(master).toContain('--key boot/monitor.sh');
    expect(master).toMatch(/etcd:\n {2}local:\n {4}dataDir: \$\{ETCD_DATA\}\n[\s\S]*extraArgs:\n {6}- \{name: quota-backend-bytes, value: "4294967296"\}\n {6}- \{name: auto-compaction-mode, value: periodic\}\n {6}- \{name: auto-compaction-retention, value: "30m"\}\n/);
  });
});

describe('alarms to a topic of yours, or none', () => {
  it('topicArn: no topic of haform\'s, the alarms notify yours, the key has no statement for it', async () => {
    const arn = 'arn:aws:sns:us-west-2:111122223333:ops-pager';
    const f = await files(`  alarms: {topicArn: "${arn}"}\n`);
    const alarms = f.get('modules/alarms/main.tf')!;
    expect(blocks(alarms).filter((b) => b.labels[0] === 'aws_sns_topic')).toEqual([]);
    expect(resource(alarms, 'aws_cloudwatch_metric_alarm', 'snapshot_age')!.replace(/\s+/g, ' ')).toContain('alarm_actions = [ var.topic_arn ]');
    const call = blocks(f.get('main.tf')!).find((b) => b.kind === 'module' && b.labels[0] === 'alarms')!.text;
    expect(attr(call, 'topic_arn')).toBe(arn);
    expect(f.get('modules/kms/main.tf')).not.toContain('AlarmTopic');
  });

  it('enabled: false: no module, no monitor.sh, no CloudWatch permission, master.sh reads only its own script', async () => {
    const f = await files('  alarms: {enabled: false}\n');
    expect([...f.keys()].filter((p) => p.startsWith('modules/alarms/') || p === 'userdata/monitor.sh')).toEqual([]);
    const iam = f.get('modules/iam/main.tf')!;
    expect(iam).not.toContain('cloudwatch:');
    expect(iam).not.toContain('monitor.sh');
    expect(f.get('outputs.tf')).not.toContain('alarm_topic_arn');
    expect(f.get('modules/kms/main.tf')).not.toContain('AlarmTopic');
  });
});
