import { Fn, ref, TerraformDataSource, TerraformIterator, TerraformLocal, Token } from 'cdktn';
import type { TerraformResource, TerraformStack, TerraformVariable } from 'cdktn';
import { DataAwsInternetGateway } from '@cdktn/provider-aws/lib/data-aws-internet-gateway/index.js';
import { DataAwsSubnet } from '@cdktn/provider-aws/lib/data-aws-subnet/index.js';
import { DataAwsVpc } from '@cdktn/provider-aws/lib/data-aws-vpc/index.js';
import { DefaultSecurityGroup } from '@cdktn/provider-aws/lib/default-security-group/index.js';
import { Ec2Tag } from '@cdktn/provider-aws/lib/ec2-tag/index.js';
import { Eip } from '@cdktn/provider-aws/lib/eip/index.js';
import { FlowLog } from '@cdktn/provider-aws/lib/flow-log/index.js';
import { InternetGateway } from '@cdktn/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktn/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktn/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktn/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktn/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktn/provider-aws/lib/vpc/index.js';
import { VpcIpv4CidrBlockAssociation } from '@cdktn/provider-aws/lib/vpc-ipv4-cidr-block-association/index.js';
import { TF } from '../model/names.js';
import type { ClusterPlan } from '../model/plan.js';
import { AZ_NAME_REGEX, callModule, describe, tfName, type Generator, moduleNamed, moduleStack, output, variable } from './context.js';
import { FLOW_LOGS_MODULE, FlowLogsOutputs } from './flow-logs.js';

export const NETWORK_MODULE = TF.networkModule;
const DIR = 'modules/network';

/** Outputs other concerns read, by name. */
export const NetworkOutputs = {
  vpcId: 'vpc_id',
  /** zone -> subnet where that zone's instances run */
  subnetIds: 'subnet_ids',
  /** the subnets that hold load balancers (and the bastion): utility in private topology */
  loadBalancerSubnetIds: 'load_balancer_subnet_ids',
} as const;

/** What the module is built for: the YAML decides which resources exist, the variables their values. */
interface Shape {
  readonly existingVpc: boolean;
  readonly existingSubnets: boolean;
  readonly privateTopology: boolean;
  /** Secondary CIDR blocks of a VPC haform creates. */
  readonly secondary: boolean;
  readonly gatewayId: boolean;
  /** Flow logs, for the VPC haform creates. */
  readonly flowLogs: boolean;
}

function shapeOf(plan: ClusterPlan): Shape {
  const net = plan.network;
  return {
    existingVpc: !!net.existingVpc,
    existingSubnets: net.zones.some((z) => !!z.subnet.existingId),
    privateTopology: plan.topology === 'private',
    secondary: !net.existingVpc && net.additionalCidrs.length > 0,
    gatewayId: !!net.existingVpc?.internetGatewayId,
    flowLogs: !!plan.flowLogs,
  };
}

const validCidr = (expr: string) => `can(cidrnetmask(${expr}))`;
/** A validation block: the condition is an expression, not a string. */
const rule = (condition: string, errorMessage: string) => ({ condition: `\${${condition}}`, errorMessage });

/** The zones variable: one object per Availability Zone, typed for what this cluster's module does with it. */
function zonesType(s: Shape): string {
  const fields = s.existingSubnets
    ? ['subnet_id = string', ...(s.privateTopology ? ['utility_subnet_id = string'] : []), 'cidr_block = optional(string)', ...(s.privateTopology ? ['utility_cidr_block = optional(string)'] : [])]
    : ['cidr_block = string', ...(s.privateTopology ? ['utility_cidr_block = string', 'egress = optional(string, "nat")'] : [])];
  return `map(object({\n${fields.join('\n')}\n}))`;
}

