import { Fn } from 'cdktn';
import { userDataPath } from '../model/names.js';
import { callModule, type Generator, moduleNamed, moduleStack, output, variable } from './context.js';
import { IAM_MODULE, IamOutputs } from './iam.js';
import { groupInputs, groupOptions, groupVariables, instanceGroup } from './instances.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';
import { SECURITY_MODULE, SecurityOutputs } from './security.js';

const DIR = 'modules/nodes';

/**
 * Worker nodes: by default one autoscaling group across every zone (kops's node group), which
 * relaunches a lost zone's nodes in the others; per zone on request. min = max = desired = size.
 */
export const nodes: Generator = {
  name: 'nodes',

  modules(scope, plan) {
    const stack = moduleStack(scope, 'nodes');
    const v = {
      size: variable(stack, 'size', 'number', 'Number of nodes in the group.', [{ condition: '${var.size >= 0 && floor(var.size) == var.size}', errorMessage: 'size is a whole number of nodes, 0 or more.' }]),
      subnetIds: variable(stack, 'subnet_ids', 'list(string)', 'Subnets the nodes run in, one per zone of the group.', [{ condition: '${length(var.subnet_ids) > 0}', errorMessage: 'the nodes need at least one subnet.' }]),
      ...groupVariables(stack, 'nodes', plan),
    };
    const { group } = instanceGroup(stack, {
      ...groupOptions(v, v.subnetIds.listValue),
      size: { min: v.size.numberValue, max: v.size.numberValue },
      roleTags: { 'k8s.io/role/node': '1' },
      publicByDesign: plan.topology === 'public',
    });
    output(stack, 'autoscaling_group_name', group.name, 'Autoscaling group of the nodes.');
    return [{ dir: DIR, stack, summary: 'A group of worker nodes, in the subnets of its zones.' }];
  },

  wire(ctx) {
    const network = moduleNamed(ctx, NETWORK_MODULE);
    for (const g of ctx.plan.nodeGroups) {
      callModule(ctx, g.module, DIR, {
        group_name: g.groupName,
        size: g.size,
        subnet_ids: g.zones.map((z) => Fn.lookup(network.get(NetworkOutputs.subnetIds), z)),
        image_id: ctx.shared.image.id,
        root_device_name: ctx.shared.image.rootDevice,
        instance_type: ctx.plan.nodeSize,
        instance_profile: moduleNamed(ctx, IAM_MODULE).get(IamOutputs.nodesProfile),
        security_group_ids: [moduleNamed(ctx, SECURITY_MODULE).get(SecurityOutputs.nodes), ...ctx.plan.additionalSecurityGroups.nodes],
        ...groupInputs(ctx.plan),
        user_data_file: `\${path.module}/${userDataPath.node}`,
        tags: ctx.shared.tags,
      });
    }
  },
};
