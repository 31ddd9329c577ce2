import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { haform } from '../cli/run.js';

/**
 * Real Kubernetes from the rendered master.sh: kubeadm, kubelet, containerd, runc, etcd and the
 * apiserver of the pinned versions, built from their Go modules (scripts/build-components.sh), in
 * a host of their own (test/k8s/hosts.sh), pulling images under their upstream names through the
 * cluster's assets.containerProxy. The seams are named in test/k8s/seams.sh and control-plane.sh.
 */
const REQUIRE = process.env.HAFORM_REQUIRE_K8S === '1';
const env = Object.fromEntries(readFileSync('scripts/components.env', 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=') as [string, string]));
const components = process.env.HAFORM_COMPONENTS ?? '/var/cache/haform/components';
const needed = [`kubernetes-${env.KUBERNETES_VERSION}`, `etcd-${env.ETCD_VERSION}`, `containerd-${env.CONTAINERD_VERSION}`, `runc-${env.RUNC_VERSION}`, `cri-tools-${env.CRI_TOOLS_VERSION}`, `distribution-${env.DISTRIBUTION_VERSION}`, `crane-${env.CRANE_VERSION}`];

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (namespaces, loop devices and cgroups need it)';
  const absent = needed.filter((n) => !existsSync(join(components, n, '.done')));
  if (absent.length) return `components not built in ${components}: ${absent.join(', ')} (run scripts/build-components.sh)`;
  for (const cmd of ['losetup', 'mkfs.ext4', 'nsenter', 'unshare', 'gcc']) if (spawnSync('which', [cmd]).status !== 0) return `${cmd} is missing`;
  return undefined;
}

const why = missing();
if (why && REQUIRE) throw new Error(`the Kubernetes drill cannot run: ${why} (HAFORM_REQUIRE_K8S=1)`);
if (why) console.warn(`\n!!! SKIPPING the Kubernetes drill: ${why}.\n!!! Set HAFORM_REQUIRE_K8S=1 to make this a failure.\n`);

const work = mkdtempSync(join(tmpdir(), 'haform-k8s-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!!why)('a real control plane from the rendered master.sh', () => {
  it('member a: the script formats and mounts its volumes, runs kubeadm init, publishes join material, and marks its Node as control plane', async () => {
    expect(haform(['generate', 'fixtures/k8s/drill.yaml', '--out', join(work, 'out')]).exitCode).toBe(0);
    const id = randomBytes(2).toString('hex');
    const out = await new Promise<{ code: number; log: string }>((resolve) => {
      const child = spawn('bash', ['test/k8s/control-plane.sh'], {
        env: { ...process.env, DRILL_WORK: work, DRILL_SCRIPT: join(work, 'out/userdata/master.sh'), DRILL_ID: id, HAFORM_COMPONENTS: components },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout.on('data', (d) => (log += d));
      child.stderr.on('data', (d) => (log += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, log });
      });
    });
    const lines = out.log.split('\n').filter((l) => /^(drill|haform): /.test(l));
    console.log(lines.join('\n'));
    expect(out.code, out.log.slice(-4000)).toBe(0);
    const said = (what: string) => lines.find((l) => l.startsWith(`drill: ${what}: `))?.slice(`drill: ${what}: `.length).trim() ?? '';
    // Formatted by the script itself (blkid -p said "no filesystem"), then kubeadm init, not a join.
    expect(lines).toContain('haform: drill: boot action init');
    expect(lines.filter((l) => l.endsWith('is empty: creating a filesystem'))).toHaveLength(2);
    // Kubernetes' own answers: the Node under the member's name, labelled and tainted by kubeadm's phase.
    expect(said('node')).toBe('ip-10-98-1-10.us-west-2.compute.internal control-plane= taint=node-role.kubernetes.io/control-plane:NoSchedule;');
    // etcd's own answer: one member, named by the node, its peer URL the member IP; data on the volume.
    expect(said('etcd members')).toMatch(/^[0-9a-f]+, started, ip-10-98-1-10\.us-west-2\.compute\.internal, https:\/\/10\.98\.1\.10:2380, https:\/\/10\.98\.1\.10:2379, false;$/);
    expect(said('etcd data dir')).toContain('member');
    expect(said('join material')).toBe(
      '/haform/hacluster.example.com/control-plane/certificate-key /haform/hacluster.example.com/control-plane/initialized /haform/hacluster.example.com/control-plane/join-endpoint /haform/hacluster.example.com/node/api-endpoint /haform/hacluster.example.com/node/ca-cert-hash /haform/hacluster.example.com/node/token',
    );
    expect(said('canary')).toBe('before');
    const up = lines.find((l) => /^drill: a \(member a\) up in \d+s$/.test(l));
    expect(up).toBeDefined();
  }, 900_000);
});
