import { userDataPath } from '../model/names.js';
import { callModule, type Generator, moduleNamed, moduleStack, output, variable } from './context.js';
import { IAM_MODULE, IamOutputs } from './iam.js';
import { bootScript, instanceGroup, rootDeviceVariable } from './instances.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';
import { SECURITY_MODULE, SecurityOutputs } from './security.js';

export const BASTION_MODULE = 'bastion';
const DIR = 'modules/bastion';
/** A jump host needs little. */
const BASTION_SIZE = 't3.micro';

/** The SSH jump host of a private cluster: a group of one across the utility subnets. */
export const bastion: Generator = {
  name: BASTION_MODULE,

  modules(scope, plan) {
    if (!plan.bastion) return [];
    const stack = moduleStack(scope, 'bastion');
    const groupName = variable(stack, 'group_name', 'string', 'Name of the launch template and autoscaling group.');
    const subnetIds = variable(stack, 'subnet_ids', 'list(string)', 'Utility subnets the bastion may run in.');
    const imageId = variable(stack, 'image_id', 'string', 'AMI of the bastion.');
    const rootDevice = rootDeviceVariable(stack);
    const profile = variable(stack, 'instance_profile', 'string', 'IAM instance profile of the bastion.');
    const sg = variable(stack, 'security_group_id', 'string', 'Security group of the bastion.');
    const keyName = plan.ssh.keyName ? variable(stack, 'ssh_key_name', 'string', 'EC2 key pair for SSH (sshKeyName).') : undefined;
    const userData = variable(stack, 'user_data_file', 'string', 'Bootstrap script of the bastion (userdata/bastion.sh).');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const { group } = instanceGroup(stack, {
      name: groupName.stringValue,
      imageId: imageId.stringValue,
      rootDevice: rootDevice.stringValue,
      instanceType: BASTION_SIZE,
      instanceProfile: profile.stringValue,
      securityGroupIds: [sg.stringValue],
      subnetIds: subnetIds.listValue,
      publicIp: true,
      size: { min: 1, max: 1 },
      tags: tags.value,
      roleTags: { 'k8s.io/role/bastion': '1' },
      keyName: keyName?.stringValue,
      userData: bootScript(userData.stringValue),
      metadataHopLimit: 1,
      drain: false,
    });
    output(stack, 'autoscaling_group_name', group.name, 'Autoscaling group of the bastion.');
    return [{ dir: DIR, stack, summary: 'The SSH bastion.' }];
  },

  wire(ctx) {
    if (!ctx.plan.bastion) return;
    callModule(ctx, BASTION_MODULE, DIR, {
      group_name: ctx.plan.bastion.groupName,
      subnet_ids: moduleNamed(ctx, NETWORK_MODULE).get(NetworkOutputs.loadBalancerSubnetIds),
      image_id: ctx.shared.image.id,
      root_device_name: ctx.shared.image.rootDevice,
      instance_profile: moduleNamed(ctx, IAM_MODULE).get(IamOutputs.bastionsProfile),
      security_group_id: moduleNamed(ctx, SECURITY_MODULE).get(SecurityOutputs.bastion),
      ...(ctx.plan.ssh.keyName ? { ssh_key_name: ctx.plan.ssh.keyName } : {}),
      user_data_file: `\${path.module}/${userDataPath.bastion}`,
      tags: ctx.shared.tags,
    });
  },
};
