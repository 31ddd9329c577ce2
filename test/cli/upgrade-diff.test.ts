import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haform } from './run.js';

/** diff and generate say what a Kubernetes, networking or boot-script change does, and refuse what kubeadm cannot do. */
let tmp: string;
const example = readFileSync('fixtures/examples/public.yaml', 'utf8');
const at = (name: string, version: string, edit: (t: string) => string = (t) => t) => {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, edit(example.replace(/^spec:\n/m, `spec:\n  kubernetesVersion: ${version}\n`)));
  return file;
};
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'haform-upgrade-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('haform diff on a version change', () => {
  it('one minor up: says how the upgrade goes, and that the boot scripts change; safe', () => {
    const r = haform(['diff', at('a', '1.36.5'), at('b', '1.37.2')]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Kubernetes 1.36.5 -> 1.37.2: control plane one master at a time');
    expect(r.stdout).toMatch(/boot scripts change \(userdata\/master.sh, userdata\/node.sh\)/);
    expect(r.stdout).not.toContain('REFUSED');
  });

  it('a skipped minor is refused with the path one minor at a time', () => {
    const r = haform(['diff', at('a', '1.34.12'), at('b', '1.37.2')]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('REFUSED: Kubernetes 1.34.12 -> 1.37.2 skips 2 minor(s)');
    expect(r.stdout).toContain('1.34.12 -> 1.35.9 -> 1.36.5 -> 1.37.2');
  });

  it('a downgrade is refused, in text and in JSON', () => {
    const r = haform(['diff', at('a', '1.37.2'), at('b', '1.37.1')]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('is a downgrade');
    const j = haform(['diff', at('a', '1.37.2'), at('b', '1.36.5'), '--format', 'json']);
    expect(j.exitCode).toBe(1);
    const doc = JSON.parse(j.stdout);
    expect(doc.kubernetes).toMatchObject({ from: '1.37.2', to: '1.36.5', step: 'downgrade' });
    expect(doc.safe).toBe(false);
  });

  it('a networking or instance-type change is reported, never as nothing to change', () => {
    const r = haform(['diff', at('a', '1.37.2'), at('b', '1.37.2', (t) => t.replace('networking: kubenet', 'networking: calico').replace(/^spec:\n/m, 'spec:\n  masterSize: m6i.large\n'))]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('networking kubenet -> calico');
    expect(r.stdout).toContain('masterSize t3.medium -> m6i.large');
    expect(r.stdout).toContain('boot scripts change (userdata/master.sh)');
  });
});

describe('haform generate over an earlier generation', () => {
  it('takes one minor up and says what comes next; refuses a skip or a downgrade and writes nothing', () => {
    const out = join(tmp, 'out');
    expect(haform(['generate', at('g1', '1.35.9'), '--out', out]).exitCode).toBe(0);
    const manifest = readFileSync(join(out, '.haform-manifest.json'), 'utf8');
    const skip = haform(['generate', at('g2', '1.37.2'), '--out', out]);
    expect(skip.exitCode).toBe(1);
    expect(skip.stderr).toContain('nothing written: Kubernetes 1.35.9 -> 1.37.2 skips 1 minor(s)');
    expect(readFileSync(join(out, '.haform-manifest.json'), 'utf8')).toBe(manifest);
    const up = haform(['generate', at('g3', '1.36.5'), '--out', out]);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain('Kubernetes 1.35.9 -> 1.36.5: control plane one master at a time');
    const down = haform(['generate', at('g4', '1.35.9'), '--out', out]);
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toContain('is a downgrade');
  });
});
