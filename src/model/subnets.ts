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
 * Splits the network as kops does: into 8 equal blocks (more when there are more than 7 zones), the
 * first block split again into 8 small utility subnets, the following blocks one per zone.
 * 172.20.0.0/16 over three zones gives 172.20.32.0/19, .64.0/19, .96.0/19 and utility .0.0/22, .4.0/22, .8.0/22.
 */
export function defaultSubnetCidrs(networkCidr: string, zones: readonly string[]): DefaultSubnetCidrs[] | undefined {
  const parsed = parseCidr(networkCidr);
  if (!parsed) return undefined;
  const big = split(parsed.cidr, bitsFor(zones.length + 1));
  const first = big[0];
  if (!first) return undefined;
  const little = split(first, bitsFor(zones.length));
  const tooSmall = (c: Cidr | undefined) => !c || c.prefix > MIN_SUBNET_PREFIX;
  if (tooSmall(big[1]) || tooSmall(little[0])) return undefined;
  return zones.map((zone, i) => ({
    zone,
    cidr: formatCidr(big[i + 1]!),
    utilityCidr: formatCidr(little[i]!),
  }));
}

/** Bits needed to split into at least `n` blocks, never fewer than 8 blocks (kops's minimum). */
function bitsFor(n: number): number {
  let bits = 3;
  while (2 ** bits < n) bits++;
  return bits;
}
