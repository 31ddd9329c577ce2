import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The pre-commit hook as published: a git repository holding haform's hook files, installed by
 * pre-commit from its URL at a revision into a consumer repository, then real commits. With both
 * majors users run: Debian's pre-commit (3.x, apt) and pre-commit 4 from PyPI (HAFORM_PRECOMMIT4,
 * a venv .ci/run installs; there HAFORM_REQUIRE_PRECOMMIT=1 makes either missing a failure).
 */
const ROOT = new URL('..', import.meta.url).pathname;
const REQUIRE = process.env.HAFORM_REQUIRE_PRECOMMIT === '1';
const PRECOMMITS = [
  { name: 'pre-commit 3 (Debian)', bin: 'pre-commit', major: '3', install: 'apt-get install pre-commit' },
  { name: 'pre-commit 4 (PyPI)', bin: process.env.HAFORM_PRECOMMIT4 ?? '/var/cache/haform/venv-pre-commit/bin/pre-commit', major: '4', install: "python3 -m venv /var/cache/haform/venv-pre-commit && /var/cache/haform/venv-pre-commit/bin/pip install 'pre-commit==4.6.2' (or set HAFORM_PRECOMMIT4)" },
].map((p) => {
  const version = spawnSync(p.bin, ['--version'], { encoding: 'utf8' });
  const found = version.status === 0 ? /pre-commit (\d+)\./.exec(version.stdout)?.[1] : undefined;
  const missing = found === p.major ? undefined : found ? `${p.bin} is pre-commit ${found}, not ${p.major}.x` : `${p.name} is not installed (${p.install})`;
  if (missing && REQUIRE) throw new Error(`the pre-commit hook test cannot run: ${missing} (HAFORM_REQUIRE_PRECOMMIT=1)`);
  if (missing) console.warn(`\n!!! SKIPPING the pre-commit hook test with ${p.name}: ${missing}.\n!!! Set HAFORM_REQUIRE_PRECOMMIT=1 to make this a failure.\n`);
  return { ...p, missing };
});

const work = mkdtempSync(join(tmpdir(), 'haform-hook-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
// A pre-commit cache of its own per major: the two keep their store in different schemas.
const envOf = (major: string) => ({ ...process.env, PRE_COMMIT_HOME: join(work, `cache-${major}`), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', HOME: work });
const runner = (env: NodeJS.ProcessEnv) => {
  const run = (cmd: string, args: string[], cwd: string) => {
    const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };
  const must = (cmd: string, args: string[], cwd: string) => {
    const r = run(cmd, args, cwd);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.out}`);
    return r.out;
  };
  return { run, must };
};

describe('the build', () => {
  it('the committed hook is what the build makes from src/hook.ts', () => {
    const committed = spawnSync('git', ['show', 'HEAD:hook/haform-validate.cjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(committed.status, 'hook/haform-validate.cjs is not committed').toBe(0);
    expect(readFileSync(join(ROOT, 'hook/haform-validate.cjs'), 'utf8') === committed.stdout, 'the committed hook is stale: run npm run build and commit hook/').toBe(true);
  });
});

describe.each(PRECOMMITS)('the pre-commit hook, installed from its git URL by $name', ({ bin, missing, major }) => {
  if (missing) return void it.skip(missing);
  const { run, must } = runner(envOf(major));
  const published = join(work, `haform-${major}`);
  const consumer = join(work, `infra-${major}`);
  const commit = (files: Record<string, string>) => {
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(consumer, f, '..'), { recursive: true });
      writeFileSync(join(consumer, f), text);
    }
    must('git', ['add', ...Object.keys(files)], consumer);
    return run('git', ['commit', '-m', 'change'], consumer);
  };

  it('installs with no network and no build, and a good cluster YAML commits, with its warnings shown', () => {
    // What a user's pre-commit fetches: haform's repository at a revision (its hook files suffice).
    mkdirSync(published);
    cpSync(join(ROOT, '.pre-commit-hooks.yaml'), join(published, '.pre-commit-hooks.yaml'));
    cpSync(join(ROOT, 'hook'), join(published, 'hook'), { recursive: true });
    must('git', ['init', '-q'], published);
    must('git', ['add', '.'], published);
    must('git', ['commit', '-q', '-m', 'haform'], published);
    const rev = must('git', ['rev-parse', 'HEAD'], published).trim();
    mkdirSync(consumer);
    must('git', ['init', '-q'], consumer);
    writeFileSync(join(consumer, '.pre-commit-config.yaml'), `repos:\n  - repo: file://${published}\n    rev: ${rev}\n    hooks:\n      - id: haform-validate\n`);
    must('git', ['add', '.pre-commit-config.yaml'], consumer);
    must(bin, ['install'], consumer);
    const r = commit({ 'clusters/same-az.yaml': readFileSync(join(ROOT, 'fixtures/examples/same-az.yaml'), 'utf8') });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/haform validate\.+Passed/);
    expect(r.out).toContain('warning[az-loss-breaks-quorum]');
  });

  it('a broken cluster YAML fails the commit, with file, line and fix', () => {
    const r = commit({ 'same-az.yaml': readFileSync(join(ROOT, 'fixtures/invalid/even-masters.yaml'), 'utf8') });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/haform validate\.+Failed/);
    expect(r.out).toMatch(/same-az\.yaml:\d+:\d+: error\[etcd-even-members\]/);
    must('git', ['rm', '-q', '--cached', 'same-az.yaml'], consumer);
    rmSync(join(consumer, 'same-az.yaml'));
  });

  it('a Kubernetes manifest and a CI config pass through untouched', () => {
    const r = commit({
      'k8s/cluster-autoscaler.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cluster-autoscaler\nspec:\n  replicas: 1\n',
      '.github/workflows/ci.yml': 'on: push\njobs: {}\n',
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain('error[');
  });
});
