import { forEachKey } from '../model/names.js';
import type { ClusterPlan } from '../model/plan.js';
import { NETWORK_MODULE } from './network.js';

/** Values the mock provider returns for data sources, so that a whole apply runs with no AWS account. */
const MOCK_IMAGE = 'ami-0123456789abcdef0';
const MOCK_ZONE_ID = 'Z0123456789ABCDEFGHIJ';

function partitionOf(region: string): { partition: string; dns_suffix: string } {
  if (region.startsWith('cn-')) return { partition: 'aws-cn', dns_suffix: 'amazonaws.com.cn' };
  if (region.startsWith('us-gov-')) return { partition: 'aws-us-gov', dns_suffix: 'amazonaws.com' };
  return { partition: 'aws', dns_suffix: 'amazonaws.com' };
}

/** An ID of AWS's shape: `subnet-00000000000000001`. */
function fakeId(prefix: string, n: number): string {
  return `${prefix}-${n.toString(16).padStart(17, '0')}`;
}

interface Assertion {
  condition: string;
  error_message: string;
}

/**
 * `tests/ha.tftest.json` and `tests/ha.tofutest.json`: `terraform test` (or `tofu test`) simulates a whole apply with a mock AWS provider and checks
 * the HA invariants on the resulting configuration. Ops run it in their infra repo with no
 * credentials. JSON, the other syntax terraform reads, since test files are not cdktn constructs and
 * HCL is never written by hand here.
 */
