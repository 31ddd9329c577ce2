import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { MEMBER_TAG, terminationQueueName } from '../../src/model/names.js';
import { buildPlan, type ClusterPlan } from '../../src/model/plan.js';
import { isGossip, parentDomain } from '../../src/spec/defaults.js';
import { loadClusterFile } from '../../src/spec/index.js';
import type { RawCluster } from '../../src/spec/types.js';
import type { Terraform } from '../terraform/harness.js';
import { EMULATOR_IMAGE, type Emulator } from './emulator.js';

/**
 * A fixture made ready for the emulator, changed only where moto needs it: an image moto knows, and
 * the hosted zone and KMS key the YAML names replaced by ones created in the emulator first (as they
 * exist in a real account before haform runs).
 */
export async function emulatorYaml(emu: Emulator, fixture: string, dest: string): Promise<string> {
  const doc = parseDocument(readFileSync(fixture, 'utf8'));
  const name = String(doc.getIn(['metadata', 'name']));
  const zones = doc.getIn(['spec', 'zones']) as { toJSON(): string[] };
  const region = String(doc.getIn(['spec', 'region']) ?? zones.toJSON()[0]!.slice(0, -1));
  doc.setIn(['spec', 'image'], EMULATOR_IMAGE);
  if (!isGossip(name)) {
    const zoneName = String(doc.getIn(['spec', 'dns', 'zoneName']) ?? parentDomain(name));
    const zoneId = await hostedZone(emu, zoneName);
    if (doc.hasIn(['spec', 'dns', 'zoneId'])) doc.setIn(['spec', 'dns', 'zoneId'], zoneId);
  }
  if (doc.hasIn(['spec', 'etcd', 'kmsKeyId'])) {
    const key = await emu.aws(region, ['kms', 'create-key', '--description', `etcd volumes of ${name}`]);
    doc.setIn(['spec', 'etcd', 'kmsKeyId'], key.KeyMetadata.Arn);
  }
  if (doc.hasIn(['spec', 'network', 'vpcId'])) await userNetwork(emu, region, doc);
  writeFileSync(dest, doc.toString());
  return dest;
}

/**
 * The user's network, created in the emulator before haform runs, as it exists in a real account:
 * the VPC with its secondary blocks and internet gateway, the subnets the YAML names by ID, a NAT
 * gateway the YAML names as egress, and the additional security groups. The YAML's placeholder IDs
 * are replaced by the real ones.
 */
async function userNetwork(emu: Emulator, region: string, doc: ReturnType<typeof parseDocument>): Promise<void> {
  const aws = (args: string[]) => emu.aws(region, args);
  const spec = (doc.get('spec') as { toJSON(): RawCluster['spec'] }).toJSON();
  const cidr = spec.networkCIDR ?? '10.20.0.0/16';
  const vpc = (await aws(['ec2', 'create-vpc', '--cidr-block', cidr])).Vpc.VpcId as string;
  for (const extra of spec.network?.additionalCIDRs ?? []) await aws(['ec2', 'associate-vpc-cidr-block', '--vpc-id', vpc, '--cidr-block', extra]);
  const igw = (await aws(['ec2', 'create-internet-gateway'])).InternetGateway.InternetGatewayId as string;
  await aws(['ec2', 'attach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', vpc]);
  doc.setIn(['spec', 'network', 'vpcId'], vpc);
  const [a, b] = cidr.split('.').map(Number);
  const subnet = async (zone: string, block: string) => (await aws(['ec2', 'create-subnet', '--vpc-id', vpc, '--availability-zone', zone, '--cidr-block', block])).Subnet.SubnetId as string;
  for (const [i, sub] of (spec.subnets ?? []).entries()) {
    if (sub.id) doc.setIn(['spec', 'subnets', i, 'id'], await subnet(sub.zone, `${a}.${b}.${32 * i}.0/19`));
    if (sub.utilityId) doc.setIn(['spec', 'subnets', i, 'utilityId'], await subnet(sub.zone, `${a}.${b}.${128 + 16 * i}.0/20`));
    if (sub.egress?.startsWith('nat-')) {
      // The user's NAT gateway, in a public subnet of theirs at the top of the range.
      const own = await subnet(sub.zone, `${a}.${b}.${255 - i}.0/24`);
      const eip = (await aws(['ec2', 'allocate-address', '--domain', 'vpc'])).AllocationId as string;
      const nat = (await aws(['ec2', 'create-nat-gateway', '--subnet-id', own, '--allocation-id', eip])).NatGateway.NatGatewayId as string;
      doc.setIn(['spec', 'subnets', i, 'egress'], nat);
    }
  }
  for (const role of ['masters', 'nodes'] as const) {
    for (const [i] of (spec.additionalSecurityGroups?.[role] ?? []).entries()) {
      const sg = (await aws(['ec2', 'create-security-group', '--vpc-id', vpc, '--group-name', `user-${role}-${i}-${vpc}`, '--description', `the user's own group for ${role}`])).GroupId as string;
      doc.setIn(['spec', 'additionalSecurityGroups', role, i], sg);
    }
  }
}