function zonesDescription(s: Shape): string {
  if (s.existingSubnets) return `The existing subnets, by Availability Zone: where the zone's instances run${s.privateTopology ? ' and its utility (public) subnet for the load balancer and the bastion' : ''}, with the CIDR each must have, where given.`;
  if (!s.privateTopology) return "The public subnet of each Availability Zone, by zone: where the zone's masters, nodes and load balancer run.";
  return 'The subnets of each Availability Zone, by zone: the private range of its masters and nodes, the utility (public) range of its load balancer, NAT gateway and bastion, and its egress: "nat" (a NAT gateway of its own), an existing NAT gateway ID, or "external" (no internet route: you route the subnet).';
}

function zonesValidation(s: Shape): { condition: string; errorMessage: string }[] {
  const out = [
    rule('length(var.zones) > 0', 'zones needs at least one Availability Zone.'),
    rule(`alltrue([for zone in keys(var.zones) : can(regex("${AZ_NAME_REGEX}", zone))])`, "zones is keyed by Availability Zone name, e.g. us-west-2a: each zone's subnets are created in it."),
  ];
  if (s.existingSubnets) {
    out.push(rule(`alltrue([for z in values(var.zones) : startswith(z.subnet_id, "subnet-")${s.privateTopology ? ' && startswith(z.utility_subnet_id, "subnet-")' : ''}])`, 'subnet_id (and utility_subnet_id) are subnet IDs, subnet-...'));
    return out;
  }
  out.push(rule(`alltrue([for z in values(var.zones) : ${validCidr('z.cidr_block')}${s.privateTopology ? ` && ${validCidr('z.utility_cidr_block')}` : ''}])`, 'cidr_block (and utility_cidr_block) are IPv4 CIDR blocks, e.g. 172.20.32.0/19.'));
  if (s.privateTopology) out.push(rule('alltrue([for z in values(var.zones) : contains(["nat", "external"], z.egress) || startswith(z.egress, "nat-")])', 'egress is "nat", "external" or an existing NAT gateway ID (nat-...).'));
  return out;
}

interface Inputs {
  readonly name: TerraformVariable;
  readonly zones: TerraformVariable;
  readonly tags: TerraformVariable;
  readonly cidrBlock?: TerraformVariable;
  readonly secondaryCidrBlocks?: TerraformVariable;
  readonly vpcId?: TerraformVariable;
  readonly cidrBlocks?: TerraformVariable;
  readonly internetGatewayId?: TerraformVariable;
  readonly flowLogs?: { readonly destination: TerraformVariable; readonly role: TerraformVariable };
}

/** The module's variables, declared in the order a reader wants them: name, VPC, zones, tags. */
function inputs(stack: TerraformStack, s: Shape): Inputs {
  const name = variable(stack, 'name', 'string', "The cluster's name: the Name tag of the VPC, and the suffix of every subnet's.");
  const vpc = s.existingVpc
    ? {
        vpcId: variable(stack, 'vpc_id', 'string', 'The existing VPC of the cluster (spec.network.vpcId): looked up, never changed.', [rule('startswith(var.vpc_id, "vpc-")', 'vpc_id is a VPC ID, vpc-...')]),
        cidrBlocks: s.existingSubnets ? undefined : variable(stack, 'cidr_blocks', 'list(string)', 'CIDR blocks of the existing VPC in which haform creates the subnets: the plan stops if the VPC lacks one.'),
        internetGatewayId: s.gatewayId ? variable(stack, 'internet_gateway_id', 'string', "The existing VPC's internet gateway (spec.network.internetGatewayId).") : undefined,
      }
    : {
        cidrBlock: variable(stack, 'cidr_block', 'string', 'IPv4 CIDR block of the VPC.', [rule(validCidr('var.cidr_block'), 'cidr_block is an IPv4 CIDR block, e.g. 172.20.0.0/16.')]),
        secondaryCidrBlocks: s.secondary ? variable(stack, 'secondary_cidr_blocks', 'list(string)', 'Secondary IPv4 CIDR blocks of the VPC (spec.network.additionalCIDRs), for subnets beyond the first block.') : undefined,
      };
  const zones = variable(stack, 'zones', zonesType(s), zonesDescription(s), zonesValidation(s));
  const flowLogs = s.flowLogs
    ? {
        destination: variable(stack, 'flow_log_group_arn', 'string', 'CloudWatch Logs group of the VPC\'s flow logs (modules/flow-logs).'),
        role: variable(stack, 'flow_log_role_arn', 'string', 'Role that delivers the VPC\'s flow logs to that group.'),
      }
    : undefined;
  const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
  return { name, zones, tags, ...vpc, ...(flowLogs ? { flowLogs } : {}) };
}

