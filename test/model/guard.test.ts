import { describe, expect, it } from 'vitest';
import { guardStatefulChanges } from '../../src/model/guard.js';
import { statefulInventory } from '../../src/model/inventory.js';
import { buildPlan } from '../../src/model/plan.js';
import { loadClusterFile } from '../../src/spec/index.js';

const plan = (f: string) => buildPlan(loadClusterFile(`fixtures/day2/${f}.yaml`).spec!);
const inv = (f: string) => statefulInventory(plan(f));

describe('guardStatefulChanges', () => {
  it.each([
    ['one-master', 'three-masters'],
    ['three-masters', 'five-masters'],
    ['three-masters', 'four-zones'],
  ])('%s -> %s only adds state', (a, b) => {
    expect(guardStatefulChanges(inv(a), inv(b))).toEqual({ destructions: [], moves: [], forgets: [] });
  });

  it('removing masters names each etcd volume it would destroy', () => {
    const g = guardStatefulChanges(inv('three-masters'), inv('one-master'));
    expect(g.destructions.map((d) => d.address)).toEqual([
      'module.master_b.aws_network_interface.member',
      'module.master_b.aws_ebs_volume.etcd_main',
      'module.master_b.aws_ebs_volume.etcd_events',
      'module.master_c.aws_network_interface.member',
      'module.master_c.aws_ebs_volume.etcd_main',
      'module.master_c.aws_ebs_volume.etcd_events',
    ]);
    expect(g.destructions[0]!.reason).toContain('etcd member b loses its peer address');
    expect(g.destructions[1]!.reason).toContain('leaves the configuration with etcd member b (remove the member from etcd first); a removed block keeps the volume in AWS');
    // Never destroyed: the same addresses become removed blocks with destroy = false.
    expect([...g.forgets].sort()).toEqual(g.destructions.map((d) => d.address).sort());
  });

  it('public -> private: masters move subnets and the subnets are split anew (as kops splits them), reported per zone', () => {
    const g = guardStatefulChanges(inv('three-masters'), inv('three-masters-private'));
    expect([...new Set(g.destructions.map((d) => d.address))]).toEqual(['a', 'b', 'c'].map((z) => `module.network.aws_subnet.private["us-east-1${z}"]`));
    const a = g.destructions.filter((d) => d.address === 'module.network.aws_subnet.private["us-east-1a"]').map((d) => d.reason);
    expect(a).toEqual(expect.arrayContaining([expect.stringContaining('masters a would move from a public to a private subnet'), expect.stringContaining('cidr_block would change from "172.20.0.0/18" to "172.20.64.0/18"')]));
  });

  it('attributes that force replacement: zone, size decrease, type, KMS key, CIDR', () => {
    const before = inv('three-masters');
    const vol = before.find((r) => r.address === 'module.master_a.aws_ebs_volume.etcd_main')!;
    const vpc = before.find((r) => r.kind === 'vpc')!;
    const change = (attrs: Record<string, unknown>, r = vol) => guardStatefulChanges([r], [{ ...r, attributes: { ...r.attributes, ...attrs } } as typeof r]).destructions.map((d) => d.reason);
    expect(change({ availability_zone: 'us-east-1b' })[0]).toMatch(/availability_zone would change .* forces replacement and loses the etcd data/);
    expect(change({ size: 10 })[0]).toMatch(/cannot shrink/);
    expect(change({ size: 40 })).toEqual([]);
    expect(change({ type: 'io2' })[0]).toMatch(/type would change from gp3 to io2/);
    expect(change({ kms_key_id: 'arn:aws:kms:us-east-1:1:key/x' })[0]).toMatch(/kms_key_id would change/);
    expect(change({ cidr_block: '10.0.0.0/16' }, vpc)[0]).toMatch(/cidr_block would change/);
  });

  it('utility subnets (NAT gateway, load balancer) and member interfaces are state too: a change that replaces them is refused', () => {
    const before = inv('three-masters-private');
    const utility = before.filter((r) => r.identity.startsWith('utility-subnet/'));
    expect(utility.map((r) => [r.address, r.attributes.role])).toEqual(['a', 'b', 'c'].map((z) => [`module.network.aws_subnet.utility["us-east-1${z}"]`, 'utility']));
    const change = (r: (typeof before)[number], attrs: Record<string, unknown>) => guardStatefulChanges([r], [{ ...r, attributes: { ...r.attributes, ...attrs } } as typeof r]).destructions.map((d) => `${d.address}: ${d.reason}`);
    expect(change(utility[0]!, { cidr_block: '172.20.24.0/21' })[0]).toMatch(/utility\["us-east-1a"\]: .*cidr_block would change/);
    const eni = before.find((r) => r.kind === 'member-interface')!;
    expect(change(eni, { availability_zone: 'us-east-1b' })[0]).toMatch(/member: .*availability_zone would change/);
    const subnet = before.find((r) => r.address === 'module.network.aws_subnet.private["us-east-1a"]')!;
    expect(subnet.holdsMasters).toEqual(['a']);
    expect(before.filter((r) => r.kind === 'vpc').map((r) => r.attributes.cidr_block)).toEqual(['172.20.0.0/16']);
    expect(before.filter((r) => r.kind === 'etcd-volume')).toHaveLength(6);
    for (const v of before.filter((r) => r.kind === 'etcd-volume')) expect(v.attributes).toMatchObject({ encrypted: true, size: 20, type: 'gp3', kms_key_id: null });
  });

  it('the same resource at a new address is moved, not destroyed', () => {
    const after = inv('three-masters');
    const before = after.map((r) => (r.address === 'module.master_a.aws_ebs_volume.etcd_main' ? { ...r, address: 'module.master_us_east_1a.aws_ebs_volume.etcd_main' } : r));
    expect(guardStatefulChanges(before, after)).toEqual({
      destructions: [],
      moves: [{ from: 'module.master_us_east_1a.aws_ebs_volume.etcd_main', to: 'module.master_a.aws_ebs_volume.etcd_main' }],
      forgets: [],
    });
  });
});