const zones = new WeakMap<Emulator, Map<string, Promise<string>>>();

/** The public hosted zone of that name, created once per emulator (lookups by name need exactly one). */
export function hostedZone(emu: Emulator, name: string): Promise<string> {
  const mine = zones.get(emu) ?? new Map<string, Promise<string>>();
  zones.set(emu, mine);
  if (!mine.has(name)) {
    mine.set(name, createZone(emu, name));
  }
  return mine.get(name)!;
}

/** moto's zone ids are random letters; AWS's (and haform's schema) start with Z. */
async function createZone(emu: Emulator, name: string): Promise<string> {
  for (let i = 0; ; i++) {
    const r = await emu.aws('us-east-1', ['route53', 'create-hosted-zone', '--name', name, '--caller-reference', `haform-${name}-${i}`]);
    const id = String(r.HostedZone.Id).replace('/hostedzone/', '');
    if (/^Z[A-Z0-9]{1,31}$/.test(id)) return id;
    await emu.aws('us-east-1', ['route53', 'delete-hosted-zone', '--id', id]);
  }
}

export function planOf(yaml: string): ClusterPlan {
  const { spec, problems } = loadClusterFile(yaml);
  if (!spec) throw new Error(`${yaml} is invalid: ${JSON.stringify(problems)}`);
  return buildPlan(spec);
}

async function must(tf: Terraform, args: string[], dir: string): Promise<string> {
  const r = await tf.runOnHost(args, dir);
  if (r.code !== 0) throw new Error(`terraform ${args.join(' ')} failed in ${dir}:\n${r.output.slice(-6000)}`);
  return r.output;
}

export async function init(tf: Terraform, dir: string): Promise<void> {
  await must(tf, ['init', '-input=false', '-backend=false'], dir);
}

export async function apply(tf: Terraform, dir: string): Promise<string> {
  return must(tf, ['apply', '-input=false', '-auto-approve'], dir);
}

export interface Change {
  readonly address: string;
  readonly actions: readonly string[];
  /** Attributes whose planned value differs from the state (for updates). */
  readonly attributes: readonly string[];
}

/** The plan against the emulator's state: every resource that is not a no-op. */
/** Where planChanges leaves the plan's JSON (terraform show -json), in the output directory. */
export const PLAN_JSON = 'emulator-plan.json';

