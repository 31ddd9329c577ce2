import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { loadClusterFile } from '../../src/spec/index.js';

/**
 * The emitted tests held to what OpenTofu accepts, read from its source (opentofu/opentofu,
 * internal/configs/test_file.go at v1.8.0 and v1.11.14): the blocks and arguments of a test file,
 * run block and override_resource. An override's target is parsed as a resource
 * (addrs.ParseConfigResource), never an instance, through v1.12.6; instance keys arrive after it
 * (3561785, #4067). No tofu binary installs here; this is the check that can run.
 */
const TOFU = {
  file: ['run', 'provider', 'variables', 'override_resource', 'override_data', 'override_module', 'mock_provider'],
  run: ['command', 'providers', 'expect_failures', 'plan_options', 'assert', 'variables', 'module', 'override_resource', 'override_data', 'override_module'],
  overrideResource: ['target', 'values'],
  mockProvider: ['alias', 'mock_resource', 'mock_data'],
};
const keys = (o: object) => Object.keys(o).filter((k) => k !== '//');

describe.each(['fixtures/examples/public.yaml', 'fixtures/examples/private.yaml', 'fixtures/valid/large.yaml', 'fixtures/valid/existing-subnets.yaml'])('%s: tests OpenTofu accepts', (fixture) => {
  const files = async () => new Map((await generateFiles(loadClusterFile(fixture).spec!)).map((f) => [f.path, f.content]));

  it('ha.tofutest.json uses only what OpenTofu 1.8+ knows; it checks what ha.tftest.json checks', async () => {
    const f = await files();
    const tofu = JSON.parse(f.get('tests/ha.tofutest.json')!);
    const tf = JSON.parse(f.get('tests/ha.tftest.json')!);
    for (const k of keys(tofu)) expect(TOFU.file).toContain(k);
    for (const p of Object.values(tofu.mock_provider) as object[]) for (const k of keys(p)) expect(TOFU.mockProvider).toContain(k);
    for (const [name, run] of Object.entries(tofu.run) as [string, Record<string, unknown>][]) {
      for (const k of keys(run)) expect(TOFU.run, `run ${name}`).toContain(k);
      for (const o of (run.override_resource ?? []) as { target: string }[]) {
        expect(keys(o).every((k) => TOFU.overrideResource.includes(k)), JSON.stringify(o)).toBe(true);
        expect(o.target, 'a resource, not one of its instances').toMatch(/^module\.[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$/);
      }
      for (const o of (run.override_data ?? []) as { target: string }[]) expect(o.target).toMatch(/^module\.[a-z0-9_]+\.data\.[a-z0-9_]+\.[a-z0-9_]+$/);
      expect(run.assert).toEqual((tf.run[name] as { assert: unknown }).assert);
    }
  });

  it('the Terraform file is the one that needs Terraform 1.11 (override_during), and only it', async () => {
    const f = await files();
    const tf = JSON.parse(f.get('tests/ha.tftest.json')!);
    const created = !fixture.includes('existing-subnets');
    expect(tf.run.ha_invariants_plan.override_resource.length > 0).toBe(created);
    for (const o of tf.run.ha_invariants_plan.override_resource) expect(o.override_during).toBe('plan');
    expect(f.get('tests/ha.tofutest.json')).not.toContain('override_during');
  });
});
