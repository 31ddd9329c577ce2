import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot, removeBootDirs } from '../bootstrap/simulator.js';
import { haform } from '../cli/run.js';
import { findTerraform, REQUIRE_TERRAFORM } from '../terraform/harness.js';
import { ALARMS, METRICS } from '../../src/model/alarms.js';
import { init } from './cluster.js';
import { EMULATOR_IMAGE, type Emulator, emulatorOrSkip, startEmulator, writeEmulatorOverride } from './emulator.js';

/**
 * The alarms against moto, apart from apply.test.ts (whose time is spent): the alarms module of the
 * public example applied (with the key its topic is encrypted with), then monitor.sh publishing
 * through the real AWS CLI, and each alarm's definition, as moto stores it, held against the
 * datapoints moto returns. moto 5.2 stores alarms but never evaluates them (an alarm stays in the
 * state it was created or set with, moto/cloudwatch/models.py: only set_alarm_state changes it),
 * so the evaluation is CloudWatch's rule for one period, written out here: the statistic of the
 * period's datapoints against the threshold, no datapoint at all as treat_missing_data says.
 */
const { tf, missing } = findTerraform();
if (!tf && REQUIRE_TERRAFORM) throw new Error(`the alarms emulator check cannot run: ${missing} (HAFORM_REQUIRE_TERRAFORM=1)`);
const ready = !!tf && emulatorOrSkip('the alarms emulator check');