export async function planChanges(tf: Terraform, dir: string): Promise<Change[]> {
  await must(tf, ['plan', '-input=false', '-out=emulator.plan'], dir);
  const show = await must(tf, ['show', '-json', 'emulator.plan'], dir);
  // As CI would hand it to haform plan-check.
  writeFileSync(join(dir, PLAN_JSON), show.slice(show.indexOf('{')));
  const json = JSON.parse(show.slice(show.indexOf('{'))) as {
    resource_changes?: { address: string; change: { actions: string[]; before: Record<string, unknown> | null; after: Record<string, unknown> | null } }[];
  };
  return (json.resource_changes ?? [])
    .filter((rc) => !(rc.change.actions.length === 1 && ['no-op', 'read'].includes(rc.change.actions[0]!)))
    .map((rc) => ({
      address: rc.address,
      actions: rc.change.actions,
      attributes: Object.keys({ ...rc.change.before, ...rc.change.after })
        .filter((k) => JSON.stringify(rc.change.before?.[k]) !== JSON.stringify(rc.change.after?.[k]))
        .sort(),
    }));
}

/**
 * What the AWS API says of each master, read the way its boot script reads it (the same tag
 * filters), against what the YAML asks for: an autoscaling group of exactly one instance in one
 * subnet of the master's zone, and the member's two volumes and interface in that zone. Returns
 * every violation.
 */
export async function masterViolations(emu: Emulator, plan: ClusterPlan, opts: { booted?: boolean } = {}): Promise<string[]> {
  const bad: string[] = [];
  const aws = (args: string[]) => emu.aws(plan.region, args);
  const owned = `Name=tag:KubernetesCluster,Values=${plan.name}`;
  for (const m of plan.masters) {
    const who = `master ${m.member} (${m.zone})`;
    const member = `Name=tag:${MEMBER_TAG},Values=${m.member}`;
    const inZone = `Name=availability-zone,Values=${m.zone}`;
    const groups = (await aws(['autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', m.groupName])).AutoScalingGroups;
    if (groups.length !== 1) {
      bad.push(`${who}: ${groups.length} autoscaling groups named ${m.groupName}`);
      continue;
    }
    const g = groups[0];
    if (g.MinSize !== 1 || g.MaxSize !== 1 || g.DesiredCapacity !== 1) bad.push(`${who}: group sizes ${g.MinSize}/${g.DesiredCapacity}/${g.MaxSize}, not 1/1/1`);
    const subnets: string[] = String(g.VPCZoneIdentifier).split(',').filter(Boolean);
    if (subnets.length !== 1) bad.push(`${who}: group spans ${subnets.length} subnets`);
    const subnetZones = (await aws(['ec2', 'describe-subnets', '--subnet-ids', ...subnets])).Subnets.map((s: any) => s.AvailabilityZone);
    if (subnetZones.some((z: string) => z !== m.zone)) bad.push(`${who}: group subnets in ${subnetZones.join(', ')}`);
    if (g.Instances.length !== 1) bad.push(`${who}: ${g.Instances.length} instances`);
    for (const i of g.Instances) {
      if (i.AvailabilityZone !== m.zone) bad.push(`${who}: instance ${i.InstanceId} in ${i.AvailabilityZone}`);
      const tags = (await aws(['ec2', 'describe-tags', '--filters', `Name=resource-id,Values=${i.InstanceId}`, `Name=key,Values=${MEMBER_TAG}`])).Tags;
      if (tags[0]?.Value !== m.member) bad.push(`${who}: instance ${i.InstanceId} carries member tag ${tags[0]?.Value}`);
    }
    for (const kind of ['main', 'events']) {
      const vols = (await aws(['ec2', 'describe-volumes', '--filters', owned, member, `Name=tag-key,Values=k8s.io/etcd/${kind}`, inZone])).Volumes;
      if (vols.length !== 1) bad.push(`${who}: ${vols.length} etcd ${kind} volumes found by the boot script's filter`);
      for (const v of vols) if (!v.Encrypted) bad.push(`${who}: etcd ${kind} volume ${v.VolumeId} not encrypted`);
      // The YAML's etcd settings, through the root's etcd_volume local and the module's variable.
      const e = plan.etcd;
      for (const v of vols) {
        if (v.Size !== e.volumeSize || v.VolumeType !== e.volumeType) bad.push(`${who}: etcd ${kind} volume ${v.VolumeId} is ${v.Size} GiB ${v.VolumeType}, not ${e.volumeSize} GiB ${e.volumeType}`);
        if (e.kmsKeyId && !String(v.KmsKeyId).endsWith(e.kmsKeyId.split('/').pop()!)) bad.push(`${who}: etcd ${kind} volume ${v.VolumeId} encrypted with ${v.KmsKeyId}, not ${e.kmsKeyId}`);
      }
      if (opts.booted) for (const v of vols) if (v.Attachments?.[0]?.InstanceId !== g.Instances[0]?.InstanceId) bad.push(`${who}: etcd ${kind} volume ${v.VolumeId} attached to ${v.Attachments?.[0]?.InstanceId}, not its instance`);
    }
    const enis = (await aws(['ec2', 'describe-network-interfaces', '--filters', owned, member, inZone])).NetworkInterfaces;
    if (enis.length !== 1) bad.push(`${who}: ${enis.length} member interfaces found by the boot script's filter`);
    if (opts.booted) for (const e of enis) if (e.Attachment?.InstanceId !== g.Instances[0]?.InstanceId) bad.push(`${who}: member interface ${e.NetworkInterfaceId} attached to ${e.Attachment?.InstanceId}, not its instance`);
  }
  return bad;
}

