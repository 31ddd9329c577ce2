import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { loadClusterFile } from '../../src/spec/index.js';
import { haform } from '../cli/run.js';
import { Drill, drillOrSkip, type Host, type Member } from './drill.js';

/**
 * "Masters of one zone are lost together": for each seed example and the large cluster, real etcd
 * members placed as haform places them lose one zone at a time, and a write either still commits
 * or does not, exactly as `haform explain` predicts.
 */
const ready = drillOrSkip('the etcd zone-loss drill');

interface ZoneRow {
  zone: string;
  members: string[];
  kept: boolean;
}

/** The table `haform explain` prints: zone, masters, members, what losing the zone leaves. */
function explain(fixture: string): ZoneRow[] {
  const r = haform(['explain', fixture]);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .map((l) => /^(\S+-\d[a-z])\s+\d+\s+(.*?)\s{2,}\d+ of \d+ members remain, quorum \d+: (kept|LOST)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ zone: m[1]!, members: m[2]!.split(', ').filter((x) => x !== '-'), kept: m[3] === 'kept' }));
}

const CASES: [string, number][] = [
  ['fixtures/examples/public.yaml', 111],
  ['fixtures/examples/private.yaml', 112],
  ['fixtures/examples/same-az.yaml', 113],
  ['fixtures/valid/large.yaml', 114],
];

describe.skipIf(!ready).each(CASES)('zone loss with real etcd: %s', (fixture, net) => {
  let d: Drill;
  let rows: ZoneRow[];
  const members: Member[] = [];
  const hosts = new Map<string, Host>();

  beforeAll(async () => {
    rows = explain(fixture);
    const script = (await generateFiles(loadClusterFile(fixture).spec!)).find((f) => f.path === 'userdata/master.sh')!.content;
    d = new Drill(mkdtempSync(join(tmpdir(), 'haform-zones-')), script, net);
    for (const row of rows) for (const name of row.members) members.push(d.memberOf(name, row.zone, members.length));
    for (const m of members) {
      const h = d.launch(m);
      d.attachVolume(h);
      d.mountVolume(h);
      d.memberRoutes(h);
      hosts.set(m.name, h);
    }
    for (const h of hosts.values()) d.start(h, { initial: members, state: 'new' });
    for (const h of hosts.values()) if (!(await d.healthy(h))) throw new Error(`${h.member.name} did not start:\n${d.log(h)}`);
  });
  afterAll(async () => d?.teardown());

  it('explain lists every member once, in the zones haform places them', () => {
    const spec = loadClusterFile(fixture).spec!;
    expect(members.length).toBe(spec.masterCount);
    expect(rows.flatMap((r) => r.members).sort()).toEqual(members.map((m) => m.name).sort());
  });

  it('losing each zone keeps or loses quorum exactly as explain says', async () => {
    const outcomes: string[] = [];
    for (const row of rows.filter((r) => r.members.length)) {
      const lost = row.members.map((n) => hosts.get(n)!);
      const survivor = [...hosts.values()].find((h) => !row.members.includes(h.member.name))!;
      for (const h of lost) await d.stop(h);
      // A write through a survivor, retried over the time an election takes (the leader may be lost).
      let committed = false;
      const deadline = Date.now() + 8000;
      while (!committed && Date.now() < deadline) committed = d.etcdctl(survivor, ['put', `/drill/${row.zone}`, 'written'], { timeout: '2s' }).code === 0;
      outcomes.push(`${row.zone}: ${committed ? 'kept' : 'LOST'}`);
      // The zone comes back: its members restart from their volumes and catch up.
      for (const h of lost) d.start(h, { initial: members, state: 'existing' });
      for (const h of hosts.values()) expect(await d.healthy(h), `${h.member.name} after ${row.zone} returned`).toBe(true);
    }
    expect(outcomes).toEqual(rows.filter((r) => r.members.length).map((r) => `${r.zone}: ${r.kept ? 'kept' : 'LOST'}`));
  });
});
