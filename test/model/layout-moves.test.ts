import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { legacyMoves } from '../../src/model/layout-moves.js';
import { buildPlan } from '../../src/model/plan.js';
import { loadClusterText } from '../../src/spec/index.js';

/**
 * The resources haform wrote, before for_each, as one block per zone (modules/network) and per CIDR
 * (the security module's rules from api.allowedCIDRs and sshAccess), read from that version's output
 * for each fixture (haform dc9dad9): the moves must start from exactly these addresses, or an
 * upgraded cluster would replace its NAT gateways, routes, subnets or ingress rules.
 */
const LEGACY: Record<string, { network: string[]; security: string[] }> = JSON.parse(readFileSync('test/model/legacy-addresses.json', 'utf8'));
const VARIANTS: Record<string, { file: string; edit: (t: string) => string }> = {
  'valid/existing-vpc without vpcId, zone b egress external': {
    file: 'valid/existing-vpc',
    edit: (t) => t.replace(/^ +vpcId: vpc-0a1b2c3d4e5f60718\n/m, '').replace('egress: nat-0a1b2c3d4e5f60718', 'egress: external'),
  },
  'examples/public with sshAccess 203.0.113.0/24': { file: 'examples/public', edit: (t) => `${t.trimEnd()}\n  sshAccess: [203.0.113.0/24]\n` },
};
/** Addresses both layouts share: one per cluster, nothing to move. */
const SHARED = ['aws_vpc.main', 'aws_internet_gateway.main', 'aws_route_table.public', 'aws_route.public_internet'].map((a) => `module.network.${a}`);

describe.each(Object.keys(LEGACY))('%s: from the per-zone, per-CIDR layout', (name) => {
  const { file, edit } = VARIANTS[name] ?? { file: name, edit: (t: string) => t };
  const path = `fixtures/${file}.yaml`;
  const spec = loadClusterText(path, edit(readFileSync(path, 'utf8'))).spec!;
  const plan = buildPlan(spec);
  const moves = legacyMoves(plan);

  it('moves every per-zone and per-CIDR resource the earlier layout had, and nothing else', () => {
    const legacy = [...LEGACY[name]!.network.filter((a) => !SHARED.includes(a)), ...LEGACY[name]!.security];
    expect(moves.map((m) => m.from).sort()).toEqual(legacy.sort());
  });

  it('to an instance the new module declares: its block, keyed by a zone or CIDR of the cluster', async () => {
    const files = await generateFiles(spec);
    const main = (module: string) => files.find((f) => f.path === `modules/${module}/main.tf`)!.content;
    const keys = new Set([...plan.network.zones.map((z) => z.zone), ...plan.network.additionalCidrs, ...plan.api.allowedCIDRs, ...plan.ssh.cidrs]);
    for (const m of moves) {
      const [, module, type, block, key] = /^module\.([a-z]+)\.([a-z0-9_]+)\.([a-z0-9_]+)\["([^"]+)"\]$/.exec(m.to)!;
      expect(main(module!), m.to).toMatch(new RegExp(`^resource "${type}" "${block}" \\{\\n  for_each `, 'm'));
      expect(keys.has(key!), m.to).toBe(true);
    }
    for (const a of SHARED.filter((x) => LEGACY[name]!.network.includes(x))) expect(main('network')).toContain(`resource "${a.split('.')[2]}" "${a.split('.')[3]}" {`);
  });
});