type Named = (name: string, extra?: Record<string, string>) => ReturnType<typeof Fn.merge>;

/** `aws_subnet.private[each.key].id`: the same zone's instance of another for_each resource. */
function sameZone(stack: TerraformStack, r: TerraformResource, attr: string): string {
  const prefix = r instanceof TerraformDataSource ? 'data.' : '';
  return Token.asString(ref(`${prefix}${r.terraformResourceType}.${r.friendlyUniqueId}[each.key].${attr}`, stack));
}

/** `data.aws_subnet.private` or `aws_subnet.private`: the resource's address, for for expressions. */
function addressOf(r: TerraformResource | TerraformDataSource): string {
  return `${r instanceof TerraformDataSource ? 'data.' : ''}${r.terraformResourceType}.${r.friendlyUniqueId}`;
}

/**
 * VPC, internet gateway, subnets per zone and, in private topology, a NAT gateway per zone: each kind
 * one block with for_each over the zones variable, so that the cluster's zones and ranges live in the
 * root and a zone added is an instance added. With an existing VPC (kops --vpc) the VPC and its
 * gateway are looked up; existing subnets (kops --subnets) are looked up and tagged as shared with the
 * cluster, as kops tags them, so that the cloud controller finds them; their routes stay the user's.
 */
export const network: Generator = {
  name: NETWORK_MODULE,

  modules(scope, plan) {
    const stack = moduleStack(scope, 'network');
    const s = shapeOf(plan);
    const v = inputs(stack, s);
    const named: Named = (name, extra = {}) => Fn.merge([v.tags.value, { Name: name, ...extra }]);
    const zone = TerraformIterator.fromMap(v.zones.value as Record<string, unknown>);
    const key = Token.asString(zone.key);
    const role = s.privateTopology ? 'private' : 'public';
    const vpc = vpcOf(stack, v, named);

    let instances: TerraformResource | TerraformDataSource;
    let utility: TerraformResource | TerraformDataSource | undefined;
    if (s.existingSubnets) {
      const lookup = (name: string, idField: string, cidrField: string, text: string) => {
        const found = describe(
          tfName(new DataAwsSubnet(stack, `existing_${name}`, { forEach: zone, id: zone.getString(idField), availabilityZone: key, vpcId: vpc.id, cidrBlock: zone.getString(cidrField) }), name),
          `${text} Looked up by ID, zone and VPC (and CIDR, where given): a subnet anywhere else is not found, and the plan stops.`,
        );
        describe(
          tfName(new Ec2Tag(stack, `${name}_shared`, { forEach: zone, resourceId: sameZone(stack, found as never, 'id'), key: `kubernetes.io/cluster/${v.name.stringValue}`, value: 'shared' }), name),
          'Shared with the cluster, as kops tags existing subnets, so that the cloud controller finds them.',
        );
        return found;
      };
      instances = lookup(role, 'subnet_id', 'cidr_block', `The existing ${s.privateTopology ? 'private subnets of the masters and nodes' : 'public subnets of the masters, nodes and load balancer'}, one per zone.`);
      if (s.privateTopology) utility = lookup('utility', 'utility_subnet_id', 'utility_cidr_block', 'The existing utility (public) subnets of the load balancer and the bastion, one per zone.');
    } else {
      const gateway = internetGateway(stack, v, vpc.id, named);
      const publicRoutes = describe(
        new RouteTable(stack, 'public', { vpcId: vpc.id, tags: named(v.name.stringValue, { 'kubernetes.io/kops/role': 'public' }) }),
        'Public subnets reach the internet through the internet gateway.',
      );
      new Route(stack, 'public_internet', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: gateway.id });
      const dependsOn = vpc.secondary ? [vpc.secondary] : undefined;
      const subnet = (name: string, cidrField: string, tags: ReturnType<typeof Fn.merge>, comment: string) =>
        describe(tfName(new Subnet(stack, `subnet_${name}`, { forEach: zone, vpcId: vpc.id, availabilityZone: key, cidrBlock: zone.getString(cidrField), tags, dependsOn }), name), comment);
      const associate = (name: string, subnet: TerraformResource, routeTableId: string) =>
        tfName(new RouteTableAssociation(stack, `association_${name}`, { forEach: zone, subnetId: sameZone(stack, subnet, 'id'), routeTableId }), name);
      if (!s.privateTopology) {
        instances = subnet('public', 'cidr_block', named(`${key}.${v.name.stringValue}`, { SubnetType: 'Public', 'kubernetes.io/role/elb': '1' }), 'Public subnets, one per zone, for masters, nodes and the load balancer.');
        associate('public', instances, publicRoutes.id);
      } else {
        instances = subnet('private', 'cidr_block', named(`${key}.${v.name.stringValue}`, { SubnetType: 'Private', 'kubernetes.io/role/internal-elb': '1' }), 'Private subnets, one per zone, for masters and nodes.');
        utility = subnet('utility', 'utility_cidr_block', named(`utility-${key}.${v.name.stringValue}`, { SubnetType: 'Utility', 'kubernetes.io/role/elb': '1' }), 'Utility (public) subnets, one per zone, for the load balancer, the NAT gateways and the bastion.');
        associate('utility', utility, publicRoutes.id);
        privateEgress(stack, v, vpc.id, instances, utility, gateway, named);
      }
    }

    output(stack, 'vpc_id', vpc.id, 'ID of the cluster VPC.');
    output(stack, 'subnet_ids', ref(`{ for zone, subnet in ${addressOf(instances)} : zone => subnet.id }`, stack), 'Subnet where the instances of each zone run, by zone.');
    output(stack, 'load_balancer_subnet_ids', ref(`[for subnet in ${addressOf(utility ?? instances)} : subnet.id]`, stack), 'Subnets of the API load balancer and the bastion, one per zone.');
    output(stack, 'subnet_zones', ref(`{ for zone, subnet in ${addressOf(instances)} : zone => subnet.availability_zone }`, stack), 'Availability zone of the subnet where the instances of each zone run, by zone.');
    if (s.privateTopology && !s.existingSubnets) {
      output(stack, 'nat_gateway_ids', ref('{ for zone, nat in aws_nat_gateway.main : zone => nat.id }', stack), 'NAT gateway of each zone that has its own, by zone.');
      output(stack, 'private_route_nat_gateway_ids', ref('{ for zone, route in aws_route.private_internet : zone => route.nat_gateway_id }', stack), "NAT gateway that each zone's private route table sends internet traffic to, by zone.");
    }
    const summary = s.existingVpc ? 'The existing VPC, looked up, and the subnets per zone, with their routes and NAT where haform creates them.' : 'The VPC, subnets per zone, internet gateway and NAT.';
    return [{ dir: DIR, stack, summary }];
  },

  wire(ctx) {
    const flowLogs = ctx.plan.flowLogs ? moduleNamed(ctx, FLOW_LOGS_MODULE) : undefined;
    callModule(ctx, NETWORK_MODULE, DIR, {
      ...networkInputs(ctx.plan, ctx.shared.tags),
      ...(flowLogs ? { flow_log_group_arn: flowLogs.get(FlowLogsOutputs.groupArn), flow_log_role_arn: flowLogs.get(FlowLogsOutputs.roleArn) } : {}),
    });
  },
};

