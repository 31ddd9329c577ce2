import { Fn } from 'cdktn';
import type { TerraformStack } from 'cdktn';
import { DataAwsInternetGateway } from '@cdktn/provider-aws/lib/data-aws-internet-gateway/index.js';
import { DataAwsSubnet } from '@cdktn/provider-aws/lib/data-aws-subnet/index.js';
import { DataAwsVpc } from '@cdktn/provider-aws/lib/data-aws-vpc/index.js';
import { Ec2Tag } from '@cdktn/provider-aws/lib/ec2-tag/index.js';
import { Eip } from '@cdktn/provider-aws/lib/eip/index.js';
import { InternetGateway } from '@cdktn/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktn/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktn/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktn/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktn/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktn/provider-aws/lib/vpc/index.js';
import { VpcIpv4CidrBlockAssociation } from '@cdktn/provider-aws/lib/vpc-ipv4-cidr-block-association/index.js';
import type { ITerraformDependable } from 'cdktn';
import { TF } from '../model/names.js';
import type { ClusterPlan, SubnetPlan, ZonePlan } from '../model/plan.js';
import { callModule, describe, tfName, type Generator, moduleStack, output, variable } from './context.js';

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

type Named = (name: string, extra?: Record<string, string>) => ReturnType<typeof Fn.merge>;

/**
 * VPC, internet gateway, subnets per zone and, in private topology, a NAT gateway per zone. With an
 * existing VPC (kops --vpc) the VPC and its gateway are looked up; existing subnets (kops --subnets)
 * are looked up too, checked for their VPC and zone, and tagged as shared with the cluster, as kops
 * tags them, so that the cloud controller finds them; their routes stay the user's.
 */
export const network: Generator = {
  name: NETWORK_MODULE,

  modules(scope, plan) {
    const stack = moduleStack(scope, 'network');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const named: Named = (name, extra = {}) => Fn.merge([tags.value, { Name: name, ...extra }]);
    const privateTopology = plan.topology === 'private';
    const { vpcId, ranges } = vpcOf(stack, plan, named);
    const needsGateway = plan.network.zones.some((z) => !(z.utility ?? z.subnet).existingId);
    const igw = needsGateway ? internetGateway(stack, plan, vpcId, named) : undefined;
    const publicRoutes = igw
      ? describe(
          new RouteTable(stack, 'public', { vpcId, tags: named(plan.name, { 'kubernetes.io/kops/role': 'public' }) }),
          'Public subnets reach the internet through the internet gateway.',
        )
      : undefined;
    if (publicRoutes && igw) new Route(stack, 'public_internet', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });

    const instanceSubnets: Record<string, string> = {};
    const lbSubnets: string[] = [];
    const subnetZones: Record<string, string> = {};
    const natByZone: Record<string, string> = {};
    const privateRouteNat: Record<string, string> = {};
    for (const z of plan.network.zones) {
      const role: Record<string, string> = privateTopology ? { SubnetType: 'Private', 'kubernetes.io/role/internal-elb': '1' } : { SubnetType: 'Public', 'kubernetes.io/role/elb': '1' };
      const main = subnet(stack, plan, z, z.subnet, TF.subnet(z.zone), vpcId, ranges, named(z.subnet.name, role), `Zone ${z.zone}: ${privateTopology ? 'private subnet for masters and nodes' : 'public subnet for masters, nodes and the load balancer'}.`);
      instanceSubnets[z.zone] = main.id;
      subnetZones[main.id] = main.availabilityZone;
      if (!z.utility) {
        lbSubnets.push(main.id);
        if (publicRoutes && !z.subnet.existingId) new RouteTableAssociation(stack, `${z.id}_public`, { subnetId: main.id, routeTableId: publicRoutes.id });
        continue;
      }
      const utility = subnet(stack, plan, z, z.utility, TF.utilitySubnet(z.zone), vpcId, ranges, named(z.utility.name, { SubnetType: 'Utility', 'kubernetes.io/role/elb': '1' }), `Zone ${z.zone}: utility (public) subnet for the load balancer${z.utility.existingId || z.egress ? '' : ', the NAT gateway'} and the bastion.`);
      lbSubnets.push(utility.id);
      subnetZones[utility.id] = utility.availabilityZone;
      if (z.utility.existingId || !publicRoutes || !igw) continue;
      new RouteTableAssociation(stack, `utility_${z.id}_public`, { subnetId: utility.id, routeTableId: publicRoutes.id });
      if (z.egress === 'external') continue;
      let natId = z.egress;
      if (!natId) {
        const eip = new Eip(stack, `nat_${z.id}`, { domain: 'vpc', tags: named(`${z.zone}.${plan.name}`) });
        const nat = describe(
          tfName(new NatGateway(stack, `nat_gateway_${z.id}`, { allocationId: eip.allocationId, subnetId: utility.id, tags: named(`${z.zone}.${plan.name}`), dependsOn: igw instanceof InternetGateway ? [igw] : undefined }), z.id),
          `Zone ${z.zone}: its own NAT gateway, so that losing another zone never cuts this zone's egress.`,
        );
        natId = nat.id;
      }
      natByZone[z.zone] = natId;
      const routes = new RouteTable(stack, `private_${z.id}`, {
        vpcId,
        tags: named(`private-${z.zone}.${plan.name}`, { 'kubernetes.io/kops/role': `private-${z.zone}` }),
      });
      const egress = new Route(stack, `private_${z.id}_internet`, { routeTableId: routes.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: natId });
      privateRouteNat[z.zone] = egress.natGatewayId;
      new RouteTableAssociation(stack, `${z.id}_private`, { subnetId: main.id, routeTableId: routes.id });
    }

    output(stack, 'vpc_id', vpcId, 'ID of the cluster VPC.');
    output(stack, 'subnet_ids', instanceSubnets, 'Subnet where the instances of each zone run, by zone.');
    output(stack, 'load_balancer_subnet_ids', lbSubnets, 'Subnets of the API load balancer and the bastion, one per zone.');
    output(stack, 'subnet_zones', subnetZones, 'Availability zone of every subnet, by subnet ID.');
    if (Object.keys(natByZone).length) {
      output(stack, 'nat_gateway_ids', natByZone, 'NAT gateway of each zone, by zone.');
      output(stack, 'private_route_nat_gateway_ids', privateRouteNat, "NAT gateway that each zone's private route table sends internet traffic to, by zone.");
    }
    const summary = plan.network.existingVpc ? 'The existing VPC, looked up, and the subnets per zone, with their routes and NAT where haform creates them.' : 'The VPC, subnets per zone, internet gateway and NAT.';
    return [{ dir: DIR, stack, summary }];
  },

  wire(ctx) {
    callModule(ctx, NETWORK_MODULE, DIR, { tags: ctx.shared.tags });
  },
};