export function haTestFiles(plan: ClusterPlan): { path: string; content: string }[] {
  const net = `module.${NETWORK_MODULE}`;
  const asserts: Assertion[] = [];
  const check = (condition: string, error_message: string) => asserts.push({ condition: `\${${condition}}`, error_message });

  const n = plan.masters.length;
  check(`length(output.etcd_members) == ${n}`, `expected ${n} etcd members, one per master`);
  check('length(output.etcd_members) % 2 == 1', 'etcd needs an odd number of members for quorum');
  for (const m of plan.masters) {
    const mod = `module.${m.module}`;
    check(`${mod}.autoscaling_group_size.min == 1 && ${mod}.autoscaling_group_size.max == 1 && ${mod}.autoscaling_group_size.desired == 1`, `master ${m.member}: its autoscaling group must hold exactly one instance`);
    check(`length(${mod}.subnet_ids) == 1 && ${mod}.subnet_ids[0] == ${net}.subnet_ids["${m.zone}"]`, `master ${m.member}: its group must launch only into the ${m.zone} subnet`);
    check(`${net}.subnet_zones["${m.zone}"] == "${m.zone}"`, `master ${m.member}: its subnet must be in ${m.zone}`);
    check(`alltrue([for z in ${mod}.etcd_volume_zones : z == ${net}.subnet_zones["${m.zone}"]])`, `master ${m.member}: both etcd volumes must be in the zone of its subnet`);
    check(`${mod}.member_interface_subnet_id == ${mod}.subnet_ids[0]`, `master ${m.member}: its member network interface must be in its own subnet`);
    check(`alltrue([for t in ${mod}.etcd_volume_member_tags : t == "${m.etcdMemberTag}"])`, `master ${m.member}: its volumes must be tagged ${m.etcdMemberTag}`);
    if (plan.topology === 'private') {
      check(`!contains(${net}.load_balancer_subnet_ids, ${mod}.subnet_ids[0])`, `master ${m.member}: in private topology it must not run in a public subnet`);
    }
  }
  // From the YAML's masterZones, not from the placement: a placement that stacked every master in
  // one zone would agree with checks derived from itself.
  const all = plan.masters.map((m) => `module.${m.module}`).join(', ');
  const even = Math.ceil(plan.masters.length / plan.masterZones.length);
  for (const z of plan.masterZones) {
    // By the volumes' zone, which the checks above tie to each master's subnet: OpenTofu's mocks give
    // every instance of a for_each subnet one ID, so subnet IDs cannot tell its zones apart.
    const inZone = `length([for m in [${all}] : m if m.etcd_volume_zones[0] == "${z}"])`;
    const share = even === 1 ? 'exactly 1' : `between 1 and ${even}`;
    check(`${inZone} >= 1 && ${inZone} <= ${even}`, `zone ${z} is a master zone in the cluster YAML: it must hold ${share} of the ${plan.masters.length} masters`);
  }
  if (plan.topology === 'private') {
    // Zones whose NAT gateway haform creates; existing subnets and egress routes are the user's.
    for (const z of plan.network.zones.filter((z) => !z.subnet.existingId && !z.egress)) {
      check(`${net}.private_route_nat_gateway_ids["${z.zone}"] == ${net}.nat_gateway_ids["${z.zone}"]`, `zone ${z.zone}: its private subnet must route through its own NAT gateway`);
    }
  }

  // Node groups that scale or mix instances: their range, the autoscaler's tags on the group alone, and the instances.
  for (const g of plan.nodeGroups) {
    const mod = `module.${g.module}`;
    if (plan.nodesScale) {
      check(`${mod}.autoscaling_group_size.min == ${g.minSize} && ${mod}.autoscaling_group_size.max == ${g.maxSize} && ${mod}.autoscaling_group_size.desired == ${g.size}`, `node group ${g.groupName}: it must scale between ${g.minSize} and ${g.maxSize}, from ${g.size} at creation`);
      const tags = Object.keys(g.groupTags);
      check(
        tags.length ? `alltrue([for k in ${JSON.stringify(tags)} : contains(${mod}.group_only_tags, k)])` : `length(${mod}.group_only_tags) == 0`,
        tags.length ? `node group ${g.groupName}: it may scale, so the group (not its instances) must carry the cluster-autoscaler's tags` : `node group ${g.groupName}: it is fixed, so the cluster-autoscaler must not find it`,
      );
    }
    const m = plan.nodeInstances;
    if (m) {
      check(`${mod}.instances.types == ${JSON.stringify(m.instances)}`, `node group ${g.groupName}: it must launch ${m.instances.join(', ')}, in that order`);
      check(
        `${mod}.instances.on_demand_base_capacity == ${m.onDemandBase} && ${mod}.instances.on_demand_percentage_above_base_capacity == ${m.onDemandAboveBase}`,
        `node group ${g.groupName}: ${m.onDemandBase} on-demand instance(s), then ${m.onDemandAboveBase}% on-demand`,
      );
    }
  }

  const mockData: Record<string, { defaults: Record<string, string> }> = {
    aws_partition: { defaults: partitionOf(plan.region) },
    aws_iam_policy_document: { defaults: { json: '{"Version":"2012-10-17","Statement":[]}' } },
    aws_ssm_parameter: { defaults: { value: MOCK_IMAGE } },
    aws_ami: { defaults: { id: MOCK_IMAGE, root_device_name: '/dev/sda1' } },
    aws_route53_zone: { defaults: { zone_id: MOCK_ZONE_ID } },
    aws_caller_identity: { defaults: { account_id: '111122223333' } },
  };
  // Provider validators still run on mocked values: ARNs and IDs must have their real shapes.
  const { partition } = partitionOf(plan.region);
  const elb = `arn:${partition}:elasticloadbalancing:${plan.region}:111122223333`;
  const mockResources: Record<string, { defaults: Record<string, string> }> = {
    aws_lb: { defaults: { arn: `${elb}:loadbalancer/net/api/0123456789abcdef` } },
    aws_lb_target_group: { defaults: { arn: `${elb}:targetgroup/tcp/0123456789abcdef` } },
    aws_launch_template: { defaults: { id: 'lt-0123456789abcdef0' } },
    aws_sqs_queue: { defaults: { arn: `arn:${partition}:sqs:${plan.region}:111122223333:termination`, url: `https://sqs.${plan.region}.amazonaws.com/111122223333/termination` } },
    aws_s3_bucket: { defaults: { arn: `arn:${partition}:s3:::cluster-bucket`, id: 'cluster-bucket' } },
    // ARNs the provider validates where other resources take them (the flow log, SSE-KMS, the log group).
    aws_iam_role: { defaults: { arn: `arn:${partition}:iam::111122223333:role/mock` } },
    aws_kms_key: { defaults: { arn: `arn:${partition}:kms:${plan.region}:111122223333:key/00000000-0000-0000-0000-000000000000`, key_id: '00000000-0000-0000-0000-000000000000' } },
    aws_cloudwatch_log_group: { defaults: { arn: `arn:${partition}:logs:${plan.region}:111122223333:log-group:flow-logs` } },
    aws_sns_topic: { defaults: { arn: `arn:${partition}:sns:${plan.region}:111122223333:alarms` } },
  };
  // Known IDs for the resources the invariants compare, so that a plan can check them without an
  // apply. Terraform overrides each zone's instance; OpenTofu (up to 1.12) only whole resources, so
  // its file gives each kind one ID: the private, public and utility subnets stay apart, the zones
  // of one kind do not (the zone checks above do not depend on them).
  const created = plan.network.zones.filter((z) => !z.subnet.existingId);
  const kinds = [
    { resource: `aws_subnet.${plan.topology === 'private' ? 'private' : 'public'}`, id: (i: number) => fakeId('subnet', i + 1), zones: created, zone: true },
    { resource: 'aws_subnet.utility', id: (i: number) => fakeId('subnet', 0x100 + i + 1), zones: created.filter((z) => z.utility), zone: true },
    { resource: 'aws_nat_gateway.main', id: (i: number) => fakeId('nat', i + 1), zones: created.filter((z) => z.utility && !z.egress), zone: false },
  ];
  const terraformOverrides = kinds.flatMap((k) =>
    k.zones.map((z) => ({ target: `${net}.${forEachKey(k.resource, z.zone)}`, override_during: 'plan', values: { id: k.id(plan.network.zones.indexOf(z)), ...(k.zone ? { availability_zone: z.zone } : {}) } })),
  );
  const tofuOverrides = kinds.filter((k) => k.zones.length).map((k) => ({ target: `${net}.${k.resource}`, values: { id: k.id(0) } }));
  // Existing subnets are looked up by their ID, zone and VPC, which the mock answers from the configuration.
  const vpc = plan.network.existingVpc;
  // OpenTofu (its real tofu test, 1.12.6) refuses an override of the data source's own argument
  // (id: "overriding configuration values is not allowed") and a block missing attributes of its
  // type (each association's association_id and state); Terraform takes both forms.
  const associations = [plan.network.cidr, ...plan.network.additionalCidrs].map((cidr_block, i) => ({ association_id: `vpc-cidr-assoc-${(i + 1).toString(16).padStart(17, '0')}`, cidr_block, state: 'associated' }));
  const dataOverridesOf = (tool: 'terraform' | 'tofu') =>
    vpc ? [{ target: `${net}.data.aws_vpc.main`, values: { ...(tool === 'terraform' ? { id: vpc.id } : {}), cidr_block_associations: associations } }] : [];
  const doc = (tool: 'terraform' | 'tofu', overrideResource: unknown[]) => {
    const dataOverrides = dataOverridesOf(tool);
    const data = dataOverrides.length ? { override_data: dataOverrides } : {};
    const runs: Record<string, unknown> = { ha_invariants_plan: { command: 'plan', override_resource: overrideResource, ...data, assert: asserts } };
    // A simulated apply destroys everything at the end of the test, which prevent_destroy forbids.
    // Terraform's mocks give each instance an ID of its own; OpenTofu's give every instance of a
    // type the same one, so its apply keeps the per-kind IDs too (or private and public subnets meet).
    if (!plan.etcd.preventDestroy) runs.ha_invariants_apply = { command: 'apply', ...(tool === 'tofu' ? { override_resource: overrideResource } : {}), ...data, assert: asserts };
    return {
      '//': `Generated by haform for ${plan.name}: the HA invariants, checked on a simulated apply. Run: ${tool} init && ${tool} test`,
      mock_provider: { aws: { mock_resource: mockResources, mock_data: mockData } },
      run: runs,
    };
  };
  const json = (d: unknown) => `${JSON.stringify(d, null, 2)}\n`;
  return [
    // Terraform (1.11+): overrides apply at plan time only when asked (override_during).
    { path: 'tests/ha.tftest.json', content: json(doc('terraform', terraformOverrides)) },
    // OpenTofu (1.8+) overrides at plan time already and knows only target and values, of whole
    // resources; it reads this file instead of ha.tftest.json (a .tofutest file shadows the .tftest
    // file of the same name).
    { path: 'tests/ha.tofutest.json', content: json(doc('tofu', tofuOverrides)) },
  ];
}
