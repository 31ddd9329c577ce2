import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haform } from '../cli/run.js';
import { findTerraform, REQUIRE_TERRAFORM } from './harness.js';

/**
 * An infra repo's own provider and backend next to the generated code, as the README shows them:
 * the README's files are the ones tested.
 */
const { tf, missing } = findTerraform();
if (!tf && REQUIRE_TERRAFORM) throw new Error(`user-file terraform tests cannot run: ${missing} (HAFORM_REQUIRE_TERRAFORM=1)`);
if (!tf) console.warn(`\n!!! SKIPPING the user provider and backend tests: ${missing}.\n`);

const work = mkdtempSync(join(tmpdir(), 'haform-user-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The README's ```hcl block whose first line names the file. */
function readmeFile(name: string): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = [...readme.matchAll(/```hcl\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(`# ${name} `));
  if (!block) throw new Error(`README has no hcl block for ${name}`);
  return block;
}

function fixture(provider: string): string {
  const file = join(work, `cluster-${provider}.yaml`);
  writeFileSync(file, `${readFileSync('fixtures/examples/public.yaml', 'utf8').trimEnd()}\n  terraform:\n    provider: ${provider}\n`);
  return file;
}

describe.skipIf(!tf)('your provider and backend with the generated code', () => {
  const dir = join(work, 'user');

  it('provider: user writes no provider; the README\'s providers.tf (assume_role, default_tags) and backend.tf validate with it', () => {
    const g = haform(['generate', fixture('user'), '--out', dir]);
    expect(g.exitCode, g.stderr).toBe(0);
    expect(existsSync(join(dir, 'providers.tf'))).toBe(false);
    expect(readFileSync(join(dir, 'versions.tf'), 'utf8')).toMatch(/required_version = ">= 1\.7\.0"/);
    writeFileSync(join(dir, 'providers.tf'), readmeFile('providers.tf'));
    writeFileSync(join(dir, 'backend.tf'), readmeFile('backend.tf'));
    const init = tf!.run(['init', '-input=false', '-backend=false'], dir);
    expect(init.code, init.output).toBe(0);
    const v = tf!.run(['validate'], dir);
    expect(v.code, v.output).toBe(0);
    const fmt = tf!.run(['fmt', '-check', 'providers.tf', 'backend.tf'], dir);
    expect(fmt.code, fmt.output).toBe(0);
  });

  it("the README's imports.tf (adopting kops's VPC and subnets) names resources the generated code has", () => {
    const adopt = join(work, 'adopt');
    expect(haform(['generate', 'fixtures/examples/public.yaml', '--out', adopt]).exitCode).toBe(0);
    writeFileSync(join(adopt, 'imports.tf'), readmeFile('imports.tf'));
    expect(tf!.run(['init', '-input=false', '-backend=false'], adopt).code).toBe(0);
    const v = tf!.run(['validate'], adopt);
    expect(v.code, v.output).toBe(0);
    // The same block aimed at a resource the output lacks (a public cluster has no private subnets) is
    // refused: validate checks the resource, the plan its zone key.
    writeFileSync(join(adopt, 'imports.tf'), readmeFile('imports.tf').replace('aws_subnet.public[', 'aws_subnet.private['));
    const bad = tf!.run(['validate'], adopt);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/Configuration for import target does not exist/);
  });

  it('a regeneration leaves both files as they are', () => {
    const before = ['providers.tf', 'backend.tf'].map((f) => readFileSync(join(dir, f), 'utf8'));
    const g = haform(['generate', fixture('user'), '--out', dir]);
    expect(g.exitCode, g.stderr).toBe(0);
    expect(['providers.tf', 'backend.tf'].map((f) => readFileSync(join(dir, f), 'utf8'))).toEqual(before);
  });

  it('with the default provider: generated, the same providers.tf is a duplicate, as the README warns', () => {
    const other = join(work, 'generated');
    expect(haform(['generate', fixture('generated'), '--out', other]).exitCode).toBe(0);
    expect(readFileSync(join(other, 'providers.tf'), 'utf8')).toMatch(/provider "aws" \{\s*region = "us-west-2"\s*\}/);
    writeFileSync(join(other, 'my_providers.tf'), readmeFile('providers.tf'));
    tf!.run(['init', '-input=false', '-backend=false'], other);
    const v = tf!.run(['validate'], other);
    expect(v.code).not.toBe(0);
    expect(v.output).toContain('Duplicate provider configuration');
  });
});

describe.skipIf(!tf)('module inputs a hand edit could get wrong', () => {
  it('a master module called with a region for a zone fails at plan, with the variable\'s own message', () => {
    const dir = join(work, 'bad-zone');
    expect(haform(['generate', 'fixtures/examples/public.yaml', '--out', dir]).exitCode).toBe(0);
    const main = readFileSync(join(dir, 'main.tf'), 'utf8');
    writeFileSync(join(dir, 'main.tf'), main.replace('zone            = "us-west-2a"', 'zone            = "us-west-2"'));
    expect(tf!.run(['init', '-input=false', '-backend=false'], dir).code).toBe(0);
    const t = tf!.run(['test'], dir);
    expect(t.code).not.toBe(0);
    expect(t.output).toContain('zone is an Availability Zone name');
  });

  it('the network module called with a region as a zone key, or a CIDR that is none, fails at plan with its own messages', () => {
    const dir = join(work, 'bad-network');
    expect(haform(['generate', 'fixtures/examples/private.yaml', '--out', dir]).exitCode).toBe(0);
    const main = readFileSync(join(dir, 'main.tf'), 'utf8');
    writeFileSync(join(dir, 'main.tf'), main.replace('    us-west-2a = {', '    us-west-2 = {').replace('cidr_block         = "172.20.128.0/18"', 'cidr_block         = "172.20.128.0"'));
    expect(tf!.run(['init', '-input=false', '-backend=false'], dir).code).toBe(0);
    const t = tf!.run(['test'], dir);
    expect(t.code).not.toBe(0);
    expect(t.output).toContain("zones is keyed by Availability Zone name");
    expect(t.output).toContain('cidr_block (and utility_cidr_block) are IPv4 CIDR blocks');
  });
});
