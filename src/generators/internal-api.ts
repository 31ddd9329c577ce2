import { Fn } from 'cdktn';
import { Route53Record } from '@cdktn/provider-aws/lib/route53-record/index.js';
import { Route53Zone } from '@cdktn/provider-aws/lib/route53-zone/index.js';
import { internalZoneName } from '../model/names.js';
import { callModule, describe, type Generator, moduleNamed, moduleStack, variable } from './context.js';
import { acceptChecks } from './checkov.js';
import { MasterOutputs } from './control-plane.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';

export const INTERNAL_API_MODULE = 'internal_api';
const DIR = 'modules/internal-api';

/**
 * api.internal.<cluster>, the API as in-cluster clients reach it (kops's name for the same): the
 * member IPs in a private hosted zone of the VPC. kubelets, kubeadm and the CNI never go through
 * the load balancer, so a master never reaches itself through it (an NLB with client IP
 * preservation drops that), and narrowing api.allowedCIDRs cannot lock the cluster out of itself.
 * The member IPs are fixed (their interfaces outlive instances), so no DNS controller is needed.
 * Masters resolve the name to their own apiserver (/etc/hosts), as kops's masters use localhost.
 */
export const internalApi: Generator = {
  name: INTERNAL_API_MODULE,

  modules(scope) {
    const stack = moduleStack(scope, 'internal-api');
    const cluster = variable(stack, 'cluster_name', 'string', "The cluster's name, in the zone's comment.");
    const zoneName = variable(stack, 'zone_name', 'string', 'The private hosted zone of in-cluster names: internal.<cluster>.');
    const recordName = variable(stack, 'record_name', 'string', "The API's in-cluster name, in that zone: api.internal.<cluster>.");
    const vpcId = variable(stack, 'vpc_id', 'string', 'ID of the cluster VPC, the only network that resolves the zone.');
    const memberIps = variable(stack, 'member_ips', 'list(string)', 'The masters\' member IPs.');
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
      acceptChecks(new Route53Record(stack, 'api', { zoneId: zone.zoneId, name: recordName.stringValue, type: 'A', ttl: 60, records: memberIps.listValue }), 'CKV2_AWS_23'),
      'Every master: clients try the addresses in turn.',
    );
    return [{ dir: DIR, stack, summary: 'api.internal.<cluster>: the member IPs in a private hosted zone.' }];
  },

  wire(ctx) {
    callModule(ctx, INTERNAL_API_MODULE, DIR, {
      cluster_name: ctx.plan.name,
      zone_name: internalZoneName(ctx.plan.name),
      record_name: ctx.plan.api.internalName,
      vpc_id: moduleNamed(ctx, NETWORK_MODULE).get(NetworkOutputs.vpcId),
      member_ips: ctx.plan.masters.map((m) => moduleNamed(ctx, m.module).get(MasterOutputs.memberIp)),
      tags: ctx.shared.tags,
    });
  },
};
