import { Fn, type IResolvable, Op, TerraformIterator, Token, type TerraformStack } from 'cdktn';
import { AutoscalingGroup } from '@cdktn/provider-aws/lib/autoscaling-group/index.js';
import { AutoscalingLifecycleHook } from '@cdktn/provider-aws/lib/autoscaling-lifecycle-hook/index.js';
import { LaunchTemplate } from '@cdktn/provider-aws/lib/launch-template/index.js';
import type { ClusterPlan } from '../model/plan.js';
import { describe, tfName, variable } from './context.js';
import { acceptChecks } from './checkov.js';
import { DRAIN_HOOK } from './termination.js';

/** The tag the node termination handler checks before it drains an instance. */
export const NTH_MANAGED_TAG = 'aws-node-termination-handler/managed';

/** Root volume of every instance, in GiB: room for images and logs. */
export const ROOT_VOLUME_SIZE = 64;

/**
 * User data from a boot script in the output: its comment lines left out (the file in the repo keeps
 * them for review; bash never reads them) and gzip-compressed at plan time (cloud-init unpacks it),
 * so that the script stays readable in the repo and far below EC2's 16 KB user-data limit.
 * COMMENT_LINE is an RE2 pattern (Terraform's replace) that JavaScript reads alike.
 */
export const COMMENT_LINE = '(?m)^[ \\t]*#([^!].*)?\\n';

export function bootScript(path: string): string {
  return Fn.base64gzip(Fn.replace(Fn.file(path), `/${COMMENT_LINE}/`, ''));
}

/** The inputs every instance-group module (masters, nodes) takes from the root. */
export function groupVariables(stack: TerraformStack, role: 'masters' | 'nodes', plan: ClusterPlan) {
  return {
    groupName: variable(stack, 'group_name', 'string', 'Name of the launch template and autoscaling group.'),
    imageId: variable(stack, 'image_id', 'string', `AMI of the ${role}.`),
    rootDevice: rootDeviceVariable(stack),
    instanceType: variable(stack, 'instance_type', 'string', `EC2 instance type of the ${role}.`),
    profile: variable(stack, 'instance_profile', 'string', `IAM instance profile of the ${role}.`),
    sgs: variable(stack, 'security_group_ids', 'list(string)', `Security groups of the ${role}.`),
    publicIp: variable(stack, 'public_ip', 'bool', `Public IP addresses for the ${role} (public topology).`),
    keyName: plan.ssh.keyName ? variable(stack, 'ssh_key_name', 'string', 'EC2 key pair for SSH (sshKeyName).') : undefined,
    userData: variable(stack, 'user_data_file', 'string', `Bootstrap script of the ${role} (userdata/${role === 'masters' ? 'master' : 'node'}.sh).`),
    tags: variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.'),
  };
}

/** The image's own root device name (Ubuntu's /dev/sda1, Amazon Linux's /dev/xvda): mapped there, the root volume replaces the image's. */
export function rootDeviceVariable(stack: TerraformStack) {
  return variable(stack, 'root_device_name', 'string', "Root device name of the AMI, from the image itself.");
}

/** The root's values for groupVariables that every group of the cluster shares. */
export function groupInputs(plan: ClusterPlan): Record<string, unknown> {
  return { public_ip: plan.topology === 'public', ...(plan.ssh.keyName ? { ssh_key_name: plan.ssh.keyName } : {}) };
}

/** What every group module passes on from its groupVariables: the same for masters and nodes. */
export function groupOptions(v: ReturnType<typeof groupVariables>, subnetIds: string[]) {
  return {
    name: v.groupName.stringValue,
    imageId: v.imageId.stringValue,
    rootDevice: v.rootDevice.stringValue,
    instanceType: v.instanceType.stringValue,
    instanceProfile: v.profile.stringValue,
    securityGroupIds: v.sgs.listValue,
    subnetIds,
    publicIp: v.publicIp.booleanValue,
    tags: v.tags.value,
    keyName: v.keyName?.stringValue,
    userData: bootScript(v.userData.stringValue),
    // Hop limit 1: pods get no route to the instance's credentials.
    metadataHopLimit: 1,
    drain: true,
  };
}

export interface InstanceGroupOptions {
  readonly name: string;
  readonly imageId: string;
  /** The root device name the image maps: a mapping under any other name adds a volume and leaves the image's root as it is. */
  readonly rootDevice: string;
  readonly instanceType: string;
  readonly instanceProfile: string;
  readonly securityGroupIds: string[];
  readonly subnetIds: string[];
  readonly publicIp: boolean | IResolvable;
  /** The root gives public_ip = true (public topology): checkov's CKV_AWS_88 is accepted on the template. */
  readonly publicByDesign?: boolean;
  /** desired: the size at creation, left to the cluster-autoscaler after (ignore_changes); default max. */
  readonly size: { readonly min: number | string; readonly max: number | string; readonly desired?: number | string };
  /** The group's own tags, not propagated to its instances (the cluster-autoscaler's): a map(string) value. */
  readonly groupTags?: unknown;
  /** Several instance types and spot capacity: the group's mixed_instances_policy. */
  readonly mixed?: MixedInstancesOptions;
  /** The cluster's tags. */
  readonly tags: unknown;
  /** Tags of this group's role, added to the cluster's and to a Name tag. */
  readonly roleTags: Readonly<Record<string, string>>;
  readonly keyName?: string;
  readonly userData?: string;
  readonly targetGroupArns?: string[];
  /** Hop limit 1 keeps pods from reaching instance credentials through IMDS. */
  readonly metadataHopLimit: number;
  /** A Kubernetes node: drained by the node termination handler before its instance goes. */
  readonly drain: boolean;
}

