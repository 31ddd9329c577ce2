import { DataAwsRoute53Zone } from '@cdktn/provider-aws/lib/data-aws-route53-zone/index.js';
import { Route53Record } from '@cdktn/provider-aws/lib/route53-record/index.js';
import { API_MODULE, ApiOutputs } from './api.js';
import { callModule, describe, type Generator, moduleNamed, moduleStack, output, variable } from './context.js';

export const DNS_MODULE = 'dns';
const DIR = 'modules/dns';

export const DnsOutputs = { zoneId: 'zone_id', fqdn: 'fqdn' } as const;

/** api.<cluster> as an alias of the load balancer; gossip (.k8s.local) clusters have none. */
export const dns: Generator = {
  name: DNS_MODULE,

  modules(scope, plan) {
    const d = plan.api.dns;
    if (!d) return [];
    const stack = moduleStack(scope, 'dns');
    const lbName = variable(stack, 'load_balancer_dns_name', 'string', 'DNS name of the API load balancer.');
    const lbZone = variable(stack, 'load_balancer_zone_id', 'string', 'Route53 zone ID of the API load balancer.');
    let zoneId: string;
    if ('zoneId' in d.zone) {
      zoneId = d.zone.zoneId;
    } else {
      const zone = describe(new DataAwsRoute53Zone(stack, 'cluster', { name: d.zone.zoneName, privateZone: false }), `The hosted zone ${d.zone.zoneName}, looked up by name.`);
      zoneId = zone.zoneId;
    }
    const record = describe(
      new Route53Record(stack, 'api', {
        zoneId,
        name: d.recordName,
        type: 'A',
        alias: { name: lbName.stringValue, zoneId: lbZone.stringValue, evaluateTargetHealth: false },
      }),
      'The Kubernetes API name that kubeconfigs point at.',
    );
    output(stack, DnsOutputs.zoneId, zoneId, 'ID of the hosted zone holding the API record.');
    output(stack, DnsOutputs.fqdn, record.fqdn, 'Fully qualified name of the API.');
    return [{ dir: DIR, stack, summary: 'The Route53 record of the Kubernetes API.' }];
  },

  wire(ctx) {
    if (!ctx.plan.api.dns) return;
    const lb = moduleNamed(ctx, API_MODULE);
    callModule(ctx, DNS_MODULE, DIR, {
      load_balancer_dns_name: lb.get(ApiOutputs.dnsName),
      load_balancer_zone_id: lb.get(ApiOutputs.zoneId),
    });
  },
};
