import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { haform, ROOT } from '../cli/run.js';

const work = mkdtempSync(join(tmpdir(), 'haform-source-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tree = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => statSync(join(dir, f)).isFile())
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );

it('the output does not depend on the YAML file name or path: renaming cluster.yaml changes no file', () => {
  mkdirSync(join(work, 'deep/dir'), { recursive: true });
  copyFileSync(join(ROOT, 'fixtures/examples/public.yaml'), join(work, 'cluster.yaml'));
  copyFileSync(join(ROOT, 'fixtures/examples/public.yaml'), join(work, 'deep/dir/renamed-cluster.yaml'));
  expect(haform(['generate', 'cluster.yaml', '--out', 'a'], { cwd: work }).exitCode).toBe(0);
  expect(haform(['generate', join(work, 'deep/dir/renamed-cluster.yaml'), '--out', join(work, 'b')]).exitCode).toBe(0);
  const a = tree(join(work, 'a'));
  expect(Object.keys(a).length).toBeGreaterThan(20);
  expect(tree(join(work, 'b'))).toEqual(a);
  expect(JSON.stringify(a)).not.toContain('cluster.yaml');
  expect(JSON.stringify(a)).not.toContain(relative('/', work));
});
