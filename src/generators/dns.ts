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
    const given = 'zoneId' in d.zone;
    const zoneInput = given
      ? variable(stack, 'zone_id', 'string', 'The hosted zone of the API record (spec.dns.zoneId).')
      : variable(stack, 'zone_name', 'string', 'The public hosted zone of the API record, looked up by name.');
    const recordName = variable(stack, 'record_name', 'string', 'The API name kubeconfigs point at: api.<cluster>.');
    const lbName = variable(stack, 'load_balancer_dns_name', 'string', 'DNS name of the API load balancer.');
    const lbZone = variable(stack, 'load_balancer_zone_id', 'string', 'Route53 zone ID of the API load balancer.');
    let zoneId: string;
    if (given) {
      zoneId = zoneInput.stringValue;
    } else {
      const zone = describe(new DataAwsRoute53Zone(stack, 'cluster', { name: zoneInput.stringValue, privateZone: false }), 'The hosted zone, looked up by name.');
      zoneId = zone.zoneId;
    }
    const record = describe(
      new Route53Record(stack, 'api', {
        zoneId,
        name: recordName.stringValue,
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
    const d = ctx.plan.api.dns;
    if (!d) return;
    const lb = moduleNamed(ctx, API_MODULE);
    callModule(ctx, DNS_MODULE, DIR, {
      ...('zoneId' in d.zone ? { zone_id: d.zone.zoneId } : { zone_name: d.zone.zoneName }),
      record_name: d.recordName,
      load_balancer_dns_name: lb.get(ApiOutputs.dnsName),
      load_balancer_zone_id: lb.get(ApiOutputs.zoneId),
    });
  },
};
