import { Fn, TerraformIterator, Token, type TerraformStack } from 'cdktn';
import { AutoscalingGroup } from '@cdktn/provider-aws/lib/autoscaling-group/index.js';
import { LaunchTemplate } from '@cdktn/provider-aws/lib/launch-template/index.js';
import type { ClusterPlan } from '../model/plan.js';
import { describe, tfName, variable } from './context.js';

/** Root volume of every instance, in GiB: room for images and logs. */
export const ROOT_VOLUME_SIZE = 64;
/** Ubuntu's root device; the AMI maps it. */
const ROOT_DEVICE = '/dev/sda1';

/**
 * User data from a boot script in the output: gzip-compressed at plan time (cloud-init unpacks it),
 * so that the script stays readable in the repo and far below EC2's 16 KB user-data limit.
 */
export function bootScript(path: string): string {
  return Fn.base64gzip(Fn.file(path));
}

/** The inputs every instance-group module (masters, nodes) takes from the root. */
export function groupVariables(stack: TerraformStack, role: 'masters' | 'nodes') {
  return {
    groupName: variable(stack, 'group_name', 'string', 'Name of the launch template and autoscaling group.'),
    subnetId: variable(stack, 'subnet_id', 'string', `Subnet of the ${role}, in their zone.`),
    imageId: variable(stack, 'image_id', 'string', `AMI of the ${role}.`),
    instanceType: variable(stack, 'instance_type', 'string', `EC2 instance type of the ${role}.`),
    profile: variable(stack, 'instance_profile', 'string', `IAM instance profile of the ${role}.`),
    sgs: variable(stack, 'security_group_ids', 'list(string)', `Security groups of the ${role}.`),
    userData: variable(stack, 'user_data_file', 'string', `Bootstrap script of the ${role} (userdata/${role === 'masters' ? 'master' : 'node'}.sh).`),
    tags: variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.'),
  };
}

/** What every group module passes on from its groupVariables: the same for masters and nodes. */
export function groupOptions(v: ReturnType<typeof groupVariables>, plan: ClusterPlan) {
  return {
    name: v.groupName.stringValue,
    imageId: v.imageId.stringValue,
    instanceType: v.instanceType.stringValue,
    instanceProfile: v.profile.stringValue,
    securityGroupIds: v.sgs.listValue,
    subnetIds: [v.subnetId.stringValue],
    publicIp: plan.topology === 'public',
    tags: v.tags.value,
    keyName: plan.ssh.keyName,
    userData: bootScript(v.userData.stringValue),
    // Hop limit 1: pods get no route to the instance's credentials.
    metadataHopLimit: 1,
  };
}

export interface InstanceGroupOptions {
  readonly name: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly instanceProfile: string;
  readonly securityGroupIds: string[];
  readonly subnetIds: string[];
  readonly publicIp: boolean;
  readonly size: { readonly min: number | string; readonly max: number | string };
  /** The cluster's tags. */
  readonly tags: unknown;
  /** Tags of this group's role, added to the cluster's and to a Name tag. */
  readonly roleTags: Readonly<Record<string, string>>;
  readonly keyName?: string;
  readonly userData?: string;
  readonly targetGroupArns?: string[];
  /** Hop limit 1 keeps pods from reaching instance credentials through IMDS. */
  readonly metadataHopLimit: number;
}

/**
 * A launch template and its autoscaling group, secure by default: IMDSv2 required, encrypted root
 * volume, no public address unless the topology needs one.
 */
export function instanceGroup(stack: TerraformStack, o: InstanceGroupOptions): { template: LaunchTemplate; group: AutoscalingGroup } {
  const tags = Fn.merge([o.tags, { Name: o.name, ...o.roleTags }]);
  const template = describe(
    tfName(new LaunchTemplate(stack, 'launch_template', {
      name: o.name,
      imageId: o.imageId,
      instanceType: o.instanceType,
      keyName: o.keyName,
      userData: o.userData,
      iamInstanceProfile: { name: o.instanceProfile },
      networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: String(o.publicIp), deleteOnTermination: 'true', securityGroups: o.securityGroupIds }],
      // Tags stay out of instance metadata: EC2 refuses to launch when a tag key there has a '/', and
      // every Kubernetes tag has one (kubernetes/cloud-provider-aws#436). Boot scripts read tags via the API.
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: o.metadataHopLimit, instanceMetadataTags: 'disabled' },
      blockDeviceMappings: [{ deviceName: ROOT_DEVICE, ebs: { volumeSize: ROOT_VOLUME_SIZE, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } }],
      tagSpecifications: [{ resourceType: 'volume', tags }],
      tags,
      lifecycle: { createBeforeDestroy: true },
    }), 'this'),
    'IMDSv2 only, encrypted root volume.',
  );
  // Instances take their tags from the group, so that a tag change never replaces the template.
  const tagIt = TerraformIterator.fromMap(tags as unknown as Record<string, string>);
  const group = tfName(new AutoscalingGroup(stack, 'autoscaling_group', {
    name: o.name,
    minSize: o.size.min as number,
    maxSize: o.size.max as number,
    desiredCapacity: o.size.max as number,
    vpcZoneIdentifier: o.subnetIds,
    launchTemplate: { id: template.id, version: Token.asString(template.latestVersion) },
    targetGroupArns: o.targetGroupArns,
    tag: tagIt.dynamic({ key: tagIt.key, value: tagIt.value, propagate_at_launch: true }),
  }), 'this');
  return { template, group };
}
