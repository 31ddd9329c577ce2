import { Fn, propertyAccess, Token } from 'cdktn';
import { EbsVolume } from '@cdktn/provider-aws/lib/ebs-volume/index.js';
import { NetworkInterface } from '@cdktn/provider-aws/lib/network-interface/index.js';
import { MEMBER_TAG, TF, userDataPath } from '../model/names.js';
import type { MasterPlan } from '../model/plan.js';
import { API_MODULE, ApiOutputs, INTERNAL_LB_MODULE } from './api.js';
import { AZ_NAME_REGEX, callModule, field, describe, type Generator, moduleNamed, moduleStack, output, tfName, variable } from './context.js';
import { acceptChecks } from './checkov.js';
import { IAM_MODULE, IamOutputs } from './iam.js';
import { groupInputs, groupOptions, groupVariables, instanceGroup } from './instances.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';
import { SECURITY_MODULE, SecurityOutputs } from './security.js';

const DIR = 'modules/master';

/** The tag keys by which a master finds its own volumes (the names kops uses). */
/** Outputs of the master module that other concerns read. */
export const MasterOutputs = { memberIp: 'member_ip', volumeIds: 'etcd_volume_ids' } as const;

export const ETCD_TAGS = { main: 'k8s.io/etcd/main', events: 'k8s.io/etcd/events', role: 'k8s.io/role/master', member: MEMBER_TAG } as const;

/**
 * One master, the seed's unit of failure: an autoscaling group of exactly one instance in one zone,
 * and the two etcd volumes bound to that zone. When the instance dies the group relaunches it in the
 * same zone, where it reattaches the same volumes.
 */
