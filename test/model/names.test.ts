import { describe, expect, it } from 'vitest';
import * as n from '../../src/model/names.js';

/** Names as kops makes them, and within AWS's limits however long the cluster name is. */
const LONG = `${'a'.repeat(50)}.prod.${'b'.repeat(40)}.example.com`;

describe('names', () => {
  it('Terraform identifiers from any text', () => {
    expect(n.tfId('us-west-2a')).toBe('us_west_2a');
    expect(n.tfId('US.West--2a')).toBe('us_west_2a');
    expect(n.tfId('-a-')).toBe('a');
    expect(n.tfId('2a')).toBe('_2a');
    expect(n.tfId('_x_')).toBe('x');
    expect(n.tfId('__x__')).toBe('x');
    expect(n.masterModule('a2')).toBe('master_a2');
    expect(n.nodesModule()).toBe('nodes');
    expect(n.nodesModule('us-west-2b')).toBe('nodes_b');
  });

  it('the alarms: a namespace per cluster (IAM holds the masters to it), topic and alarm names within their limits', () => {
    expect(n.metricNamespace('c.example.com')).toBe('haform/c.example.com');
    expect(n.alarmTopicName('c.example.com')).toBe('c-example-com-alarms');
    expect(n.alarmName('c.example.com', 'etcd-backup-stale')).toBe('c.example.com-etcd-backup-stale');
    const huge = `${'x'.repeat(250)}.example.com`;
    expect(n.metricNamespace(huge).length).toBeLessThanOrEqual(255);
    expect(n.alarmTopicName(huge)).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(n.alarmName(huge, 'etcd-backup-stale')).toMatch(/^.{1,255}$/);
    expect(n.alarmName(huge, 'etcd-backup-stale')).toMatch(/-etcd-backup-stale$/);
  });

  it("kops's names for groups, volumes, subnets and the internal API", () => {
    expect(n.etcdVolumeName('a2', 'c.example.com', 'events')).toBe('a2.etcd-events.c.example.com');
    expect(n.masterGroupName('a', 'us-west-2a', 'c.example.com')).toBe('master-us-west-2a.masters.c.example.com');
    expect(n.masterGroupName('a2', 'us-west-2a', 'c.example.com')).toBe('master-us-west-2a-2.masters.c.example.com');
    expect(n.nodeGroupName(undefined, 'c.example.com')).toBe('nodes.c.example.com');
    expect(n.nodeGroupName('us-west-2b', 'c.example.com')).toBe('nodes-us-west-2b.c.example.com');
    expect(n.bastionGroupName('c.example.com')).toBe('bastions.c.example.com');
    expect(n.subnetName('us-west-2a', 'c.example.com', false)).toBe('us-west-2a.c.example.com');
    expect(n.subnetName('us-west-2a', 'c.example.com', true)).toBe('utility-us-west-2a.c.example.com');
    expect(n.internalApiName('c.example.com')).toBe('api.internal.c.example.com');
    expect(n.parameterPath('c.example.com')).toBe('/haform/c.example.com');
    expect(n.moduleAddress('master_a', 'aws_ebs_volume', 'etcd_main')).toBe('module.master_a.aws_ebs_volume.etcd_main');
    expect([n.TF.subnet('us-west-2a', 'private'), n.TF.subnet('us-west-2a', 'public'), n.TF.utilitySubnet('us-west-2a'), n.TF.etcdVolume('events')]).toEqual(['private["us-west-2a"]', 'public["us-west-2a"]', 'utility["us-west-2a"]', 'etcd_events']);
  });

  it('short names are left alone', () => {
    expect(n.roleName('masters', 'c.example.com')).toBe('masters.c.example.com');
    expect(n.securityGroupName('api-elb', 'c.example.com')).toBe('api-elb.c.example.com');
    expect(n.loadBalancerName('api', 'c.example.com')).toBe('api-c-example-com');
    expect(n.bucketPrefix('c.example.com')).toBe('c-example-com-');
    expect(n.terminationQueueName('c.example.com')).toBe('c-example-com-termination');
    expect(n.eventRuleName(n.eventRulePrefix('c.example.com'), 'spot_interruption')).toBe('c-example-com-spot-interruption');
  });

  it('long names fit the AWS limits, keep a stable hash, and two clusters never share one', () => {
    const other = LONG.replace('prod', 'test');
    const role = n.roleName('masters', LONG);
    expect(role).toHaveLength(64);
    expect(role).toBe(n.roleName('masters', LONG));
    expect(role).not.toBe(n.roleName('masters', other));
    expect(role.startsWith('masters.aaaa')).toBe(true);
    expect(role).toMatch(/[0-9a-f]{6}$/);
    const lb = n.loadBalancerName('api', LONG);
    expect(lb.length).toBeLessThanOrEqual(32);
    expect(lb).toMatch(/^api-a+-[0-9a-f]{6}$/);
    expect(lb).not.toBe(n.loadBalancerName('api', other));
    expect(n.loadBalancerName('tcp', LONG)).toMatch(/^tcp-/);
    expect(n.limit('x'.repeat(10), 10)).toBe('x'.repeat(10));
    expect(n.limit('x'.repeat(11), 10)).toHaveLength(10);
    expect(n.limit('abc.-defghijkl', 10, '-')).toMatch(/^abc-[0-9a-f]{6}$/);
    expect(n.limit('ab.-cdefghijk', 10)).toMatch(/^ab[0-9a-f]{6}$/);
    const bucket = n.bucketPrefix(LONG);
    expect(bucket.length).toBeLessThanOrEqual(37);
    expect(bucket).toMatch(/^[a-z0-9-]+-$/);
    expect(bucket).not.toMatch(/--$/);
    expect(n.bucketPrefix(`${'a'.repeat(34)}..b.example.com`)).toBe(`${'a'.repeat(34)}-`);
    expect(n.terminationQueueName(LONG).length).toBeLessThanOrEqual(80);
    expect(n.terminationQueueName(LONG)).toMatch(/^[A-Za-z0-9-]+-termination$/);
    expect(n.eventRuleName(n.eventRulePrefix(LONG), 'instance_state_change').length).toBeLessThanOrEqual(64);
    expect(n.eventRuleName(n.eventRulePrefix(LONG), 'x')).toBe(`${'a'.repeat(40)}-x`);
  });
});