/** The module call's arguments: everything cluster-specific about the network. */
function networkInputs(plan: ClusterPlan, tags: unknown): Record<string, unknown> {
  const s = shapeOf(plan);
  const net = plan.network;
  const zones = Object.fromEntries(
    net.zones.map((z) => [
      z.zone,
      s.existingSubnets
        ? {
            subnet_id: z.subnet.existingId,
            ...(z.utility ? { utility_subnet_id: z.utility.existingId } : {}),
            ...(z.subnet.cidr ? { cidr_block: z.subnet.cidr } : {}),
            ...(z.utility?.cidr ? { utility_cidr_block: z.utility.cidr } : {}),
          }
        : { cidr_block: z.subnet.cidr, ...(z.utility ? { utility_cidr_block: z.utility.cidr } : {}), ...(z.egress ? { egress: z.egress } : {}) },
    ]),
  );
  const vpc = net.existingVpc
    ? { vpc_id: net.existingVpc.id, ...(s.existingSubnets ? {} : { cidr_blocks: [net.cidr, ...net.additionalCidrs] }), ...(s.gatewayId ? { internet_gateway_id: net.existingVpc.internetGatewayId } : {}) }
    : { cidr_block: net.cidr, ...(s.secondary ? { secondary_cidr_blocks: net.additionalCidrs } : {}) };
  return { name: plan.name, ...vpc, zones, tags };
}

