import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haform } from '../cli/run.js';
import { findTofu, REQUIRE_TOFU } from './harness.js';

/**
 * The real OpenTofu on every fixture's output, as terraform.test.ts runs terraform: init from the
 * offline mirror, validate, and the emitted HA invariants under tofu test (tests/ha.tofutest.json).
 * Then a master removed, so that the removed blocks (destroy = false) validate too.
 */
const { tofu, missing } = findTofu();
if (!tofu) {
  const message = `OpenTofu tests cannot run: ${missing}`;
  if (REQUIRE_TOFU) throw new Error(`${message} (HAFORM_REQUIRE_TOFU=1)`);
  console.warn(`\n!!! SKIPPING the OpenTofu tests: ${message}.\n!!! Set HAFORM_REQUIRE_TOFU=1 to make this a failure.\n`);
}

const CASES = ['examples/public', 'examples/private', 'examples/same-az', 'valid/large', 'valid/existing-vpc', 'valid/existing-subnets', 'valid/autoscaled'];
const work = mkdtempSync(join(tmpdir(), 'haform-tofu-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function initAndValidate(dir: string) {
  const init = tofu!.run(['init', '-input=false', '-backend=false'], dir);
  expect(init.code, init.output).toBe(0);
  expect(init.output).toContain('Installing hashicorp/aws');
  const v = tofu!.run(['validate'], dir);
  expect(v.code, v.output).toBe(0);
  expect(v.output).toContain('Success! The configuration is valid.');
  expect(v.output).not.toMatch(/Warning/);
}

describe.skipIf(!tofu).each(CASES)('real OpenTofu on %s', (fixture) => {
  const dir = join(work, fixture.replace('/', '-'));

  it('tofu init installs from the offline mirror, validate passes without warnings, and tofu test holds the HA invariants', () => {
    const g = haform(['generate', `fixtures/${fixture}.yaml`, '--out', dir]);
    expect(g.exitCode, g.stderr).toBe(0);
    initAndValidate(dir);
    const t = tofu!.run(['test'], dir);
    expect(t.code, t.output).toBe(0);
    // OpenTofu reads its own file, not Terraform's.
    expect(t.output).toContain('tests/ha.tofutest.json... pass');
    expect(t.output).not.toContain('ha.tftest.json');
    expect(t.output).toMatch(/Success! [1-9]\d* passed, 0 failed/);
  });
});

describe.skipIf(!tofu)('OpenTofu after a master is removed', () => {
  it('the removed blocks that keep its volumes and interface in AWS validate', () => {
    const dir = join(work, 'removed');
    expect(haform(['generate', 'fixtures/day2/five-masters.yaml', '--out', dir]).exitCode).toBe(0);
    const g = haform(['generate', 'fixtures/day2/three-masters.yaml', '--out', dir, '--allow-destroy']);
    expect(g.exitCode, g.stderr).toBe(0);
    expect(g.stdout + g.stderr).toMatch(/removed/);
    initAndValidate(dir);
  });
});
