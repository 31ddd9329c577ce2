import type { Move } from './guard.js';
import { cidrId, forEachKey, moduleAddress, TF, tfId } from './names.js';
import type { ClusterPlan } from './plan.js';

/**
 * The layout of the output's modules: 1 (manifests without the field), a resource block per zone
 * and per CIDR named after it (`aws_subnet.us_west_2a`, `api_tcp_443_from_cidr_10_0_0_0_8`); 2, one
 * block per kind with for_each over a variable (`aws_subnet.private["us-west-2a"]`,
 * `api_tcp_443_from_cidr["10.0.0.0/8"]`).
 */
export const LAYOUT = 2;

/** The security module's rules from a list of CIDRs, by the CIDRs' variable: one for_each block each. */
export const CIDR_RULES = {
  api: 'api_tcp_443_from_cidr',
  bastionSsh: 'bastion_tcp_22_from_cidr',
  mastersSsh: 'masters_tcp_22_from_cidr',
  nodesSsh: 'nodes_tcp_22_from_cidr',
} as const;

/**
 * State moves from layout 1 to 2, so that the first generation after the change moves every per-zone
 * and per-CIDR resource instead of replacing it: new NAT gateways and addresses would change the
 * cluster's egress IPs, new route tables and associations cut egress while they are replaced, a
 * replaced ingress rule closes the API or SSH until it is back. A move whose source is not in the
 * state (a resource this cluster never had) does nothing.
 */
export function legacyMoves(plan: ClusterPlan): Move[] {
  return [...networkMoves(plan), ...securityMoves(plan)];
}

function networkMoves(plan: ClusterPlan): Move[] {
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

function securityMoves(plan: ClusterPlan): Move[] {
  const rule = (name: string, cidr: string): Move => {
    const at = (n: string) => moduleAddress(TF.securityModule, 'aws_vpc_security_group_ingress_rule', n);
    return { from: at(`${name.replace(/_cidr$/, '')}_${cidrId(cidr)}`), to: at(forEachKey(name, cidr)) };
  };
  const moves = plan.api.allowedCIDRs.map((cidr) => rule(CIDR_RULES.api, cidr));
  if (plan.bastion) moves.push(...plan.ssh.cidrs.map((cidr) => rule(CIDR_RULES.bastionSsh, cidr)));
  else if (plan.topology === 'public') moves.push(...plan.ssh.cidrs.flatMap((cidr) => [rule(CIDR_RULES.mastersSsh, cidr), rule(CIDR_RULES.nodesSsh, cidr)]));
  return moves;
}