interface VpcRef {
  readonly id: string;
  /** The secondary blocks' associations: subnets in them wait for them. */
  readonly secondary?: TerraformResource;
}

/** The VPC: created with its secondary blocks, or the user's, looked up and held to the ranges the subnets need. */
function vpcOf(stack: TerraformStack, v: Inputs, named: Named): VpcRef {
  if (v.vpcId) {
    const vpc = describe(
      tfName(
        new DataAwsVpc(stack, 'existing_vpc', {
          id: v.vpcId.stringValue,
          lifecycle: v.cidrBlocks
            ? {
                postcondition: [
                  {
                    condition: '${length(setsubtract(var.cidr_blocks, self.cidr_block_associations[*].cidr_block)) == 0}',
                    errorMessage: 'VPC ${var.vpc_id} has no CIDR block ${join(", ", setsubtract(var.cidr_blocks, self.cidr_block_associations[*].cidr_block))}, where haform creates the subnets: set spec.networkCIDR (and network.additionalCIDRs) to blocks of the VPC.',
                  },
                ],
              }
            : undefined,
        }),
        TF.vpc,
      ),
      'The existing VPC: looked up, never changed.',
    );
    return { id: vpc.id };
  }
  const vpc = describe(
    new Vpc(stack, TF.vpc, { cidrBlock: v.cidrBlock!.stringValue, enableDnsSupport: true, enableDnsHostnames: true, tags: named(v.name.stringValue) }),
    'The cluster VPC; DNS hostnames are needed for the instances to register by name.',
  );
  if (v.flowLogs) {
    describe(
      tfName(
        new FlowLog(stack, 'flow_log', { vpcId: vpc.id, trafficType: 'ALL', logDestinationType: 'cloud-watch-logs', logDestination: v.flowLogs.destination.stringValue, iamRoleArn: v.flowLogs.role.stringValue, tags: named(v.name.stringValue) }),
        'main',
      ),
      'Every accepted and rejected connection of the VPC, to CloudWatch Logs (modules/flow-logs).',
    );
  }
  describe(
    tfName(new DefaultSecurityGroup(stack, 'default_security_group', { vpcId: vpc.id, tags: named(`default.${v.name.stringValue}`) }), 'default'),
    "The VPC's default security group, closed: no rule at all, so that nothing put in it by default is reachable or reaches out.",
  );
  if (!v.secondaryCidrBlocks) return { id: vpc.id };
  const blocks = TerraformIterator.fromList(v.secondaryCidrBlocks.listValue);
  const secondary = describe(
    tfName(new VpcIpv4CidrBlockAssociation(stack, 'cidr_secondary', { forEach: blocks, vpcId: vpc.id, cidrBlock: Token.asString(blocks.value) }), 'secondary'),
    'The secondary blocks (spec.network.additionalCIDRs).',
  );
  return { id: vpc.id, secondary };
}