export const controlPlane: Generator = {
  name: 'control-plane',

  modules(scope, plan) {
    const stack = moduleStack(scope, 'master');
    const v = {
      member: variable(stack, 'etcd_member', 'string', 'Name of this master\'s etcd member: its zone letter, then a2, a3 for further masters in the zone.', [
        { condition: '${can(regex("^[a-z][0-9]*$", var.etcd_member))}', errorMessage: 'etcd_member is a zone letter, then a number for further masters in the zone: a, b, a2.' },
      ]),
      memberTag: variable(stack, 'etcd_member_tag', 'string', 'Volume tag value <member>/<all members>, e.g. a/a,b,c.', [
        // Its own value only: a condition naming another variable needs Terraform 1.9.
        { condition: '${can(regex("^([a-z][0-9]*)/([a-z][0-9]*,)*[a-z][0-9]*$", var.etcd_member_tag))}', errorMessage: 'etcd_member_tag is <member>/<all members>, e.g. a/a,b,c.' },
      ]),
      zone: variable(stack, 'zone', 'string', 'Availability zone of this master and of its volumes.', [
        { condition: `\${can(regex("${AZ_NAME_REGEX}", var.zone))}`, errorMessage: 'zone is an Availability Zone name, e.g. us-west-2a: the volumes can never leave it.' },
      ]),
      volumeNames: variable(stack, 'etcd_volume_names', 'object({ main = string, events = string })', 'Name tags of the etcd volumes.'),
      volume: variable(stack, 'etcd_volume', `object({\nsize = number\ntype = string${plan.etcd.volumeIops !== undefined ? '\niops = number' : ''}${plan.etcd.volumeThroughput !== undefined ? '\nthroughput = number' : ''}${plan.etcd.kmsKeyId ? '\nkms_key_id = string' : ''}\n})`, 'Size (GiB), type and encryption key of each etcd volume (spec.etcd); a smaller size cannot be applied, EBS volumes only grow.', [
        { condition: '${var.etcd_volume.size >= 1 && floor(var.etcd_volume.size) == var.etcd_volume.size}', errorMessage: 'etcd_volume.size is a whole number of GiB.' },
      ]),
      targets: variable(stack, 'target_group_arns', 'list(string)', 'API load balancer target groups to register into.'),
      subnetId: variable(stack, 'subnet_id', 'string', 'Subnet of the master, in its zone.'),
      ...groupVariables(stack, 'masters', plan),
    };

    const volumeField = (name: string) => field(v.volume.value, name);
    const volumeNumber = (name: string) => Token.asNumber(propertyAccess(v.volume.value, [name]));
    const volume = (kind: 'main' | 'events') =>
      describe(
        acceptChecks(new EbsVolume(stack, TF.etcdVolume(kind), {
          availabilityZone: v.zone.stringValue,
          size: volumeNumber('size'),
          type: volumeField('type'),
          iops: plan.etcd.volumeIops !== undefined ? volumeNumber('iops') : undefined,
          throughput: plan.etcd.volumeThroughput !== undefined ? volumeNumber('throughput') : undefined,
          encrypted: true,
          kmsKeyId: plan.etcd.kmsKeyId ? volumeField('kms_key_id') : undefined,
          tags: Fn.merge([
            v.tags.value,
            {
              Name: Fn.lookup(v.volumeNames.value, kind),
              [ETCD_TAGS[kind]]: v.memberTag.stringValue,
              [ETCD_TAGS.role]: '1',
              [ETCD_TAGS.member]: v.member.stringValue,
            },
          ]),
          lifecycle: { preventDestroy: plan.etcd.preventDestroy },
        }), 'CKV_AWS_189'),
        `etcd ${kind} data of this member, in the master's zone${plan.etcd.preventDestroy ? '; no plan may destroy it' : ''}.`,
      );
    const main = volume('main');
    const events = volume('events');
    const eni = describe(
      tfName(new NetworkInterface(stack, 'member_interface', {
        subnetId: v.subnetId.stringValue,
        securityGroups: v.sgs.listValue,
        description: 'etcd member interface: its IP survives instance replacement',
        tags: Fn.merge([v.tags.value, { Name: Fn.lookup(v.volumeNames.value, 'main'), [ETCD_TAGS.member]: v.member.stringValue }]),
      }), TF.memberInterface),
      "This member's fixed IP: attached at boot, so etcd peer URLs survive the instance's replacement.",
    );

    const { group } = instanceGroup(stack, {
      ...groupOptions(v, [v.subnetId.stringValue]),
      size: { min: 1, max: 1 },
      roleTags: { [ETCD_TAGS.role]: '1', [ETCD_TAGS.member]: v.member.stringValue },
      targetGroupArns: v.targets.listValue,
      publicByDesign: plan.topology === 'public',
    });

    output(stack, 'etcd_member', v.member.stringValue, 'Name of the etcd member.');
    output(stack, MasterOutputs.memberIp, eni.privateIp, 'The member\'s fixed IP: etcd peer URL and API address.');
    output(stack, 'autoscaling_group_name', group.name, 'Autoscaling group of this master.');
    output(stack, 'autoscaling_group_size', { min: group.minSize, max: group.maxSize, desired: group.desiredCapacity }, 'Sizes of the group: always exactly one.');
    output(stack, 'subnet_ids', group.vpcZoneIdentifier, 'Subnets the group launches into: this master\'s subnet only.');
    output(stack, MasterOutputs.volumeIds, { main: main.id, events: events.id }, 'IDs of the etcd volumes.');
    output(stack, 'member_interface_subnet_id', eni.subnetId, 'Subnet of the member\'s network interface.');
    output(stack, 'etcd_volume_zones', [main.availabilityZone, events.availabilityZone], 'Availability zones of the etcd volumes.');
    output(stack, 'etcd_volume_member_tags', [Fn.lookup(main.tags, ETCD_TAGS.main), Fn.lookup(events.tags, ETCD_TAGS.events)], 'The etcd member tags of both volumes.');
    return [{ dir: DIR, stack, summary: 'One master: its autoscaling group of one and its two etcd volumes, all in one zone.' }];
  },

  wire(ctx) {
    const network = moduleNamed(ctx, NETWORK_MODULE);
    const security = moduleNamed(ctx, SECURITY_MODULE);
    const iamMod = moduleNamed(ctx, IAM_MODULE);
    const lbs = [moduleNamed(ctx, API_MODULE), ...(ctx.plan.api.internalLoadBalancer ? [moduleNamed(ctx, INTERNAL_LB_MODULE)] : [])];
    for (const m of ctx.plan.masters) wireMaster(ctx, m, { network, security, iamMod }, lbs);
  },
};

function wireMaster(
  ctx: Parameters<Generator['wire']>[0],
  m: MasterPlan,
  mods: Record<'network' | 'security' | 'iamMod', ReturnType<typeof moduleNamed>>,
  lbs: readonly ReturnType<typeof moduleNamed>[],
): void {
  callModule(ctx, m.module, DIR, {
    etcd_member: m.member,
    etcd_member_tag: m.etcdMemberTag,
    zone: m.zone,
    subnet_id: Fn.lookup(mods.network.get(NetworkOutputs.subnetIds), m.zone),
    group_name: m.groupName,
    etcd_volume_names: { main: m.volumes.main, events: m.volumes.events },
    etcd_volume: ctx.shared.etcdVolume,
    image_id: ctx.shared.image.id,
    root_device_name: ctx.shared.image.rootDevice,
    instance_type: ctx.plan.masterSize,
    instance_profile: mods.iamMod.get(IamOutputs.mastersProfile),
    security_group_ids: [mods.security.get(SecurityOutputs.masters), ...ctx.plan.additionalSecurityGroups.masters],
    target_group_arns: lbs.map((lb) => lb.get(ApiOutputs.targetGroupArn)),
    ...groupInputs(ctx.plan),
    user_data_file: `\${path.module}/${userDataPath.master}`,
    tags: ctx.shared.tags,
  });
}

