import { Fn } from 'cdktn';
import { Lb } from '@cdktn/provider-aws/lib/lb/index.js';
import { LbListener } from '@cdktn/provider-aws/lib/lb-listener/index.js';
import { LbTargetGroup } from '@cdktn/provider-aws/lib/lb-target-group/index.js';
import { callModule, describe, tfName, type Generator, moduleNamed, moduleStack, output, variable } from './context.js';
import { acceptChecks } from './checkov.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';
import { API_PORT, SECURITY_MODULE, SecurityOutputs } from './security.js';

export const API_MODULE = 'api';
const DIR = 'modules/api';

export const ApiOutputs = {
  dnsName: 'dns_name',
  zoneId: 'zone_id',
  targetGroupArn: 'target_group_arn',
} as const;

/** The API endpoint: a network load balancer across the zones, forwarding TCP 443 to the masters. */
export const api: Generator = {
  name: API_MODULE,

  modules(scope) {
    const stack = moduleStack(scope, 'api');
    const cluster = variable(stack, 'cluster_name', 'string', "The cluster's name, in the Name tags.");
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
        tags: Fn.merge([tags.value, { Name: `api.${cluster.stringValue}` }]),
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
        tags: Fn.merge([tags.value, { Name: `tcp.${cluster.stringValue}` }]),
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
    callModule(ctx, API_MODULE, DIR, {
      cluster_name: plan.name,
      load_balancer_name: plan.api.loadBalancerName,
      target_group_name: plan.api.targetGroupName,
      internal: plan.api.internal,
      vpc_id: network.get(NetworkOutputs.vpcId),
      // An internal load balancer sits with the instances (private subnets in private topology).
      subnet_ids: ctx.plan.api.internal ? Fn.values(network.get(NetworkOutputs.subnetIds)) : network.get(NetworkOutputs.loadBalancerSubnetIds),
      security_group_id: moduleNamed(ctx, SECURITY_MODULE).get(SecurityOutputs.api),
      tags: ctx.shared.tags,
    });
  },
};
