import type { Move } from './guard.js';
import { forEachKey, moduleAddress, TF, tfId } from './names.js';
import type { ClusterPlan } from './plan.js';

/**
 * The network module's layout: 1 (manifests without the field), a resource block per zone named after
 * the zone (`aws_subnet.us_west_2a`); 2, one block per kind with for_each over the zones variable
 * (`aws_subnet.private["us-west-2a"]`).
 */
export const NETWORK_LAYOUT = 2;

/**
 * State moves from layout 1 to 2, so that the first generation after the change moves every per-zone
 * network resource instead of replacing it: new NAT gateways and addresses would change the
 * cluster's egress IPs, new route tables and associations would cut egress while they are replaced.
 * A move whose source is not in the state (a resource this cluster never had) does nothing.
 */
export function legacyNetworkMoves(plan: ClusterPlan): Move[] {
  const at = (type: string, from: string, to: string): Move => ({ from: moduleAddress(TF.networkModule, type, from), to: moduleAddress(TF.networkModule, type, to) });
  const role = plan.topology === 'private' ? 'private' : 'public';
  const moves: Move[] = [];
  if (!plan.network.existingVpc) {
    plan.network.additionalCidrs.forEach((cidr, i) => moves.push(at('aws_vpc_ipv4_cidr_block_association', `additional_${i + 1}`, forEachKey('secondary', cidr))));
  }
  for (const z of plan.network.zones) {
    const id = tfId(z.zone);
    const key = (name: string) => forEachKey(name, z.zone);
    if (z.subnet.existingId) {
      moves.push(at('aws_ec2_tag', `${id}_cluster`, key(role)));
      if (z.utility) moves.push(at('aws_ec2_tag', `utility_${id}_cluster`, key('utility')));
      continue;
    }
    moves.push(at('aws_subnet', id, key(role)));
    if (!z.utility) {
      moves.push(at('aws_route_table_association', `${id}_public`, key('public')));
      continue;
    }
    moves.push(at('aws_subnet', `utility_${id}`, key('utility')), at('aws_route_table_association', `utility_${id}_public`, key('utility')));
    if (z.egress === 'external') continue;
    if (!z.egress) moves.push(at('aws_eip', `nat_${id}`, key('nat')), at('aws_nat_gateway', id, key('main')));
    moves.push(
      at('aws_route_table', `private_${id}`, key('private')),
      at('aws_route', `private_${id}_internet`, key('private_internet')),
      at('aws_route_table_association', `${id}_private`, key('private')),
    );
  }
  return moves;
}
