import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from './cli/run.js';

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => f.split('\\').join('/'))
    .sort();
}

function duBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce((n, f) => {
    const s = statSync(join(dir, f));
    return s.isFile() ? n + s.size : n;
  }, 0);
}

// The published package: the bundled CLI and its data files, no runtime dependencies, installable offline.
// It is three bundles (validate, the yargs program, and the engine: cdktn and the provider classes
// used, 1.8 MB with the bucket, queue, event, lifecycle-hook, KMS, flow log and log group classes)
// and a V8 code cache for each (3.6 MB together), which V8 takes when the installing Node is the one
// that built the package; about 6.4 MB unpacked, 2 MB packed.
const MAX_BYTES = 7 * 1024 * 1024;

const works: string[] = [];
afterAll(() => works.forEach((w) => rmSync(w, { recursive: true, force: true })));

it('npm pack yields a small package whose haform works offline after install', () => {
  const work = mkdtempSync(join(tmpdir(), 'haform-pack-'));
  works.push(work);
  // dist/ is already built by pretest; --ignore-scripts keeps pack from rebuilding it under running tests.
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  expect(pack.code, pack.out).toBe(0);
  const [info] = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as { filename: string; unpackedSize: number }[];
  expect(info!.unpackedSize).toBeLessThan(MAX_BYTES);

  const app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), '{ "name": "infra", "private": true }\n');
  const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, info!.filename)], app);
  expect(install.code, install.out).toBe(0);
  expect(readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['haform']);
  expect(duBytes(join(app, 'node_modules'))).toBeLessThan(MAX_BYTES);

  const fixture = join(ROOT, 'fixtures/examples/public.yaml');
  const golden = join(ROOT, 'test/golden/public');
  const generate = (out: string) => spawnSync(join(app, 'node_modules/.bin/haform'), ['generate', fixture, '--out', out], { cwd: app, encoding: 'utf8', env: { ...process.env, HAFORM_DEBUG: '1' } });
  const expectGolden = (out: string) => {
    const files = listFiles(out).filter((f) => f !== '.haform-manifest.json');
    expect(files).toEqual(listFiles(golden));
    for (const f of files) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(golden, f), 'utf8'));
  };

  const gen = generate(join(app, 'tf'));
  expect(gen.status, gen.stderr).toBe(0);
  expect(gen.stderr).toMatch(/haform: dist\/engine\.cjs loaded in \d+ ms, code cache accepted/);
  expectGolden(join(app, 'tf'));

  // Installed under another Node, V8 rejects the cache: the output must not change. Stand-in: another
  // bundle's cache (valid, but not for this source).
  copyFileSync(join(app, 'node_modules/haform/dist/validate.cache'), join(app, 'node_modules/haform/dist/engine.cache'));
  const foreign = generate(join(app, 'tf-foreign'));
  expect(foreign.status, foreign.stderr).toBe(0);
  expect(foreign.stderr).toMatch(/haform: dist\/engine\.cjs loaded in \d+ ms, code cache rejected/);
  expectGolden(join(app, 'tf-foreign'));
});
