import { Fn } from 'cdktn';
import { Lb } from '@cdktn/provider-aws/lib/lb/index.js';
import { LbListener } from '@cdktn/provider-aws/lib/lb-listener/index.js';
import { LbTargetGroup } from '@cdktn/provider-aws/lib/lb-target-group/index.js';
import { callModule, describe, tfName, type Generator, moduleNamed, moduleStack, output, variable } from './context.js';
import { acceptChecks } from './checkov.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';
import { API_PORT, SECURITY_MODULE, SecurityOutputs } from './security.js';

export const API_MODULE = 'api';
/** The internal load balancer of api.internal, when the API's own is internet-facing. */
export const INTERNAL_LB_MODULE = 'api_internal';
const DIR = 'modules/api';

export const ApiOutputs = {
  dnsName: 'dns_name',
  zoneId: 'zone_id',
  targetGroupArn: 'target_group_arn',
} as const;

/**
 * The API endpoints: network load balancers across the zones, forwarding TCP 443 to the masters.
 * One serves api.<cluster>; api.internal.<cluster>, the name kubelets and in-cluster clients use,
 * gets an internal one of its own unless that one is internal already. Both take a master out on
 * its /readyz, which DNS over the member IPs cannot: an upgrading master whose etcd restarts, a
 * starting apiserver whose authorizer has not synced (403s), a terminated master whose IP
 * answers nothing (connect timeouts) would each fail the clients that resolve to it.
 */
export const api: Generator = {
  name: API_MODULE,

  modules(scope) {
    const stack = moduleStack(scope, 'api');
    const servedName = variable(stack, 'served_name', 'string', 'The name it serves, in its Name tag: api.<cluster> or api.internal.<cluster>.');
    const lbName = variable(stack, 'load_balancer_name', 'string', 'Name of the load balancer: at most 32 letters, digits and hyphens.', [
      { condition: '${can(regex("^[A-Za-z0-9-]{1,32}$", var.load_balancer_name))}', errorMessage: 'load_balancer_name is at most 32 letters, digits and hyphens (an AWS limit).' },
    ]);
    const tgName = variable(stack, 'target_group_name', 'string', 'Name of the target group of the API servers: at most 32 letters, digits and hyphens.', [
      { condition: '${can(regex("^[A-Za-z0-9-]{1,32}$", var.target_group_name))}', errorMessage: 'target_group_name is at most 32 letters, digits and hyphens (an AWS limit).' },
    ]);
    const internal = variable(stack, 'internal', 'bool', 'Internal load balancer (reachable from the VPC only) instead of an internet-facing one.');
    const vpcId = variable(stack, 'vpc_id', 'string', 'ID of the cluster VPC.');
    const subnetIds = variable(stack, 'subnet_ids', 'list(string)', 'Subnets of the load balancer, one per zone.');
    const sg = variable(stack, 'security_group_id', 'string', 'Security group of the load balancer.');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');

    const lb = describe(
      acceptChecks(new Lb(stack, 'api', {
        name: lbName.stringValue,
        loadBalancerType: 'network',
        internal: internal.booleanValue,
        subnets: subnetIds.listValue,
        securityGroups: [sg.stringValue],
        enableCrossZoneLoadBalancing: true,
        tags: Fn.merge([tags.value, { Name: servedName.stringValue }]),
      }), 'CKV_AWS_91', 'CKV_AWS_150'),
      'Network load balancer in every zone: the API survives the loss of any zone that still holds a master.',
    );
    const targets = describe(
      tfName(new LbTargetGroup(stack, 'api_target_group', {
        name: tgName.stringValue,
        port: API_PORT,
        protocol: 'TCP',
        vpcId: vpcId.stringValue,
        targetType: 'instance',
        // /readyz, not a TCP connect: a master whose apiserver listens but cannot reach etcd is out.
        healthCheck: { protocol: 'HTTPS', path: '/readyz', port: 'traffic-port', matcher: '200', healthyThreshold: 2, unhealthyThreshold: 2, interval: 10 },
        tags: Fn.merge([tags.value, { Name: tgName.stringValue }]),
      }), 'api'),
      'The master autoscaling groups register their instances here.',
    );
    tfName(new LbListener(stack, 'api_listener', {
      loadBalancerArn: lb.arn,
      port: API_PORT,
      protocol: 'TCP',
      defaultAction: [{ type: 'forward', targetGroupArn: targets.arn }],
      tags: tags.value as Record<string, string>,
    }), 'api');

    output(stack, ApiOutputs.dnsName, lb.dnsName, 'DNS name of the API load balancer.');
    output(stack, ApiOutputs.zoneId, lb.zoneId, 'Route53 zone ID of the load balancer, for alias records.');
    output(stack, ApiOutputs.targetGroupArn, targets.arn, 'Target group of the API servers.');
    return [{ dir: DIR, stack, summary: 'The Kubernetes API network load balancer.' }];
  },

  wire(ctx) {
    const network = moduleNamed(ctx, NETWORK_MODULE);
    const { plan } = ctx;
    // An internal load balancer sits with the instances (private subnets in private topology).
    const instanceSubnets = Fn.values(network.get(NetworkOutputs.subnetIds));
    const call = (module: string, servedName: string, names: { loadBalancerName: string; targetGroupName: string }, internal: boolean, subnets: unknown) =>
      callModule(ctx, module, DIR, {
        served_name: servedName,
        load_balancer_name: names.loadBalancerName,
        target_group_name: names.targetGroupName,
        internal,
        vpc_id: network.get(NetworkOutputs.vpcId),
        subnet_ids: subnets,
        // The same group for both: it admits the masters and nodes, and the masters admit it.
        security_group_id: moduleNamed(ctx, SECURITY_MODULE).get(SecurityOutputs.api),
        tags: ctx.shared.tags,
      });
    call(API_MODULE, `api.${plan.name}`, plan.api, plan.api.internal, plan.api.internal ? instanceSubnets : network.get(NetworkOutputs.loadBalancerSubnetIds));
    if (plan.api.internalLoadBalancer) call(INTERNAL_LB_MODULE, plan.api.internalName, plan.api.internalLoadBalancer, true, instanceSubnets);
  },
};
