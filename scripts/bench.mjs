// npm run bench: the built CLI as whole processes, medians over several runs after a warm-up, with
// `node -e 0` measured in the same run as the floor. Runs are interleaved (one of each command per
// round), so that the floor and every command meet the same machine noise and their ratios hold.
// Prints a table and writes bench-results.json.
// A benchmark, not a test: nothing here fails on speed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const root = new URL('..', import.meta.url).pathname;
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const work = mkdtempSync(join(tmpdir(), 'haform-bench-'));
const examples = ['public', 'private', 'same-az'].map((e) => `fixtures/examples/${e}.yaml`);
const large = 'fixtures/valid/large.yaml';

const cases = [
  ['node -e 0 (floor)', ['-e', '0']],
  ...examples.map((f) => [`validate ${f.split('/').pop()}`, [cli, 'validate', f]]),
  ...examples.map((f) => [`explain ${f.split('/').pop()}`, [cli, 'explain', f]]),
  ...examples.map((f) => [`generate ${f.split('/').pop()}`, [cli, 'generate', f, '--out', join(work, f)]]),
  ['generate large.yaml (6 zones, 7 masters, private, bastion)', [cli, 'generate', large, '--out', join(work, 'large')]],
];

/** One run: wall seconds and peak RSS in MB (from /usr/bin/time, where the machine has it). */
function runOnce(args) {
  const cmd = timeBin ? [timeBin, '-f', '%M', process.execPath, ...args] : [process.execPath, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: root, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const rss = timeBin ? Number(r.stderr.trim().split('\n').pop()) / 1024 : NaN;
  return { wall, rss };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [, args] of cases) runOnce(args); // warm-up: file cache, and generate's first write
const samples = cases.map(() => []);
for (let round = 0; round < RUNS; round++) cases.forEach(([, args], i) => samples[i].push(runOnce(args)));
const results = cases.map(([name], i) => ({
  name,
  wallSeconds: median(samples[i].map((r) => r.wall)),
  peakRssMb: Math.max(...samples[i].map((r) => r.rss)),
}));
rmSync(work, { recursive: true, force: true });

const floor = results[0];
for (const r of results) {
  r.wallRatio = r.wallSeconds / floor.wallSeconds;
  r.rssRatio = r.peakRssMb / floor.peakRssMb;
}
const find = (prefix) => results.find((r) => r.name.startsWith(prefix));
const gen1 = find('generate public');
const targets = [
  ['validate <= 1.5x floor', Math.max(...results.filter((r) => r.name.startsWith('validate')).map((r) => r.wallRatio)) <= 1.5],
  ['generate public <= 3x floor', gen1.wallRatio <= 3],
  ['generate large <= 1.5x generate public', find('generate large').wallSeconds <= 1.5 * gen1.wallSeconds],
  ['peak RSS of every command <= 200 MB', results.every((r) => !(r.peakRssMb > 200))],
];

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const rows = results.map((r) => `| ${r.name} | ${r.wallSeconds.toFixed(3)} | ${r.wallRatio.toFixed(1)}x | ${Number.isNaN(r.peakRssMb) ? 'n/a' : r.peakRssMb.toFixed(0)} |`);
console.log(`Machine: ${machine}; median of ${RUNS} interleaved runs after a warm-up\n`);
console.log('| command | wall (s) | vs floor | peak RSS (MB) |\n| --- | --- | --- | --- |');
console.log(rows.join('\n'));
console.log('\nTargets (reported, never enforced):');
for (const [what, ok] of targets) console.log(`  ${ok ? 'met   ' : 'MISSED'} ${what}`);
writeFileSync(join(root, 'bench-results.json'), `${JSON.stringify({ machine, runs: RUNS, results, targets: Object.fromEntries(targets) }, null, 2)}\n`);
console.log('\nwrote bench-results.json');
