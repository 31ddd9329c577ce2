import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haform } from '../cli/run.js';
import { findTerraform, REQUIRE_TERRAFORM } from './harness.js';

const { tf, missing } = findTerraform();
if (!tf) {
  const message = `terraform tests cannot run: ${missing}`;
  if (REQUIRE_TERRAFORM) throw new Error(`${message} (HAFORM_REQUIRE_TERRAFORM=1)`);
  console.warn(`\n!!! SKIPPING the real-terraform tests: ${message}.\n!!! Set HAFORM_REQUIRE_TERRAFORM=1 to make this a failure.\n`);
}

const CASES = ['examples/public', 'examples/private', 'examples/same-az', 'valid/large', 'valid/existing-vpc', 'valid/existing-subnets', 'valid/autoscaled'];
const work = mkdtempSync(join(tmpdir(), 'haform-tf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!tf).each(CASES)('real terraform on %s', (fixture) => {
  const dir = join(work, fixture.replace('/', '-'));

  it('generates, and the output is in terraform fmt form', () => {
    const g = haform(['generate', `fixtures/${fixture}.yaml`, '--out', dir]);
    expect(g.exitCode, g.stderr).toBe(0);
    const fmt = tf!.run(['fmt', '-check', '-recursive', '-diff'], dir);
    expect(fmt.output).toBe('');
    expect(fmt.code).toBe(0);
  });

  it('terraform init installs from the offline mirror, and validate passes without warnings', () => {
    const init = tf!.run(['init', '-input=false', '-backend=false'], dir);
    expect(init.code, init.output).toBe(0);
    const v = tf!.run(['validate'], dir);
    expect(v.code, v.output).toBe(0);
    expect(v.output).toContain('Success! The configuration is valid.');
    expect(v.output).not.toMatch(/Warning/);
  });

  it('terraform test: the HA invariants hold on the simulated plan (and apply, where etcd volumes may be destroyed)', () => {
    const t = tf!.run(['test'], dir);
    expect(t.code, t.output).toBe(0);
    expect(t.output).toMatch(/Success! [1-9]\d* passed, 0 failed/);
  });
});

describe.skipIf(!tf)('the HA invariants catch a broken configuration', () => {
  it('a master volume moved to another zone fails terraform test', () => {
    const src = join(work, 'examples-public');
    const broken = join(work, 'broken');
    cpSync(src, broken, { recursive: true });
    const file = join(broken, 'modules/master/main.tf');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('availability_zone = var.zone');
    writeFileSync(file, text.replace('availability_zone = var.zone', 'availability_zone = "us-west-2b"'));
    const t = tf!.run(['test'], broken);
    expect(t.code).not.toBe(0);
    expect(t.output).toContain('master a: both etcd volumes must be in the zone of its subnet');
  });
});