/** The VPC: created with its secondary blocks, or the user's, looked up and held to the ranges the YAML names. */
function vpcOf(stack: TerraformStack, plan: ClusterPlan, named: Named): { vpcId: string; ranges: ITerraformDependable[] } {
  const net = plan.network;
  const createsSubnets = net.zones.some((z) => !z.subnet.existingId);
  if (net.existingVpc) {
    const blocks = [net.cidr, ...net.additionalCidrs];
    const vpc = describe(
      tfName(
        new DataAwsVpc(stack, 'existing_vpc', {
          id: net.existingVpc.id,
          lifecycle: createsSubnets
            ? {
                postcondition: blocks.map((cidr) => ({
                  condition: `\${contains(self.cidr_block_associations[*].cidr_block, "${cidr}")}`,
                  errorMessage: `VPC ${net.existingVpc!.id} has no CIDR block ${cidr}, where haform creates the subnets: set spec.networkCIDR (and network.additionalCIDRs) to blocks of the VPC.`,
                })),
              }
            : undefined,
        }),
        TF.vpc,
      ),
      'The existing VPC (spec.network.vpcId): looked up, never changed.',
    );
    return { vpcId: vpc.id, ranges: [] };
  }
  const vpc = describe(
    new Vpc(stack, TF.vpc, { cidrBlock: net.cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: named(plan.name) }),
    'The cluster VPC; DNS hostnames are needed for the instances to register by name.',
  );
  const ranges = net.additionalCidrs.map((cidr, i) =>
    describe(tfName(new VpcIpv4CidrBlockAssociation(stack, `cidr_${i}`, { vpcId: vpc.id, cidrBlock: cidr }), `additional_${i + 1}`), `Secondary block ${cidr} (spec.network.additionalCIDRs).`),
  );
  return { vpcId: vpc.id, ranges };
}

function internetGateway(stack: TerraformStack, plan: ClusterPlan, vpcId: string, named: Named): InternetGateway | DataAwsInternetGateway {
  const existing = plan.network.existingVpc;
  if (!existing) return tfName(new InternetGateway(stack, 'internet_gateway', { vpcId, tags: named(plan.name) }), 'main');
  return describe(
    tfName(
      new DataAwsInternetGateway(stack, 'existing_internet_gateway', existing.internetGatewayId ? { internetGatewayId: existing.internetGatewayId } : { filter: [{ name: 'attachment.vpc-id', values: [vpcId] }] }),
      'main',
    ),
    existing.internetGatewayId ? 'The existing VPC\'s internet gateway (spec.network.internetGatewayId).' : 'The internet gateway attached to the existing VPC, for the subnets haform creates there.',
  );
}

/** A subnet haform creates, or an existing one: looked up, held to its VPC and zone, tagged as shared with the cluster. */
function subnet(stack: TerraformStack, plan: ClusterPlan, z: ZonePlan, s: SubnetPlan, name: string, vpcId: string, ranges: ITerraformDependable[], tags: ReturnType<typeof Fn.merge>, comment: string): { id: string; availabilityZone: string } {
  if (!s.existingId) {
    return describe(new Subnet(stack, name, { vpcId, availabilityZone: z.zone, cidrBlock: s.cidr, tags, dependsOn: ranges.length ? ranges : undefined }), comment);
  }
  const found = describe(
    tfName(
      new DataAwsSubnet(stack, `existing_${name}`, {
        id: s.existingId,
        lifecycle: {
          postcondition: [
            { condition: `\${self.availability_zone == "${z.zone}"}`, errorMessage: `Subnet ${s.existingId} is in another zone than ${z.zone}, where spec.subnets places it.` },
            { condition: `\${self.vpc_id == "${plan.network.existingVpc!.id}"}`, errorMessage: `Subnet ${s.existingId} is not in VPC ${plan.network.existingVpc!.id} (spec.network.vpcId).` },
            ...(s.cidr ? [{ condition: `\${self.cidr_block == "${s.cidr}"}`, errorMessage: `Subnet ${s.existingId} is not ${s.cidr}, the CIDR spec.subnets gives it.` }] : []),
          ],
        },
      }),
      name,
    ),
    `${comment.replace(/: /, ': existing ')} Looked up (spec.subnets).`,
  );
  new Ec2Tag(stack, `${name}_cluster`, { resourceId: found.id, key: `kubernetes.io/cluster/${plan.name}`, value: 'shared' });
  return found;
}
