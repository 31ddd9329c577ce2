import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCEPTED_CHECKS } from '../../src/generators/checkov.js';
import { haform, ROOT } from '../cli/run.js';

/**
 * checkov (PyPI), the scanner ops teams run on Terraform, on the output of every fixture: no failed
 * check. What haform accepts carries checkov's own inline skip with its reason (ACCEPTED_CHECKS), and
 * the README lists each. checkov lives in a venv outside the clone (.ci/run installs it there);
 * HAFORM_CHECKOV names another binary.
 */
const CHECKOV = process.env.HAFORM_CHECKOV ?? '/var/cache/haform/venv-checkov/bin/checkov';
const REQUIRE = process.env.HAFORM_REQUIRE_CHECKOV === '1';

function missing(): string | undefined {
  if (!existsSync(CHECKOV)) return `checkov is missing at ${CHECKOV} (set HAFORM_CHECKOV, or: python3 -m venv /var/cache/haform/venv-checkov && /var/cache/haform/venv-checkov/bin/pip install checkov)`;
  if (spawnSync(CHECKOV, ['--version'], { encoding: 'utf8' }).status !== 0) return `${CHECKOV} --version fails`;
  return undefined;
}

const why = missing();
if (why && REQUIRE) throw new Error(`the checkov scan cannot run: ${why} (HAFORM_REQUIRE_CHECKOV=1)`);
if (why) console.warn(`\n!!! SKIPPING the checkov scan: ${why}.\n!!! Set HAFORM_REQUIRE_CHECKOV=1 to make this a failure.\n`);

const FIXTURES = ['examples', 'valid', 'day2', 'k8s'].flatMap((dir) =>
  readdirSync(join(ROOT, 'fixtures', dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => `fixtures/${dir}/${f}`),
);
const work = mkdtempSync(join(tmpdir(), 'haform-checkov-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface CheckovReport {
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
  results: { failed_checks?: { check_id: string; resource: string; file_path: string }[]; skipped_checks?: { check_id: string; check_result: { suppress_comment: string } }[] };
}

describe.skipIf(!!why).each(FIXTURES)('checkov on the output of %s', (fixture) => {
  it('fails no check; every skip is one haform accepts, with its reason', () => {
    const out = join(work, fixture.replace(/[/.]/g, '_'));
    const g = haform(['generate', fixture, '--out', out]);
    expect(g.exitCode, g.stderr).toBe(0);
    const r = spawnSync(CHECKOV, ['-d', out, '--framework', 'terraform', '-o', 'json', '--skip-download'], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, BC_SKIP_MAPPING: 'TRUE', CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'false' } });
    expect(r.stdout, r.stderr).toMatch(/^[[{]/);
    const parsed = JSON.parse(r.stdout) as CheckovReport | CheckovReport[];
    const reports = Array.isArray(parsed) ? parsed : [parsed];
    expect(reports.map((x) => x.summary.parsing_errors)).toEqual(reports.map(() => 0));
    expect(reports.reduce((n, x) => n + x.summary.passed, 0)).toBeGreaterThan(100);
    expect(reports.flatMap((x) => (x.results.failed_checks ?? []).map((c) => `${c.check_id} ${c.resource} (${c.file_path})`))).toEqual([]);
    for (const s of reports.flatMap((x) => x.results.skipped_checks ?? [])) {
      expect(Object.keys(ACCEPTED_CHECKS), s.check_id).toContain(s.check_id);
      expect(s.check_result.suppress_comment, s.check_id).toBe(ACCEPTED_CHECKS[s.check_id as keyof typeof ACCEPTED_CHECKS]);
    }
  }, 180_000);
});

it('the README lists every check haform accepts, with its reason', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const [id, reason] of Object.entries(ACCEPTED_CHECKS)) expect(readme, id).toContain(`| \`${id}\` | ${reason} |`);
});
