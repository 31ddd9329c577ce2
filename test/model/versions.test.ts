import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { buildPlan } from '../../src/model/plan.js';
import { CNI_RELEASES, compareVersions, daysOfSupport, DEFAULT_KUBERNETES_VERSION, minorRelease, minorSteps, releaseOf, SUPPORTED_MINORS } from '../../src/model/versions.js';
import { explainSpec } from '../../src/commands/explain.js';
import { loadClusterFile } from '../../src/spec/index.js';

/** The version table holds by meaning: what each row pins is what that minor's kubeadm and controllers serve. */
describe('the version table', () => {
  it('lists consecutive minors, each ending after the one before, on kubeadm v1beta4, with the cloud controller of its own minor', () => {
    const rows = SUPPORTED_MINORS.map((m) => releaseOf(`${m}.0`));
    rows.forEach((r, i) => {
      expect(r.kubeadmApi).toBe('kubeadm.k8s.io/v1beta4');
      expect(r.cloudControllerManager.startsWith(`v${r.minor}.`), r.minor).toBe(true);
      expect(r.etcd).toMatch(/^3\.\d+\.\d+-0$/);
      if (i > 0) {
        expect(minorSteps(`${rows[i - 1]!.minor}.0`, `${r.minor}.0`)).toBe(1);
        expect(r.endOfLife > rows[i - 1]!.endOfLife).toBe(true);
        // kubeadm never moves etcd or the pause image backwards from one minor to the next.
        expect(compareVersions(r.etcd.replace(/-0$/, ''), rows[i - 1]!.etcd.replace(/-0$/, ''))).toBeGreaterThanOrEqual(0);
      }
    });
  });

  it('defaults to the newest patch of the newest minor', () => {
    const newest = releaseOf(`${SUPPORTED_MINORS.at(-1)}.0`);
    expect(DEFAULT_KUBERNETES_VERSION).toBe(`${newest.minor}.${newest.newestPatch}`);
    expect(minorRelease('1.30.14')).toBeUndefined();
  });

  it('counts the days of support left', () => {
    expect(daysOfSupport(releaseOf('1.37.2'), '2026-12-02')).toBe(330);
    expect(daysOfSupport(releaseOf('1.34.12'), '2026-12-02')).toBeLessThan(0);
  });

  it('every minor of the table generates, its boot scripts and controllers at that minor\'s pins', async () => {
    const base = loadClusterFile('fixtures/examples/public.yaml').spec!;
    for (const minor of SUPPORTED_MINORS) {
      const r = releaseOf(`${minor}.0`);
      const spec = { ...base, kubernetesVersion: `${minor}.${r.newestPatch}` };
      const files = new Map((await generateFiles(spec)).map((f) => [f.path, f.content]));
      const master = files.get('userdata/master.sh')!;
      expect(master, minor).toContain(`readonly KUBERNETES_VERSION="${minor}.${r.newestPatch}"`);
      expect(master, minor).toContain(`registry.k8s.io/pause:${r.pause}`);
      const ccm = [...files].find(([p]) => p.startsWith('addons/aws-cloud-controller-manager/'))?.[1] ?? '';
      expect([...files].filter(([p]) => p.startsWith('addons/')).map(([, c]) => c).join('\n'), minor).toContain(r.cloudControllerManager);
      expect(ccm.length).toBeGreaterThan(0);
      expect(buildPlan(spec).kubernetesVersion).toBe(spec.kubernetesVersion);
    }
  });

  it('explain says how long the minor is supported, and warns past the end', () => {
    process.env.HAFORM_TODAY = '2026-12-02';
    const spec = loadClusterFile('fixtures/examples/public.yaml').spec!;
    expect(explainSpec(spec)).toContain(`Kubernetes ${DEFAULT_KUBERNETES_VERSION}: supported upstream until 2027-10-28 (330 days)`);
    expect(explainSpec({ ...spec, kubernetesVersion: '1.34.12' })).toContain('Kubernetes 1.34.12: past its end of life (2026-10-27)');
  });

  it("the drill's components (scripts/components.env) are the table's: the default and the previous minor's newest patch", () => {
    const env = Object.fromEntries(readFileSync('scripts/components.env', 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=') as [string, string]));
    const sets = [
      ['', env.KUBERNETES_VERSION!],
      ['UPGRADE_FROM_', env.KUBERNETES_UPGRADE_FROM!],
    ] as const;
    expect(env.KUBERNETES_VERSION).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(minorSteps(env.KUBERNETES_UPGRADE_FROM!, env.KUBERNETES_VERSION!)).toBe(1);
    for (const [prefix, version] of sets) {
      const r = releaseOf(version);
      expect(`${r.minor}.${r.newestPatch}`, prefix).toBe(version);
      expect(env[`${prefix}ETCD_IMAGE_TAG`]).toBe(r.etcd);
      expect(`${env[`${prefix}ETCD_VERSION`]}-0`).toBe(r.etcd);
      expect(env[`${prefix}PAUSE_VERSION`]).toBe(r.pause);
      expect(`v${env[`${prefix}COREDNS_VERSION`]}`).toBe(r.coredns);
      expect(`v${env[`${prefix}CLOUD_PROVIDER_AWS_VERSION`]}`).toBe(r.cloudControllerManager);
    }
    expect(`v${env.FLANNEL_VERSION}`).toBe(CNI_RELEASES.flannel!.version);
    expect(readFileSync('fixtures/k8s/drill.yaml', 'utf8')).toContain(`kubernetesVersion: ${env.KUBERNETES_VERSION}\n`);
  });
});
