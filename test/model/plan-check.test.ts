import { describe, expect, it } from 'vitest';
import { checkPlan, resourceChanges } from '../../src/model/plan-check.js';

/** One resource change of `terraform show -json`, as much of it as the guard reads. */
const rc = (address: string, actions: string[], before: Record<string, unknown> | null = {}) => ({ address, type: address.split('.').at(-2)!, change: { actions, before } });
const asg = (m: string, actions: string[]) => rc(`module.master_${m}.aws_autoscaling_group.this`, actions, { vpc_zone_identifier: [`subnet-${m}`] });
const eni = (m: string, actions: string[]) => rc(`module.master_${m}.aws_network_interface.member`, actions, { subnet_id: `subnet-${m}` });
const noop = (m: string) => [asg(m, ['no-op']), eni(m, ['no-op']), rc(`module.master_${m}.aws_ebs_volume.etcd_main`, ['no-op'])];

describe('plan-check: the quorum guard on a terraform plan', () => {
  it('a plan that only creates (a new cluster, growth) is safe', () => {
    const c = checkPlan([...noop('a'), asg('b', ['create']), eni('b', ['create'])]);
    expect(c).toMatchObject({ safe: true, refusals: [], notes: [] });
  });

  it('one master replaced (its group) is safe, with a note to let it come back first', () => {
    const c = checkPlan([asg('a', ['create', 'delete']), eni('a', ['no-op']), ...noop('b')]);
    expect(c.safe).toBe(true);
    expect(c.notes).toEqual([expect.stringContaining('master a is replaced by this apply')]);
  });

  it("two masters' instances in one apply: refused, with or without --allow-destroy, naming both and the order", () => {
    for (const allowDestroy of [false, true]) {
      const c = checkPlan([asg('a', ['delete', 'create']), rc('module.master_b.aws_launch_template.this', ['delete', 'create']), ...noop('c')], { allowDestroy });
      expect(c.safe).toBe(false);
      expect(c.refusals).toHaveLength(1);
      expect(c.refusals[0]).toContain('replaces or destroys 2 masters in one apply');
      expect(c.refusals[0]).toContain('terraform apply -target=module.master_a, then terraform apply -target=module.master_b');
    }
  });

  it("a member's volume or interface destroyed or replaced: refused unless --allow-destroy", () => {
    for (const change of [rc('module.master_a.aws_ebs_volume.etcd_main', ['delete', 'create']), eni('a', ['delete']), rc('module.master_a.aws_ebs_volume.etcd_events', ['create', 'delete'])]) {
      const c = checkPlan([change, ...noop('b')]);
      expect(c.safe, change.address).toBe(false);
      expect(c.refusals[0]).toContain(change.address);
      expect(checkPlan([change, ...noop('b')], { allowDestroy: true }).safe).toBe(true);
    }
  });

  it("the VPC, the backup bucket, the KMS key, and a subnet a master is in: refused unless --allow-destroy; another subnet is not", () => {
    for (const address of ['module.network.aws_vpc.this', 'module.bucket.aws_s3_bucket.this', 'module.kms.aws_kms_key.this']) {
      expect(checkPlan([rc(address, ['delete']), ...noop('a')]).safe, address).toBe(false);
      expect(checkPlan([rc(address, ['delete']), ...noop('a')], { allowDestroy: true }).safe, address).toBe(true);
    }
    const masterSubnet = checkPlan([...noop('a'), rc('module.network.aws_subnet.public["us-east-1a"]', ['delete', 'create'], { id: 'subnet-a' })]);
    expect(masterSubnet.refusals[0]).toContain('the subnet of master a');
    expect(checkPlan([...noop('a'), rc('module.network.aws_subnet.public["us-east-1d"]', ['delete'], { id: 'subnet-d' })]).safe).toBe(true);
  });

  it('a removed master: its volumes forgotten (kept in AWS) are notes, and so is removing the member from etcd first', () => {
    const c = checkPlan([asg('d', ['delete']), rc('module.master_d.aws_launch_template.this', ['delete']), rc('module.master_d.aws_ebs_volume.etcd_main', ['forget']), ...noop('a')]);
    expect(c.safe).toBe(true);
    expect(c.masters.d).toMatchObject({ removed: true, stateLost: [], forgotten: ['module.master_d.aws_ebs_volume.etcd_main'] });
    expect(c.notes.join('\n')).toMatch(/remove member d from etcd before this apply[\s\S]*stay in AWS/);
  });

  it('launch templates changed in place on every master: safe, with the note that the instances roll one at a time', () => {
    const c = checkPlan(['a', 'b', 'c'].flatMap((m) => [rc(`module.master_${m}.aws_launch_template.this`, ['update']), asg(m, ['update'])]));
    expect(c.safe).toBe(true);
    expect(c.notes).toEqual([expect.stringContaining('the launch templates of 3 master(s) change in place (a, b, c)')]);
  });

  it('the API load balancer replaced (a zone taken away): safe, with the outage it costs said', () => {
    const c = checkPlan([rc('module.api.aws_lb.api', ['create', 'delete']), ...noop('a')]);
    expect(c.safe).toBe(true);
    expect(c.notes).toEqual([expect.stringContaining('module.api.aws_lb.api (replaced): the API is unreachable through it')]);
  });

  it('what is not the JSON of a plan is told as such', () => {
    expect(resourceChanges({ values: {} })).toMatch(/not the JSON of a Terraform plan: .*terraform show -json PLANFILE/);
    expect(resourceChanges({ format_version: '1.2', planned_values: {} })).toEqual([]);
  });
});
