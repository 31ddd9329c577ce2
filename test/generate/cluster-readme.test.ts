import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { haform } from '../cli/run.js';

// The generated README against what the tool does: its steps must be the ones the output allows.
const work = mkdtempSync(join(tmpdir(), 'haform-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it("rolling back a member: the README says what generate writes (the member's volumes leave the state and stay in AWS)", () => {
  expect(haform(['generate', 'fixtures/day2/three-masters.yaml', '--out', work]).exitCode).toBe(0);
  const shrink = haform(['generate', 'fixtures/day2/one-master.yaml', '--out', work, '--allow-destroy']);
  expect(shrink.exitCode, shrink.stderr).toBe(0);
  const main = readFileSync(join(work, 'main.tf'), 'utf8');
  // What the tool writes for a removed master's etcd volumes: removed blocks, destroy = false.
  const removed = [...main.matchAll(/removed \{\n\s+from = (\S+)\n\s+lifecycle \{\n\s+destroy = false/g)].map((m) => m[1]);
  expect(removed).toEqual(expect.arrayContaining(['module.master_b.aws_ebs_volume.etcd_main', 'module.master_c.aws_ebs_volume.etcd_events']));
  const readme = readFileSync(join(work, 'README.md'), 'utf8');
  const step = readme.slice(readme.indexOf('Roll back a member'), readme.indexOf('\n\n', readme.indexOf('Roll back a member')));
  expect(step).toContain('removed');
  expect(step).toMatch(/stay in AWS/);
  // Not what the tool does: destroying them, or lifting prevent_destroy for it.
  expect(step).not.toMatch(/volumes are destroyed|prevent_destroy` guard must be lifted/);
});
