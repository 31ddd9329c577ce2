import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { legacyNetworkMoves } from '../../src/model/network-moves.js';
import { buildPlan } from '../../src/model/plan.js';
import { loadClusterText } from '../../src/spec/index.js';

/**
 * The resources of modules/network as haform wrote them before for_each (one block per zone), read
 * from that version's output for each fixture (haform dc9dad9): the moves must start from exactly
 * these addresses, or an upgraded cluster would replace its NAT gateways, routes or subnets.
 */
const LEGACY: Record<string, string[]> = JSON.parse(readFileSync('test/model/legacy-network-addresses.json', 'utf8'));
const VARIANTS: Record<string, { file: string; edit?: (t: string) => string }> = {
  'valid/existing-vpc without vpcId, zone b egress external': {
    file: 'valid/existing-vpc',
    edit: (t) => t.replace(/^ +vpcId: vpc-0a1b2c3d4e5f60718\n/m, '').replace('egress: nat-0a1b2c3d4e5f60718', 'egress: external'),
  },
};
/** Addresses both layouts share: one per cluster, nothing to move. */
const SHARED = ['aws_vpc.main', 'aws_internet_gateway.main', 'aws_route_table.public', 'aws_route.public_internet'].map((a) => `module.network.${a}`);

describe.each(Object.keys(LEGACY))('%s: from the per-zone network layout', (name) => {
  const { file, edit } = VARIANTS[name] ?? { file: name };
  const path = `fixtures/${file}.yaml`;
  const text = (edit ?? ((t: string) => t))(readFileSync(path, 'utf8'));
  const spec = loadClusterText(path, text).spec!;
  const plan = buildPlan(spec);
  const moves = legacyNetworkMoves(plan);

  it('moves every per-zone resource the earlier layout had, and nothing else', () => {
    expect(moves.map((m) => m.from).sort()).toEqual(LEGACY[name]!.filter((a) => !SHARED.includes(a)).sort());
  });

  it('to an instance the new module declares: its block, keyed by a zone (or block) of the cluster', async () => {
    const main = (await generateFiles(spec)).find((f) => f.path === 'modules/network/main.tf')!.content;
    const keys = new Set([...plan.network.zones.map((z) => z.zone), ...plan.network.additionalCidrs]);
    for (const m of moves) {
      const [, type, block, key] = /^module\.network\.([a-z0-9_]+)\.([a-z0-9_]+)\["([^"]+)"\]$/.exec(m.to)!;
      expect(main, m.to).toMatch(new RegExp(`^resource "${type}" "${block}" \\{\\n  for_each `, 'm'));
      expect(keys.has(key!), m.to).toBe(true);
    }
    for (const a of SHARED.filter((x) => LEGACY[name]!.includes(x))) expect(main).toContain(`resource "${a.split('.')[2]}" "${a.split('.')[3]}" {`);
  });
});