export interface MixedInstancesOptions {
  /** list(string): the launch template's overrides, in priority order. */
  readonly instanceTypes: string[];
  readonly onDemandBase: number;
  readonly onDemandAboveBase: number;
  readonly spotAllocationStrategy: string;
  readonly spotMaxPrice?: string;
}

/**
 * A launch template and its autoscaling group, secure by default: IMDSv2 required, encrypted root
 * volume, no public address unless the topology needs one.
 */
export function instanceGroup(stack: TerraformStack, o: InstanceGroupOptions): { template: LaunchTemplate; group: AutoscalingGroup } {
  // The node termination handler drains only instances that carry its tag.
  const own = { Name: o.name, ...o.roleTags, ...(o.drain ? { [NTH_MANAGED_TAG]: '' } : {}) };
  const tags = Fn.merge([o.tags, own]);
  // A public address by design (public topology, the bastion): checkov's check is for instances that should have none.
  const acceptPublic = (t: LaunchTemplate) => (o.publicIp === true || o.publicByDesign ? acceptChecks(t, 'CKV_AWS_88') : t);
  const template = describe(
    acceptPublic(tfName(new LaunchTemplate(stack, 'launch_template', {
      name: o.name,
      imageId: o.imageId,
      instanceType: o.instanceType,
      keyName: o.keyName,
      userData: o.userData,
      iamInstanceProfile: { name: o.instanceProfile },
      networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: typeof o.publicIp === 'boolean' ? String(o.publicIp) : Token.asString(o.publicIp), deleteOnTermination: 'true', securityGroups: o.securityGroupIds }],
      // Tags stay out of instance metadata: EC2 refuses to launch when a tag key there has a '/', and
      // every Kubernetes tag has one (kubernetes/cloud-provider-aws#436). Boot scripts read tags via the API.
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: o.metadataHopLimit, instanceMetadataTags: 'disabled' },
      blockDeviceMappings: [{ deviceName: o.rootDevice, ebs: { volumeSize: ROOT_VOLUME_SIZE, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } }],
      tagSpecifications: [{ resourceType: 'volume', tags }],
      tags,
      lifecycle: { createBeforeDestroy: true },
    }), 'this')),
    'IMDSv2 only, encrypted root volume.',
  );
  // Instances take their tags from the group, so that a tag change never replaces the template.
  const allTags = o.groupTags ? Fn.merge([o.tags, own, o.groupTags]) : tags;
  const tagIt = TerraformIterator.fromMap(allTags as unknown as Record<string, string>);
  const launchTemplate = { id: template.id, version: Token.asString(template.latestVersion) };
  // Over the list itself, not a set of it (fromList's toset): the overrides keep their priority order.
  const typeIt = o.mixed && TerraformIterator.fromMap(o.mixed.instanceTypes as unknown as Record<string, string>);
  const group = tfName(new AutoscalingGroup(stack, 'autoscaling_group', {
    name: o.name,
    minSize: o.size.min as number,
    maxSize: o.size.max as number,
    desiredCapacity: (o.size.desired ?? o.size.max) as number,
    vpcZoneIdentifier: o.subnetIds,
    ...(o.mixed && typeIt
      ? {
          // The launch template's type is overridden by the instances, on-demand and spot as the distribution says.
          mixedInstancesPolicy: {
            instancesDistribution: {
              onDemandBaseCapacity: o.mixed.onDemandBase,
              onDemandPercentageAboveBaseCapacity: o.mixed.onDemandAboveBase,
              spotAllocationStrategy: o.mixed.spotAllocationStrategy,
              ...(o.mixed.spotMaxPrice !== undefined ? { spotMaxPrice: o.mixed.spotMaxPrice } : {}),
            },
            launchTemplate: {
              launchTemplateSpecification: { launchTemplateId: launchTemplate.id, version: launchTemplate.version },
              override: typeIt.dynamic({ instance_type: typeIt.value }),
            },
          },
        }
      : { launchTemplate }),
    targetGroupArns: o.targetGroupArns,
    // The group's own tags (the cluster-autoscaler reads them on the group) stay off its instances.
    tag: tagIt.dynamic({ key: tagIt.key, value: tagIt.value, propagate_at_launch: o.groupTags ? Op.not(Fn.contains(Fn.keys(o.groupTags), tagIt.key)) : true }),
    // The cluster-autoscaler owns the desired capacity once the group exists: an apply must not undo its scaling.
    ...(o.size.desired !== undefined ? { lifecycle: { ignoreChanges: ['desired_capacity'] } } : {}),
  }), 'this');
  if (!o.drain) return { template, group };
  describe(
    tfName(
      new AutoscalingLifecycleHook(stack, 'drain', {
        name: DRAIN_HOOK.name,
        autoscalingGroupName: group.name,
        lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        heartbeatTimeout: DRAIN_HOOK.heartbeatSeconds,
        defaultResult: 'CONTINUE',
      }),
      'drain',
    ),
    `A terminating instance waits until the node termination handler has drained it (at most ${DRAIN_HOOK.heartbeatSeconds / 60} minutes).`,
  );
  return { template, group };
}
