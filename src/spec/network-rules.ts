import { type Cidr, contains, formatCidr, overlaps, parseCidr } from '../net/cidr.js';
import { defaultSubnetCidrs, MIN_SUBNET_PREFIX } from '../model/subnets.js';
import type { RawCluster, YamlPath } from './types.js';
import type { Report } from './rules.js';

const at = (...p: (string | number)[]): YamlPath => ['spec', ...p];

type Subnet = NonNullable<RawCluster['spec']['subnets']>[number];

/**
 * The VPC's ranges and the subnets per zone: created from CIDRs, or existing ones named by ID in an
 * existing VPC (kops --vpc, --subnets, --utility-subnets). Existing subnets are all or nothing: a
 * cluster half in the user's subnets and half in haform's would need both routing models at once.
 */
export const network = (c: RawCluster, report: Report): void => {
  const s = c.spec;
  const netText = s.networkCIDR ?? '172.20.0.0/16';
  const net = vpcRange(netText, at('networkCIDR'), 'networkCIDR', report);
  if (!net) return;
  const ranges: { cidr: Cidr; text: string }[] = [{ cidr: net, text: netText }];
  s.network?.additionalCIDRs?.forEach((text, i) => {
    const extra = vpcRange(text, at('network', 'additionalCIDRs', i), 'additional CIDR', report);
    if (!extra) return;
    const clash = ranges.find((r) => overlaps(r.cidr, extra));
    if (clash) report(at('network', 'additionalCIDRs', i), 'error', 'network-cidr-overlap', `${text} overlaps ${clash.text}, already a range of the VPC`, 'give every VPC range its own addresses');
    else ranges.push({ cidr: extra, text });
  });

  const existingVpc = !!s.network?.vpcId;
  const existingSubnets = s.subnets?.some((x) => x.id || x.utilityId) ?? false;
  if (s.network?.internetGatewayId && !existingVpc) {
    report(at('network', 'internetGatewayId'), 'error', 'network-gateway-without-vpc', 'an internet gateway ID needs network.vpcId: haform creates the gateway of the VPC it creates', 'set network.vpcId to the VPC the gateway is attached to, or remove internetGatewayId');
  }
  if (existingVpc && !existingSubnets && !s.networkCIDR) {
    report(at('network', 'vpcId'), 'error', 'network-cidr-required', 'haform creates the subnets in the existing VPC, but networkCIDR is not set: the default 172.20.0.0/16 is not your VPC\'s range', 'set networkCIDR to the VPC\'s CIDR (or the part of it haform may use), or list the existing subnets by id in spec.subnets');
  }

  const zones = s.zones;
  if (!s.subnets) {
    if (!defaultSubnetCidrs(netText, zones, s.topology === 'private')) {
      // (Only a given networkCIDR can be too small: the default /16 splits for any number of zones.)
      report(at('networkCIDR'), 'error', 'network-cidr-too-small', `networkCIDR ${netText} is too small to split into subnets for ${zones.length} zone(s) (AWS subnets are /${MIN_SUBNET_PREFIX} at the smallest)`, 'use a larger networkCIDR (e.g. a /16), or list explicit subnets');
    }
    return;
  }
  // In an existing VPC without networkCIDR there is no range to hold CIDRs to (network-cidr-required
  // asks for one where haform creates the subnets).
  const checkRanges = !existingVpc || !!s.networkCIDR;
  const taken: { cidr: Cidr; path: YamlPath; text: string }[] = [];
  const covered = new Set<string>();
  s.subnets.forEach((sub, i) => {
    if (!zones.includes(sub.zone)) {
      report(at('subnets', i, 'zone'), 'error', 'subnet-zone-unknown', `subnet zone ${sub.zone} is not among the zones`, `use one of: ${zones.join(', ')}`);
    } else if (covered.has(sub.zone)) {
      report(at('subnets', i, 'zone'), 'error', 'subnet-zone-duplicate', `zone ${sub.zone} has two subnet entries`, 'give each zone one entry');
    }
    covered.add(sub.zone);
    subnetShape(sub, i, s, existingSubnets, report);
    for (const key of ['cidr', 'utilityCidr'] as const) {
      const text = sub[key];
      if (text === undefined) continue;
      const path = at('subnets', i, key);
      const p = parseCidr(text);
      if (!p) {
        report(path, 'error', 'cidr-invalid', `"${text}" is not an IPv4 CIDR`, 'write a.b.c.d/n, e.g. 172.20.32.0/19');
        continue;
      }
      if (p.hostBits) report(path, 'error', 'cidr-invalid', `${text} has host bits set`, `write the network address: ${formatCidr(p.cidr)}`);
      if (p.cidr.prefix > MIN_SUBNET_PREFIX) report(path, 'error', 'cidr-invalid', `${text} is smaller than AWS's smallest subnet, /${MIN_SUBNET_PREFIX}`, 'use a larger subnet');
      if (checkRanges && !ranges.some((r) => contains(r.cidr, p.cidr))) {
        const all = ranges.map((r) => r.text).join(', ');
        report(path, 'error', 'subnet-outside-network', `subnet ${text} is not inside ${ranges.length > 1 ? "the VPC's ranges" : 'networkCIDR'} ${all}`, `pick a subnet of ${all}, or widen networkCIDR (or add the range to network.additionalCIDRs)`);
        continue;
      }
      const clash = taken.find((t) => overlaps(t.cidr, p.cidr));
      if (clash) report(path, 'error', 'subnet-overlap', `subnet ${text} overlaps ${clash.text} (${clash.path.join('.')})`, 'give every subnet its own address range');
      taken.push({ cidr: p.cidr, path, text });
    }
  });
  const missing = zones.filter((z) => !covered.has(z));
  if (missing.length) {
    report(at('subnets'), 'error', 'subnet-missing', `explicit subnets leave zone(s) ${missing.join(', ')} without a subnet`, existingSubnets ? 'list an existing subnet (id) for every zone' : 'list a subnet for every zone, or remove spec.subnets to have them derived from networkCIDR');
  }
};