const REGION = 'us-west-2';
const CLUSTER = 'hacluster.example.com';
const NS = `haform/${CLUSTER}`;
const work = mkdtempSync(join(tmpdir(), 'haform-alarms-'));
let emu: Emulator;
beforeAll(async () => {
  if (ready) emu = await startEmulator();
});
afterAll(async () => {
  removeBootDirs();
  await emu?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface StoredAlarm {
  AlarmName: string;
  Namespace: string;
  MetricName: string;
  Statistic: 'Maximum' | 'Minimum';
  Period: number;
  EvaluationPeriods: number;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions: string[];
  StateValue: string;
}

/** CloudWatch's verdict for an alarm of one evaluation period on that period's datapoints. */
function evaluate(a: StoredAlarm, values: number[]): 'ALARM' | 'OK' {
  if (values.length === 0) return a.TreatMissingData === 'breaching' ? 'ALARM' : 'OK';
  const v = a.Statistic === 'Maximum' ? Math.max(...values) : Math.min(...values);
  const breach = { GreaterThanThreshold: v > a.Threshold, LessThanOrEqualToThreshold: v <= a.Threshold, LessThanThreshold: v < a.Threshold, GreaterThanOrEqualToThreshold: v >= a.Threshold }[a.ComparisonOperator];
  if (breach === undefined) throw new Error(`unknown comparison ${a.ComparisonOperator}`);
  return breach ? 'ALARM' : 'OK';
}

interface VolumeAlarm extends StoredAlarm {
  DatapointsToAlarm: number;
  Metrics: { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Period: number; Stat: string } }[];
}

/**
 * CloudWatch's verdict for an M-of-N alarm on a sum of its metric queries (the only expression form
 * haform writes: `a + b`), each period's value the sum of the queries' datapoints of that period;
 * a period with none is missing, and missing is not breaching here (the alarm says so, checked).
 */
function evaluateMath(a: VolumeAlarm, series: Map<string, Map<string, number>>): 'ALARM' | 'OK' {
  expect(a.TreatMissingData).toBe('notBreaching');
  expect(a.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
  const math = a.Metrics.filter((q) => q.Expression !== undefined);
  expect(math).toHaveLength(1);
  expect(math[0]!.ReturnData).toBe(true);
  const terms = math[0]!.Expression!.split('+').map((t) => t.trim());
  expect(terms.every((t) => series.has(t)), math[0]!.Expression).toBe(true);
  const periods = [...new Set(terms.flatMap((t) => [...series.get(t)!.keys()]))].sort().slice(-a.EvaluationPeriods);
  const breaching = periods.filter((p) => terms.reduce((sum, t) => sum + (series.get(t)!.get(p) ?? 0), 0) >= a.Threshold).length;
  return breaching >= a.DatapointsToAlarm ? 'ALARM' : 'OK';
}

describe.skipIf(!ready)('the alarms against the AWS API emulator', () => {
  it('apply with their topic; a stale backup, as monitor.sh publishes it, fires the snapshot alarm by its own definition, and so does silence; an etcd volume at its limit 3 minutes in 5 fires its own', { timeout: 15 * 60_000 }, async () => {
    // The public example without its hosted zone (the alarms need none; moto's zone ids take long to be AWS-shaped).
    const yaml = join(work, 'public.yaml');
    writeFileSync(yaml, readFileSync('fixtures/examples/public.yaml', 'utf8').replace('  dns:\n    zoneName: example.com\n', '  dns: {none: true}\n').replace(/\nspec:\n/, `\nspec:\n  image: ${EMULATOR_IMAGE}\n`));
    const out = join(work, 'public');
    const g = haform(['generate', yaml, '--out', out]);
    expect(g.exitCode, g.stderr).toBe(0);
    writeEmulatorOverride(out, emu.url);
    await init(tf!, out);
    // The alarms and what they need (the cluster key of their topic), not the whole cluster.
    const applied = await tf!.runOnHost(['apply', '-input=false', '-auto-approve', '-target=module.alarms'], out);
    expect(applied.code, applied.output.slice(-4000)).toBe(0);

    const aws = (args: string[]) => emu.aws(REGION, args);
    const topics: string[] = (await aws(['sns', 'list-topics'])).Topics.map((t: { TopicArn: string }) => t.TopicArn);
    const topic = topics.find((t) => t.endsWith(':hacluster-example-com-alarms'))!;
    expect(topic).toBeDefined();
    expect((await aws(['sns', 'get-topic-attributes', '--topic-arn', topic])).Attributes.KmsMasterKeyId).toMatch(/^arn:aws:kms:us-west-2:\d{12}:key\//);
    const stored: StoredAlarm[] = (await aws(['cloudwatch', 'describe-alarms'])).MetricAlarms;
    const byName = (n: string) => stored.find((a) => a.AlarmName === `${CLUSTER}-${n}`)!;
    const snapshot = byName('etcd-backup-stale');
    const certificates = byName('certificates-expiring');
    const quota = byName('etcd-database-quota');
    for (const [a, d] of [[snapshot, ALARMS.snapshotAge], [certificates, ALARMS.certificates], [quota, ALARMS.databaseQuota]] as const) {
      expect(a, d.metric).toMatchObject({ Namespace: NS, MetricName: d.metric, Statistic: d.statistic, Period: d.periodSeconds, EvaluationPeriods: 1, Threshold: d.threshold, ComparisonOperator: d.comparison, TreatMissingData: 'breaching', AlarmActions: [topic] });
    }
    expect(snapshot.Threshold).toBe(7200);

    // The cluster bucket as the masters find it (its name in SSM), holding one snapshot.
    const bucket = 'hacluster-example-com-alarms-check';
    await aws(['s3api', 'create-bucket', '--bucket', bucket, '--create-bucket-configuration', `LocationConstraint=${REGION}`]);
    await aws(['s3api', 'put-object', '--bucket', bucket, '--key', 'backups/etcd/main/2026-12-03T080000Z-a.db', '--body', yaml]);
    await aws(['ssm', 'put-parameter', '--type', 'String', '--name', `/haform/${CLUSTER}/cluster/bucket`, '--value', bucket]);

    const monitor = readFileSync(join(out, 'userdata/monitor.sh'), 'utf8');
    const publish = (clockAheadSeconds: number) =>
      boot(monitor, { zone: 'us-west-2a', region: REGION, etcdStatus: { dbSize: 1024 ** 3 }, etcdManifest: '    - --quota-backend-bytes=8589934592\n' }, { args: ['etcd'], awsEnv: emu.env, clockAheadSeconds });
    /** The datapoints of the alarm's metric in the period ending now, at its statistic. */
    const period = async (a: StoredAlarm): Promise<number[]> => {
      const end = new Date(Date.now() + 60_000);
      const start = new Date(end.getTime() - a.Period * 1000);
      const query = [{ Id: 'm', MetricStat: { Metric: { Namespace: a.Namespace, MetricName: a.MetricName }, Period: a.Period, Stat: a.Statistic } }];
      const r = await aws(['cloudwatch', 'get-metric-data', '--metric-data-queries', JSON.stringify(query), '--start-time', start.toISOString(), '--end-time', end.toISOString()]);
      return r.MetricDataResults[0].Values;
    };

    // A fresh snapshot: the age moto holds is seconds, the alarm's verdict OK.
    const fresh = publish(0);
    expect(fresh.code, fresh.stderr).toBe(0);
    const freshAges = await period(snapshot);
    expect(freshAges).toHaveLength(1);
    expect(freshAges[0]).toBeLessThan(120);
    expect(evaluate(snapshot, freshAges)).toBe('OK');
    // The database: 1 GiB of 8 GiB, below 80%.
    expect(await period(quota)).toEqual([12.5]);
    expect(evaluate(quota, await period(quota))).toBe('OK');

    // The same snapshot three hours later (the master's clock ahead): 10800 s, past twice the interval.
    const stale = publish(3 * 3600);
    expect(stale.code, stale.stderr).toBe(0);
    const ages = await period(snapshot);
    expect(Math.max(...ages)).toBeGreaterThanOrEqual(10_800);
    expect(Math.max(...ages)).toBeLessThan(10_800 + 120);
    expect(evaluate(snapshot, ages)).toBe('ALARM');
    // (moto lists a metric once per datapoint; CloudWatch once.)
    const listed = [...new Set((await aws(['cloudwatch', 'list-metrics', '--namespace', NS])).Metrics.map((m: { MetricName: string }) => m.MetricName))].sort();
    expect(listed).toEqual([METRICS.databaseQuota, METRICS.snapshotAge].sort());

    // Silence: no master has published the certificates' metric: missing, so breaching.
    expect(await period(certificates)).toEqual([]);
    expect(evaluate(certificates, [])).toBe('ALARM');

    // moto itself never moved the alarm: the verdict above is the definition's, not moto's.
    expect((await aws(['cloudwatch', 'describe-alarms', '--alarm-names', snapshot.AlarmName])).MetricAlarms[0].StateValue).toBe(snapshot.StateValue);

    // The etcd volumes' alarms: one per volume that apply made, each on EBS's own checks of that volume.
    const volumes: { VolumeId: string; Tags: { Key: string; Value: string }[] }[] = (await aws(['ec2', 'describe-volumes', '--filters', 'Name=tag-key,Values=k8s.io/role/master'])).Volumes;
    expect(volumes).toHaveLength(6);
    const volumeAlarms = (stored as unknown as VolumeAlarm[]).filter((a) => a.AlarmName.startsWith(`${CLUSTER}-etcd-volume-`));
    expect(volumeAlarms.map((a) => a.AlarmName).sort()).toEqual(['a', 'b', 'c'].flatMap((m) => ['events', 'main'].map((k) => `${CLUSTER}-etcd-volume-${m}-${k}`)).sort());
    const volumeOf = (a: VolumeAlarm) => {
      const ids = a.Metrics.filter((q) => q.MetricStat).map((q) => q.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'VolumeId')!.Value);
      expect(new Set(ids).size, a.AlarmName).toBe(1);
      const v = volumes.find((x) => x.VolumeId === ids[0])!;
      return v.Tags.find((t) => t.Key === 'Name')!.Value;
    };
    for (const a of volumeAlarms) {
      const [, member, kind] = /etcd-volume-([a-z0-9]+)-(main|events)$/.exec(a.AlarmName)!;
      expect(volumeOf(a), a.AlarmName).toBe(`${member}.etcd-${kind}.${CLUSTER}`);
      expect(a, a.AlarmName).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching', AlarmActions: [topic] });
    }
    const alarmOf = (member: string, kind: string) => volumeAlarms.find((a) => a.AlarmName === `${CLUSTER}-etcd-volume-${member}-${kind}`)!;
    const idOf = (member: string, kind: string) => volumes.find((v) => v.Tags.some((t) => t.Key === 'Name' && t.Value === `${member}.etcd-${kind}.${CLUSTER}`))!.VolumeId;
    // EBS's checks of the last five minutes, as EBS publishes them: 1 for a minute at the limit.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const at = (n: number) => new Date(minute - (4 - n) * 60_000 + 1000).toISOString();
    const publishChecks = async (volumeId: string, metric: string, minutes: number[]) => {
      const data = [0, 1, 2, 3, 4].map((n) => ({ MetricName: metric, Dimensions: [{ Name: 'VolumeId', Value: volumeId }], Timestamp: at(n), Value: minutes.includes(n) ? 1 : 0 }));
      await aws(['cloudwatch', 'put-metric-data', '--namespace', 'AWS/EBS', '--metric-data', JSON.stringify(data)]);
    };
    // a's main volume at its IOPS limit in 3 minutes; a's events at both limits in the same 2 minutes;
    // b's main at its IOPS limit twice and its throughput limit once more; c publishes nothing.
    await publishChecks(idOf('a', 'main'), 'VolumeIOPSExceededCheck', [0, 2, 4]);
    await publishChecks(idOf('a', 'main'), 'VolumeThroughputExceededCheck', []);
    await publishChecks(idOf('a', 'events'), 'VolumeIOPSExceededCheck', [1, 3]);
    await publishChecks(idOf('a', 'events'), 'VolumeThroughputExceededCheck', [1, 3]);
    await publishChecks(idOf('b', 'main'), 'VolumeIOPSExceededCheck', [0, 1]);
    await publishChecks(idOf('b', 'main'), 'VolumeThroughputExceededCheck', [3]);
    /** Each metric query of the alarm, as stored, run through moto: its datapoints by period start. */
    const mathInputs = async (a: VolumeAlarm, end: number) => {
      const out = new Map<string, Map<string, number>>();
      for (const q of a.Metrics.filter((m) => m.MetricStat)) {
        const period = q.MetricStat!.Period * 1000;
        // The N periods that end with the one holding `end`.
        const r = await aws(['cloudwatch', 'get-metric-data', '--metric-data-queries', JSON.stringify([{ Id: q.Id, MetricStat: q.MetricStat, ReturnData: true }]), '--start-time', new Date(end - (a.EvaluationPeriods - 1) * period).toISOString(), '--end-time', new Date(end + period).toISOString()]);
        const res = r.MetricDataResults[0] as { Timestamps: string[]; Values: number[] };
        out.set(q.Id, new Map(res.Timestamps.map((t, i) => [new Date(t).toISOString(), res.Values[i]!])));
      }
      return out;
    };
    const verdicts = Object.fromEntries(await Promise.all(['a', 'b', 'c'].flatMap((m) => ['main', 'events'].map(async (k) => [`${m}-${k}`, evaluateMath(alarmOf(m, k), await mathInputs(alarmOf(m, k), minute))] as const))));
    expect(verdicts).toEqual({ 'a-main': 'ALARM', 'a-events': 'OK', 'b-main': 'ALARM', 'b-events': 'OK', 'c-main': 'OK', 'c-events': 'OK' });
  });
});
