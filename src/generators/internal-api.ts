import { Fn } from 'cdktn';
import { Route53Record } from '@cdktn/provider-aws/lib/route53-record/index.js';
import { Route53Zone } from '@cdktn/provider-aws/lib/route53-zone/index.js';
import { internalZoneName } from '../model/names.js';
import { callModule, describe, type Generator, moduleNamed, moduleStack, variable } from './context.js';
import { API_MODULE, ApiOutputs, INTERNAL_LB_MODULE } from './api.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';

export const INTERNAL_API_MODULE = 'internal_api';
const DIR = 'modules/internal-api';

/**
 * api.internal.<cluster>, the API as in-cluster clients reach it (kops's name for the same, and
 * its api.loadBalancer.useForInternalAPI): a private hosted zone of the VPC whose record aliases
 * an internal load balancer, so that nodes' kubelets, kube-proxy and pods reach only masters
 * whose /readyz passes (see api.ts for what DNS over the member IPs fails). The load balancer
 * admits the masters and nodes by security group, so narrowing api.allowedCIDRs cannot lock the
 * cluster out of itself. Masters never go through it: they resolve the name to their own
 * apiserver (/etc/hosts), as kops's masters use localhost, and an NLB with client IP preservation
 * drops a target's connections to itself.
 */
export const internalApi: Generator = {
  name: INTERNAL_API_MODULE,

  modules(scope) {
    const stack = moduleStack(scope, 'internal-api');
    const cluster = variable(stack, 'cluster_name', 'string', "The cluster's name, in the zone's comment.");
    const zoneName = variable(stack, 'zone_name', 'string', 'The private hosted zone of in-cluster names: internal.<cluster>.');
    const recordName = variable(stack, 'record_name', 'string', "The API's in-cluster name, in that zone: api.internal.<cluster>.");
    const vpcId = variable(stack, 'vpc_id', 'string', 'ID of the cluster VPC, the only network that resolves the zone.');
    const lbName = variable(stack, 'load_balancer_dns_name', 'string', 'DNS name of the internal API load balancer.');
    const lbZone = variable(stack, 'load_balancer_zone_id', 'string', 'Route53 zone ID of the internal API load balancer.');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const zone = describe(
      new Route53Zone(stack, 'internal', {
        name: zoneName.stringValue,
        comment: `In-cluster names of ${cluster.stringValue}`,
        vpc: [{ vpcId: vpcId.stringValue }],
        tags: Fn.merge([tags.value, { Name: zoneName.stringValue }]),
      }),
      'Private to the VPC.',
    );
    describe(
      new Route53Record(stack, 'api', {
        zoneId: zone.zoneId,
        name: recordName.stringValue,
        type: 'A',
        // The load balancer's health checks decide, not Route53's: its zones' addresses stay.
        alias: { name: lbName.stringValue, zoneId: lbZone.stringValue, evaluateTargetHealth: false },
      }),
      'The internal load balancer: only masters whose /readyz passes get requests.',
    );
    return [{ dir: DIR, stack, summary: 'api.internal.<cluster>: an alias of the internal API load balancer in a private hosted zone.' }];
  },

  wire(ctx) {
    const lb = moduleNamed(ctx, ctx.plan.api.internalLoadBalancer ? INTERNAL_LB_MODULE : API_MODULE);
    callModule(ctx, INTERNAL_API_MODULE, DIR, {
      cluster_name: ctx.plan.name,
      zone_name: internalZoneName(ctx.plan.name),
      record_name: ctx.plan.api.internalName,
      vpc_id: moduleNamed(ctx, NETWORK_MODULE).get(NetworkOutputs.vpcId),
      load_balancer_dns_name: lb.get(ApiOutputs.dnsName),
      load_balancer_zone_id: lb.get(ApiOutputs.zoneId),
      tags: ctx.shared.tags,
    });
  },
};
