import { type Cidr, formatCidr, parseCidr, split } from '../net/cidr.js';

/** The smallest subnet AWS allows. */
export const MIN_SUBNET_PREFIX = 28;

export interface DefaultSubnetCidrs {
  readonly zone: string;
  /** The zone's main subnet: public in public topology, private in private topology. */
  readonly cidr: string;
  /** The zone's utility (public) subnet, used in private topology. */
  readonly utilityCidr: string;
}

/**
 * Splits the network as kops does since 1.28 (upup/pkg/fi/cloudup/subnets.go, assignCIDRsToSubnets):
 * into 1, 2, 4 or 8 equal blocks, enough for one per zone plus, in private topology, one for the
 * utility subnets, which split the first block into 8 small ones; the zones, sorted by name, take
 * the following blocks. 172.20.0.0/16 over three zones: public 172.20.0.0/18, .64.0/18, .128.0/18;
 * private .64.0/18, .128.0/18, .192.0/18 with utility .0.0/21, .8.0/21, .16.0/21. Beyond what kops
 * handles (8 blocks), the split goes on in powers of two.
 */
export function defaultSubnetCidrs(networkCidr: string, zones: readonly string[], privateTopology: boolean): DefaultSubnetCidrs[] | undefined {
  const parsed = parseCidr(networkCidr);
  if (!parsed || zones.length === 0) return undefined;
  const big = split(parsed.cidr, bitsFor(zones.length + (privateTopology ? 1 : 0), 0));
  const little = privateTopology ? split(big.shift()!, bitsFor(zones.length, 3)) : [];
  const tooSmall = (c: Cidr | undefined) => !c || c.prefix > MIN_SUBNET_PREFIX;
  if (tooSmall(big[0]) || (privateTopology && tooSmall(little[0]))) return undefined;
  const byName = [...zones].sort();
  return zones.map((zone) => {
    const i = byName.indexOf(zone);
    return { zone, cidr: formatCidr(big[i]!), utilityCidr: privateTopology ? formatCidr(little[i]!) : '' };
  });
}

/** Bits needed to split into at least `n` blocks, never fewer than 2**min blocks. */
function bitsFor(n: number, min: number): number {
  let bits = min;
  while (2 ** bits < n) bits++;
  return bits;
}
