import { Fn } from 'cdktn';
import { userDataPath } from '../model/names.js';
import { callModule, describe, type Generator, moduleNamed, moduleStack, output, variable } from './context.js';
import { IAM_MODULE, IamOutputs } from './iam.js';
import { groupInputs, groupOptions, groupVariables, instanceGroup } from './instances.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';
import { SECURITY_MODULE, SecurityOutputs } from './security.js';

const DIR = 'modules/nodes';

const WHOLE = (name: string, what: string) => [{ condition: `\${var.${name} >= 0 && floor(var.${name}) == var.${name}}`, errorMessage: `${name} is a whole number of ${what}, 0 or more.` }];
const SPOT_STRATEGIES = ['price-capacity-optimized', 'capacity-optimized', 'capacity-optimized-prioritized', 'lowest-price'];

/**
 * Worker nodes: by default one autoscaling group across every zone (kops's node group), which
 * relaunches a lost zone's nodes in the others; per zone on request. min = max = desired = size,
 * unless nodes.minSize/maxSize give a range: then the group starts at size, carries the
 * cluster-autoscaler's tags, and Terraform leaves its desired capacity alone after creation. A mixed
 * instances policy (nodes.mixedInstancesPolicy, nodes.maxPrice) adds instance types and spot.
 */
export const nodes: Generator = {
  name: 'nodes',

  modules(scope, plan) {
    const stack = moduleStack(scope, 'nodes');
    const v = {
      size: variable(stack, 'size', 'number', plan.nodesScale ? 'Number of nodes in the group at creation; then the cluster-autoscaler sizes it, between min_size and max_size.' : 'Number of nodes in the group.', WHOLE('size', 'nodes')),
      subnetIds: variable(stack, 'subnet_ids', 'list(string)', 'Subnets the nodes run in, one per zone of the group.', [{ condition: '${length(var.subnet_ids) > 0}', errorMessage: 'the nodes need at least one subnet.' }]),
      ...groupVariables(stack, 'nodes', plan),
    };
    const range = plan.nodesScale
      ? {
          min: variable(stack, 'min_size', 'number', 'Fewest nodes the group scales in to (nodes.minSize).', WHOLE('min_size', 'nodes')),
          max: variable(stack, 'max_size', 'number', 'Most nodes the group scales out to (nodes.maxSize).', WHOLE('max_size', 'nodes')),
          groupTags: variable(stack, 'group_tags', 'map(string)', "Tags of the autoscaling group alone, not of its instances: the cluster-autoscaler's auto-discovery tags, and its node template for a group that may be at zero."),
        }
      : undefined;
    const m = plan.nodeInstances;
    const mixed = m
      ? {
          instanceTypes: variable(stack, 'instance_types', 'list(string)', 'EC2 instance types the group launches, in priority order (nodes.mixedInstancesPolicy.instances); they override instance_type.', [{ condition: '${length(var.instance_types) > 0}', errorMessage: 'the group needs at least one instance type.' }]),
          onDemandBase: variable(stack, 'on_demand_base_capacity', 'number', 'On-demand instances the group keeps before any spot (nodes.mixedInstancesPolicy.onDemandBase).', WHOLE('on_demand_base_capacity', 'instances')),
          onDemandAboveBase: variable(stack, 'on_demand_percentage_above_base_capacity', 'number', 'Percentage of on-demand instances above the base; the rest is spot (nodes.mixedInstancesPolicy.onDemandAboveBase).', [{ condition: '${var.on_demand_percentage_above_base_capacity >= 0 && var.on_demand_percentage_above_base_capacity <= 100}', errorMessage: 'on_demand_percentage_above_base_capacity is a percentage, 0 to 100.' }]),
          strategy: variable(stack, 'spot_allocation_strategy', 'string', 'How spot instances are chosen among the instance types (nodes.mixedInstancesPolicy.spotAllocationStrategy).', [{ condition: `\${contains([${SPOT_STRATEGIES.map((s) => `"${s}"`).join(', ')}], var.spot_allocation_strategy)}`, errorMessage: `spot_allocation_strategy is one of ${SPOT_STRATEGIES.join(', ')}.` }]),
          maxPrice: m.maxPrice !== undefined ? variable(stack, 'spot_max_price', 'string', 'Highest hourly price paid for a spot instance, in USD (nodes.maxPrice).') : undefined,
        }
      : undefined;
    const { group } = instanceGroup(stack, {
      ...groupOptions(v, v.subnetIds.listValue),
      size: range ? { min: range.min.numberValue, max: range.max.numberValue, desired: v.size.numberValue } : { min: v.size.numberValue, max: v.size.numberValue },
      groupTags: range?.groupTags.value,
      mixed: mixed && {
        instanceTypes: mixed.instanceTypes.listValue,
        onDemandBase: mixed.onDemandBase.numberValue,
        onDemandAboveBase: mixed.onDemandAboveBase.numberValue,
        spotAllocationStrategy: mixed.strategy.stringValue,
        spotMaxPrice: mixed.maxPrice?.stringValue,
      },
      roleTags: { 'k8s.io/role/node': '1' },
      publicByDesign: plan.topology === 'public',
    });
    const why = [
      range ? 'The cluster-autoscaler sizes it within min_size and max_size (found by group_tags); Terraform only at creation.' : '',
      mixed ? 'Launches instance_types in order: on-demand to the base and its share, spot above.' : '',
    ].filter(Boolean);
    if (why.length) describe(group, why.join(' '));
    output(stack, 'autoscaling_group_name', group.name, 'Autoscaling group of the nodes.');
    // What the emitted terraform test holds to the YAML (tests/ha.tftest.json), where the YAML asks for more than a fixed group.
    if (range) {
      output(stack, 'autoscaling_group_size', { min: group.minSize, max: group.maxSize, desired: group.desiredCapacity }, 'Sizes of the group: its range, and its size at creation.');
      output(stack, 'group_only_tags', '${[for t in aws_autoscaling_group.this.tag : t.key if !t.propagate_at_launch]}', 'Tag keys of the group that its instances do not carry: the cluster-autoscaler\'s.');
    }
    if (mixed) {
      output(
        stack,
        'instances',
        {
          types: '${[for o in aws_autoscaling_group.this.mixed_instances_policy[0].launch_template[0].override : o.instance_type]}',
          on_demand_base_capacity: '${aws_autoscaling_group.this.mixed_instances_policy[0].instances_distribution[0].on_demand_base_capacity}',
          on_demand_percentage_above_base_capacity: '${aws_autoscaling_group.this.mixed_instances_policy[0].instances_distribution[0].on_demand_percentage_above_base_capacity}',
        },
        'The instance types the group launches, in priority order, and its on-demand share.',
      );
    }
    return [{ dir: DIR, stack, summary: 'A group of worker nodes, in the subnets of its zones.' }];
  },

  wire(ctx) {
    const network = moduleNamed(ctx, NETWORK_MODULE);
    const m = ctx.plan.nodeInstances;
    for (const g of ctx.plan.nodeGroups) {
      callModule(ctx, g.module, DIR, {
        group_name: g.groupName,
        size: g.size,
        ...(ctx.plan.nodesScale ? { min_size: g.minSize, max_size: g.maxSize, group_tags: g.groupTags } : {}),
        subnet_ids: g.zones.map((z) => Fn.lookup(network.get(NetworkOutputs.subnetIds), z)),
        image_id: ctx.shared.image.id,
        root_device_name: ctx.shared.image.rootDevice,
        instance_type: ctx.plan.nodeSize,
        ...(m
          ? {
              instance_types: m.instances,
              on_demand_base_capacity: m.onDemandBase,
              on_demand_percentage_above_base_capacity: m.onDemandAboveBase,
              spot_allocation_strategy: m.spotAllocationStrategy,
              ...(m.maxPrice !== undefined ? { spot_max_price: m.maxPrice } : {}),
            }
          : {}),
        instance_profile: moduleNamed(ctx, IAM_MODULE).get(IamOutputs.nodesProfile),
        security_group_ids: [moduleNamed(ctx, SECURITY_MODULE).get(SecurityOutputs.nodes), ...ctx.plan.additionalSecurityGroups.nodes],
        ...groupInputs(ctx.plan),
        user_data_file: `\${path.module}/${userDataPath.node}`,
        tags: ctx.shared.tags,
      });
    }
  },
};