export interface MasterBoot {
  readonly member: string;
  readonly code: number;
  readonly stderr: string;
}

/**
 * Each master's boot script run as on its instance, in placement order (the init member first):
 * the real AWS CLI against the emulator's state, so volume and interface lookup by tag, attachment
 * and the SSM join material meet real API behaviour; IMDS, kubeadm, kubelet, systemd and block
 * devices are the simulator's stubs. Then one node boots with what the masters published.
 */
export async function bootCluster(emu: Emulator, plan: ClusterPlan, scripts: { master: string; node: string }): Promise<{ masters: MasterBoot[]; node: MasterBoot }> {
  const { bootAsync } = await import('../bootstrap/simulator.js');
  // The simulator's scratch directories go with the emulator test's afterAll (removeBootDirs).
  const aws = (args: string[]) => emu.aws(plan.region, args);
  const owned = `Name=tag:KubernetesCluster,Values=${plan.name}`;
  const bootMaster = async (m: ClusterPlan['masters'][number]): Promise<MasterBoot> => {
    const member = `Name=tag:${MEMBER_TAG},Values=${m.member}`;
    const g = (await aws(['autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', m.groupName])).AutoScalingGroups[0];
    const instanceId = g.Instances[0].InstanceId as string;
    const eni = (await aws(['ec2', 'describe-network-interfaces', '--filters', owned, member])).NetworkInterfaces[0];
    const subnet = (await aws(['ec2', 'describe-subnets', '--subnet-ids', eni.SubnetId])).Subnets[0];
    const vpc = (await aws(['ec2', 'describe-vpcs', '--vpc-ids', eni.VpcId])).Vpcs[0];
    const volume = async (kind: string) => (await aws(['ec2', 'describe-volumes', '--filters', owned, member, `Name=tag-key,Values=k8s.io/etcd/${kind}`])).Volumes[0].VolumeId as string;
    const r = await bootAsync(
      scripts.master,
      {
        instanceId,
        zone: m.zone,
        region: plan.region,
        subnetCidr: subnet.CidrBlock,
        vpcCidr: vpc.CidrBlock,
        eni: { id: eni.NetworkInterfaceId, ip: eni.PrivateIpAddress, mac: eni.MacAddress, attachedTo: instanceId },
        volumes: { main: { id: await volume('main') }, events: { id: await volume('events') } },
      },
      // The joiners boot at once and take the join lock in turn: the last waits for every other.
      // A bound, not a speed: ten minutes for the boot and two more per other member, within the
      // test's own 35 (under CI's load valid/large's c passed ten minutes waiting for d).
      { awsEnv: emu.env, timeoutMs: Math.min(600_000 + 120_000 * (plan.masters.length - 1), 25 * 60_000) },
    );
    return { member: m.member, code: r.code, stderr: r.stderr };
  };
  // The first member inits; then every other boots at once, as their groups launch them, and the
  // join lock in SSM (put-parameter without --overwrite) lets one join at a time.
  const [first, ...rest] = plan.masters;
  const masters = [await bootMaster(first!)];
  if (masters[0]!.code === 0) masters.push(...(await Promise.all(rest.map(bootMaster))));
  const n = await bootAsync(scripts.node, { zone: plan.nodeGroups[0]!.zones[0]!, region: plan.region }, { awsEnv: emu.env });
  return { masters, node: { member: 'node', code: n.code, stderr: n.stderr } };
}