/** A VPC range: an IPv4 network address, /16 to /28 as AWS allows. */
function vpcRange(text: string, path: YamlPath, what: string, report: Report): Cidr | undefined {
  const p = parseCidr(text);
  if (!p) {
    report(path, 'error', 'cidr-invalid', `${what} "${text}" is not an IPv4 CIDR`, 'write a.b.c.d/n, e.g. 172.20.0.0/16');
    return undefined;
  }
  if (p.hostBits) {
    report(path, 'error', 'cidr-invalid', `${what} ${text} has host bits set`, `write the network address: ${formatCidr(p.cidr)}`);
  }
  if (p.cidr.prefix < 16 || p.cidr.prefix > 28) {
    report(path, 'error', 'network-cidr-too-small', `a VPC CIDR must be between /16 and /28; got /${p.cidr.prefix}`, 'use a /16 to /20, e.g. 172.20.0.0/16');
    return undefined;
  }
  return p.cidr;
}

/** What one subnet entry must hold: a CIDR or an ID, a utility subnet in private topology, egress where it means something. */
function subnetShape(sub: Subnet, i: number, s: RawCluster['spec'], existingSubnets: boolean, report: Report): void {
  const privateTopology = s.topology === 'private';
  const here = (...p: string[]) => at('subnets', i, ...p);
  if ((sub.id || sub.utilityId) && !s.network?.vpcId) {
    report(here(sub.id ? 'id' : 'utilityId'), 'error', 'subnet-id-without-vpc', `existing subnet ${sub.id ?? sub.utilityId} needs the existing VPC it is in`, 'set spec.network.vpcId to the VPC of the subnets');
  }
  if (existingSubnets) {
    if (!sub.id) report(here(), 'error', 'subnet-ids-partial', `zone ${sub.zone} has no subnet id, while other subnets are existing ones`, 'name an existing subnet (id) in every zone, or none: haform creates all of a cluster\'s subnets or none');
    else if (privateTopology && !sub.utilityId) report(here(), 'error', 'subnet-utility-missing', `private topology needs a utility (public) subnet in ${sub.zone}`, 'add utilityId: the existing public subnet of the zone, for the load balancer and the bastion');
    if (sub.egress) report(here('egress'), 'error', 'subnet-egress-existing', `egress applies to subnets haform creates; the routes of existing subnet ${sub.id ?? sub.utilityId} are yours`, 'remove egress');
  } else {
    if (sub.cidr === undefined) report(here(), 'error', 'subnet-cidr-missing', `the subnet of ${sub.zone} has neither a cidr nor an existing id`, 'add cidr: the range of the subnet haform creates (or id: an existing subnet, with network.vpcId)');
    if (privateTopology && sub.utilityCidr === undefined) {
      report(here(), 'error', 'subnet-utility-missing', `private topology needs a utility subnet in ${sub.zone}`, 'add utilityCidr: a small public subnet for the load balancer and NAT, e.g. a /22');
    }
    if (sub.egress && !privateTopology) report(here('egress'), 'error', 'subnet-egress-public', 'egress sets the internet route of a private subnet; public subnets route through the internet gateway', 'remove egress, or use private topology');
  }
  if (sub.utilityId && !privateTopology) report(here('utilityId'), 'error', 'subnet-utility-public', 'a utility subnet exists only in private topology', 'remove utilityId, or set topology: private');
}
