import { Fn } from 'cdktn';
import { Eip } from '@cdktn/provider-aws/lib/eip/index.js';
import { InternetGateway } from '@cdktn/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktn/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktn/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktn/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktn/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktn/provider-aws/lib/vpc/index.js';
import { TF } from '../model/names.js';
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

/** VPC, internet gateway, subnets per zone and, in private topology, a NAT gateway per zone. */
export const network: Generator = {
  name: NETWORK_MODULE,

  modules(scope, plan) {
    const stack = moduleStack(scope, 'network');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const named = (name: string, extra: Record<string, string> = {}) => Fn.merge([tags.value, { Name: name, ...extra }]);
    const privateTopology = plan.topology === 'private';

    const vpc = describe(
      new Vpc(stack, TF.vpc, { cidrBlock: plan.network.cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: named(plan.name) }),
      'The cluster VPC; DNS hostnames are needed for the instances to register by name.',
    );
    const igw = tfName(new InternetGateway(stack, 'internet_gateway', { vpcId: vpc.id, tags: named(plan.name) }), 'main');
    const publicRoutes = describe(
      new RouteTable(stack, 'public', { vpcId: vpc.id, tags: named(plan.name, { 'kubernetes.io/kops/role': 'public' }) }),
      'Public subnets reach the internet through the internet gateway.',
    );
    new Route(stack, 'public_internet', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });

    const instanceSubnets: Record<string, string> = {};
    const lbSubnets: string[] = [];
    const subnetZones: Record<string, string> = {};
    const natByZone: Record<string, string> = {};
    const privateRouteNat: Record<string, string> = {};
    for (const z of plan.network.zones) {
      const subnet = describe(
        new Subnet(stack, TF.subnet(z.zone), {
          vpcId: vpc.id,
          availabilityZone: z.zone,
          cidrBlock: z.subnet.cidr,
          tags: named(z.subnet.name, privateTopology ? { SubnetType: 'Private', 'kubernetes.io/role/internal-elb': '1' } : { SubnetType: 'Public', 'kubernetes.io/role/elb': '1' }),
        }),
        `Zone ${z.zone}: ${privateTopology ? 'private subnet for masters and nodes' : 'public subnet for masters, nodes and the load balancer'}.`,
      );
      instanceSubnets[z.zone] = subnet.id;
      subnetZones[subnet.id] = subnet.availabilityZone;
      if (!z.utility) {
        lbSubnets.push(subnet.id);
        new RouteTableAssociation(stack, `${z.id}_public`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
        continue;
      }
      const utility = describe(
        new Subnet(stack, TF.utilitySubnet(z.zone), {
          vpcId: vpc.id,
          availabilityZone: z.zone,
          cidrBlock: z.utility.cidr,
          tags: named(z.utility.name, { SubnetType: 'Utility', 'kubernetes.io/role/elb': '1' }),
        }),
        `Zone ${z.zone}: utility (public) subnet for the load balancer, the NAT gateway and the bastion.`,
      );
      lbSubnets.push(utility.id);
      subnetZones[utility.id] = utility.availabilityZone;
      new RouteTableAssociation(stack, `utility_${z.id}_public`, { subnetId: utility.id, routeTableId: publicRoutes.id });
      const eip = new Eip(stack, `nat_${z.id}`, { domain: 'vpc', tags: named(`${z.zone}.${plan.name}`) });
      const nat = describe(
        tfName(new NatGateway(stack, `nat_gateway_${z.id}`, { allocationId: eip.allocationId, subnetId: utility.id, tags: named(`${z.zone}.${plan.name}`), dependsOn: [igw] }), z.id),
        `Zone ${z.zone}: its own NAT gateway, so that losing another zone never cuts this zone's egress.`,
      );
      natByZone[z.zone] = nat.id;
      const routes = new RouteTable(stack, `private_${z.id}`, {
        vpcId: vpc.id,
        tags: named(`private-${z.zone}.${plan.name}`, { 'kubernetes.io/kops/role': `private-${z.zone}` }),
      });
      const egress = new Route(stack, `private_${z.id}_internet`, { routeTableId: routes.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat.id });
      privateRouteNat[z.zone] = egress.natGatewayId;
      new RouteTableAssociation(stack, `${z.id}_private`, { subnetId: subnet.id, routeTableId: routes.id });
    }

    output(stack, 'vpc_id', vpc.id, 'ID of the cluster VPC.');
    output(stack, 'subnet_ids', instanceSubnets, 'Subnet where the instances of each zone run, by zone.');
    output(stack, 'load_balancer_subnet_ids', lbSubnets, 'Subnets of the API load balancer and the bastion, one per zone.');
    output(stack, 'subnet_zones', subnetZones, 'Availability zone of every subnet, by subnet ID.');
    if (privateTopology) {
      output(stack, 'nat_gateway_ids', natByZone, 'NAT gateway of each zone, by zone.');
      output(stack, 'private_route_nat_gateway_ids', privateRouteNat, "NAT gateway that each zone's private route table sends internet traffic to, by zone.");
    }
    return [{ dir: DIR, stack, summary: 'The VPC, subnets per zone, internet gateway and NAT.' }];
  },

  wire(ctx) {
    callModule(ctx, NETWORK_MODULE, DIR, { tags: ctx.shared.tags });
  },
};