/**
 * What the YAML promises beyond the masters, read back from the API: the cluster bucket (private,
 * versioned, encrypted, backups expiring as etcd.backupRetentionDays says, the addons uploaded, the
 * queue URL written for the termination handler), the termination queue fed by EventBridge, a drain
 * hook on every group, and the node groups spanning the zones nodeGroups asks for.
 */
export async function cloudViolations(emu: Emulator, plan: ClusterPlan, addonFiles: readonly string[]): Promise<string[]> {
  const bad: string[] = [];
  const aws = (args: string[]) => emu.aws(plan.region, args);
  const bucket = (await aws(['ssm', 'get-parameter', '--with-decryption', '--name', `${plan.parameterPath}/cluster/bucket`])).Parameter.Value as string;
  if ((await aws(['s3api', 'get-bucket-versioning', '--bucket', bucket]))?.Status !== 'Enabled') bad.push(`bucket ${bucket}: versioning not enabled`);
  const sse = (await aws(['s3api', 'get-bucket-encryption', '--bucket', bucket])).ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm;
  if (sse !== 'aws:kms') bad.push(`bucket ${bucket}: encryption ${sse}, not SSE-KMS with the cluster key`);
  const block = (await aws(['s3api', 'get-public-access-block', '--bucket', bucket])).PublicAccessBlockConfiguration;
  if (!Object.values(block).every((v) => v === true)) bad.push(`bucket ${bucket}: public access not blocked: ${JSON.stringify(block)}`);
  const rules = (await aws(['s3api', 'get-bucket-lifecycle-configuration', '--bucket', bucket])).Rules;
  const backups = rules.find((r: any) => (r.Filter?.Prefix ?? r.Prefix) === 'backups/etcd/main/');
  if (backups?.Expiration?.Days !== plan.etcd.backupRetentionDays) bad.push(`bucket ${bucket}: backups expire after ${backups?.Expiration?.Days} days, not ${plan.etcd.backupRetentionDays}`);
  const keys = ((await aws(['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'addons/']))?.Contents ?? []).map((o: any) => o.Key).sort();
  const wanted = [...addonFiles.map((f) => f), 'addons/node-termination-handler/queue.env'].sort();
  if (JSON.stringify(keys) !== JSON.stringify(wanted)) bad.push(`bucket ${bucket}: addons ${keys.join(', ')}, not ${wanted.join(', ')}`);

  const queueUrl = (await aws(['sqs', 'get-queue-url', '--queue-name', terminationQueueName(plan.name)])).QueueUrl as string;
  const queueArn = (await aws(['sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'QueueArn'])).Attributes.QueueArn;
  const envFile = join(mkdtempSync(join(tmpdir(), 'haform-queue-env-')), 'queue.env');
  await aws(['s3api', 'get-object', '--bucket', bucket, '--key', 'addons/node-termination-handler/queue.env', envFile]);
  if (readFileSync(envFile, 'utf8') !== `QUEUE_URL=${queueUrl}`) bad.push(`queue.env holds ${readFileSync(envFile, 'utf8')}, not the queue's URL ${queueUrl}`);
  rmSync(dirname(envFile), { recursive: true, force: true });
  const targeted = [];
  for (const r of (await aws(['events', 'list-rules'])).Rules) {
    const targets = (await aws(['events', 'list-targets-by-rule', '--rule', r.Name])).Targets;
    if (targets.some((t: any) => t.Arn === queueArn)) targeted.push(JSON.parse(r.EventPattern)['detail-type'][0]);
  }
  for (const type of ['EC2 Instance-terminate Lifecycle Action', 'EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation', 'EC2 Instance State-change Notification', 'AWS Health Event']) {
    if (!targeted.includes(type)) bad.push(`no EventBridge rule sends "${type}" to the termination queue`);
  }

  for (const name of [...plan.masters.map((m) => m.groupName), ...plan.nodeGroups.map((g) => g.groupName)]) {
    const hooks = (await aws(['autoscaling', 'describe-lifecycle-hooks', '--auto-scaling-group-name', name])).LifecycleHooks;
    if (!hooks.some((h: any) => h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING')) bad.push(`group ${name}: no termination lifecycle hook`);
    const g = (await aws(['autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', name])).AutoScalingGroups[0];
    if (!g.Tags.some((t: any) => t.Key === 'aws-node-termination-handler/managed')) bad.push(`group ${name}: not tagged for the termination handler`);
  }
  for (const ng of plan.nodeGroups) {
    const g = (await aws(['autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', ng.groupName])).AutoScalingGroups[0];
    const subnets: string[] = String(g.VPCZoneIdentifier).split(',').filter(Boolean);
    const zones = (await aws(['ec2', 'describe-subnets', '--subnet-ids', ...subnets])).Subnets.map((s: any) => s.AvailabilityZone).sort();
    if (JSON.stringify(zones) !== JSON.stringify([...ng.zones].sort())) bad.push(`node group ${ng.groupName}: subnets in ${zones.join(', ')}, not ${ng.zones.join(', ')}`);
  }
  return bad;
}

/**
 * A cluster in the user's network: nothing of the network created that the YAML names as existing,
 * every instance in the user's VPC, the existing subnets used as they are and tagged as shared with
 * the cluster, the zone with an existing NAT gateway routed through it, the user's security groups
 * on the instances.
 */
export async function networkViolations(emu: Emulator, plan: ClusterPlan): Promise<string[]> {
  const bad: string[] = [];
  const aws = (args: string[]) => emu.aws(plan.region, args);
  const vpc = plan.network.existingVpc!.id;
  const owned = `Name=tag:KubernetesCluster,Values=${plan.name}`;
  const vpcs = (await aws(['ec2', 'describe-vpcs', '--filters', owned])).Vpcs;
  if (vpcs.length) bad.push(`haform created VPC(s) ${vpcs.map((v: any) => v.VpcId).join(', ')} beside the user's ${vpc}`);
  const subnets = (await aws(['ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${vpc}`])).Subnets;
  for (const z of plan.network.zones) {
    for (const s of [z.subnet, z.utility]) {
      if (!s?.existingId) continue;
      const found = subnets.find((x: any) => x.SubnetId === s.existingId);
      const shared = found?.Tags?.find((t: any) => t.Key === `kubernetes.io/cluster/${plan.name}`)?.Value;
      if (shared !== 'shared') bad.push(`existing subnet ${s.existingId}: cluster tag ${shared}, not shared`);
    }
    if (z.egress?.startsWith('nat-')) {
      const tables = (await aws(['ec2', 'describe-route-tables', '--filters', `Name=vpc-id,Values=${vpc}`, `Name=tag:kubernetes.io/kops/role,Values=private-${z.zone}`])).RouteTables;
      const nat = tables[0]?.Routes?.find((r: any) => r.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId;
      if (nat !== z.egress) bad.push(`zone ${z.zone}: private route to ${nat}, not the user's NAT gateway ${z.egress}`);
    }
  }
  const groups = [...plan.masters.map((m) => ({ name: m.groupName, zone: m.zone, extra: plan.additionalSecurityGroups.masters })), ...plan.nodeGroups.map((g) => ({ name: g.groupName, zone: undefined, extra: plan.additionalSecurityGroups.nodes }))];
  for (const g of groups) {
    const asg = (await aws(['autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', g.name])).AutoScalingGroups[0];
    for (const id of String(asg.VPCZoneIdentifier).split(',').filter(Boolean)) {
      const sub = subnets.find((x: any) => x.SubnetId === id);
      if (!sub) bad.push(`group ${g.name}: subnet ${id} is not in the user's VPC ${vpc}`);
      const zone = plan.network.zones.find((z) => z.zone === sub?.AvailabilityZone);
      if (zone?.subnet.existingId && zone.subnet.existingId !== id) bad.push(`group ${g.name}: subnet ${id}, not the user's ${zone.subnet.existingId}`);
    }
    for (const i of asg.Instances) {
      const inst = (await aws(['ec2', 'describe-instances', '--instance-ids', i.InstanceId])).Reservations[0].Instances[0];
      if (inst.VpcId !== vpc) bad.push(`group ${g.name}: instance ${i.InstanceId} in ${inst.VpcId}`);
    }
    // The groups the instances launch with: the launch template's interface (moto does not copy
    // them onto the instances it starts, AWS does).
    const lt = asg.LaunchTemplate ?? asg.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    const version = (await aws(['ec2', 'describe-launch-template-versions', '--launch-template-id', lt.LaunchTemplateId, '--versions', '$Latest'])).LaunchTemplateVersions[0];
    const sgs: string[] = version.LaunchTemplateData.NetworkInterfaces?.[0]?.Groups ?? version.LaunchTemplateData.SecurityGroupIds ?? [];
    if (sgs.length !== g.extra.length + 1) bad.push(`group ${g.name}: launches with ${sgs.length} security groups, not its own and ${g.extra.length} of the user's`);
    for (const want of g.extra) if (!sgs.includes(want)) bad.push(`group ${g.name}: launches without the user's security group ${want}`);
  }
  return bad;
}

interface StateResource {
  module?: string;
  mode: string;
  type: string;
  name: string;
  each?: string;
  provider: string;
  instances: { index_key?: string | number; [k: string]: unknown }[];
}

/** `module.network.aws_subnet.private["us-east-1a"]` -> its module, type, name and instance key. */
function parseAddress(address: string): { module: string; type: string; name: string; key?: string } {
  const m = /^(module\.[a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+)(?:\[("[^"]*")\])?$/.exec(address);
  if (!m) throw new Error(`unexpected address ${address}`);
  return { module: m[1]!, type: m[2]!, name: m[3]!, ...(m[4] ? { key: JSON.parse(m[4]) as string } : {}) };
}

/**
 * Rewrites the local state as an earlier haform's layout left it: each instance at `to` goes back to
 * its own resource at `from` (what terraform's moved blocks then undo). Returns how many it moved.
 */
export function moveStateBack(dir: string, moves: readonly { from: string; to: string }[]): number {
  const file = join(dir, 'terraform.tfstate');
  const state = JSON.parse(readFileSync(file, 'utf8')) as { serial: number; resources: StateResource[] };
  let moved = 0;
  for (const m of moves) {
    const to = parseAddress(m.to);
    const from = parseAddress(m.from);
    const res = state.resources.find((r) => r.module === to.module && r.mode === 'managed' && r.type === to.type && r.name === to.name);
    const i = res?.instances.findIndex((x) => x.index_key === to.key) ?? -1;
    if (!res || i < 0) continue;
    const [instance] = res.instances.splice(i, 1);
    const { index_key: _key, ...rest } = instance!;
    state.resources.push({ module: from.module, mode: 'managed', type: from.type, name: from.name, provider: res.provider, instances: [rest] });
    moved++;
  }
  state.resources = state.resources.filter((r) => r.instances.length);
  state.serial++;
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
  return moved;
}