function internetGateway(stack: TerraformStack, v: Inputs, vpcId: string, named: Named): InternetGateway | DataAwsInternetGateway {
  if (!v.vpcId) return tfName(new InternetGateway(stack, 'internet_gateway', { vpcId, tags: named(v.name.stringValue) }), 'main');
  return describe(
    tfName(
      new DataAwsInternetGateway(stack, 'existing_internet_gateway', v.internetGatewayId ? { internetGatewayId: v.internetGatewayId.stringValue } : { filter: [{ name: 'attachment.vpc-id', values: [vpcId] }] }),
      'main',
    ),
    v.internetGatewayId ? "The existing VPC's internet gateway." : 'The internet gateway attached to the existing VPC, for the subnets haform creates there.',
  );
}

/**
 * The private subnets' internet route, as each zone's egress says: a NAT gateway of its own ("nat"),
 * an existing one (its ID), or none of haform's ("external").
 */
function privateEgress(stack: TerraformStack, v: Inputs, vpcId: string, instances: TerraformResource, utility: TerraformResource, gateway: InternetGateway | DataAwsInternetGateway, named: Named): void {
  const natZones = describe(
    new TerraformLocal(stack, 'nat_zones', ref('{ for zone, z in var.zones : zone => z if z.egress == "nat" }', stack)),
    'The zones with a NAT gateway of their own, and the NAT gateway each routed zone sends internet traffic to: its own, or the existing one its egress names.',
  );
  const natIt = TerraformIterator.fromMap(natZones.expression as Record<string, unknown>);
  const zoneName = `${Token.asString(natIt.key)}.${v.name.stringValue}`;
  const eip = describe(tfName(new Eip(stack, 'nat_eip', { forEach: natIt, domain: 'vpc', tags: named(zoneName) }), 'nat'), "Each NAT gateway's fixed public address: the zone's egress IP.");
  describe(
    tfName(
      new NatGateway(stack, 'nat_gateway', { forEach: natIt, allocationId: sameZone(stack, eip, 'allocation_id'), subnetId: sameZone(stack, utility, 'id'), tags: named(zoneName), dependsOn: gateway instanceof InternetGateway ? [gateway] : undefined }),
      'main',
    ),
    "A NAT gateway per zone, so that losing another zone never cuts this zone's egress.",
  );
  const natIds = new TerraformLocal(stack, 'nat_gateway_ids', ref('merge({ for zone, nat in aws_nat_gateway.main : zone => nat.id }, { for zone, z in var.zones : zone => z.egress if startswith(z.egress, "nat-") })', stack));
  const routed = TerraformIterator.fromMap(natIds.expression as Record<string, unknown>);
  const zoneKey = Token.asString(routed.key);
  const routes = describe(
    tfName(new RouteTable(stack, 'private_routes', { forEach: routed, vpcId, tags: named(`private-${zoneKey}.${v.name.stringValue}`, { 'kubernetes.io/kops/role': `private-${zoneKey}` }) }), 'private'),
    "A route table per private subnet with an internet route: zones with egress \"external\" are routed by you.",
  );
  tfName(new Route(stack, 'private_route', { forEach: routed, routeTableId: sameZone(stack, routes, 'id'), destinationCidrBlock: '0.0.0.0/0', natGatewayId: Token.asString(routed.value) }), 'private_internet');
  tfName(new RouteTableAssociation(stack, 'association_private', { forEach: routed, subnetId: sameZone(stack, instances, 'id'), routeTableId: sameZone(stack, routes, 'id') }), 'private');
}
