import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { METRICS } from '../../src/model/alarms.js';
import { loadClusterFile, loadClusterText } from '../../src/spec/index.js';
import { boot, removeBootDirs, type Scenario } from './simulator.js';

/**
 * The alarms' metrics as the masters publish them: master.sh takes monitor.sh from the bucket at
 * boot (never failing by it), monitor.sh installs its timers, and each timer's run publishes what
 * the stubs' etcd, kubeadm and bucket say. The real AWS CLI against moto: test/emulator/alarms.test.ts.
 */
afterAll(removeBootDirs);

const scripts: Record<string, string> = {};
beforeAll(async () => {
  for (const f of await generateFiles(loadClusterFile('fixtures/examples/public.yaml').spec!)) if (f.path.startsWith('userdata/')) scripts[f.path.slice(9)] = f.content;
  const off = loadClusterText('off.yaml', readFileSync('fixtures/examples/public.yaml', 'utf8').replace(/\nspec:\n/, '\nspec:\n  alarms: {enabled: false}\n')).spec!;
  for (const f of await generateFiles(off)) if (f.path === 'userdata/master.sh') scripts['off/master.sh'] = f.content;
});

const P = '/haform/hacluster.example.com';
const NS = 'haform/hacluster.example.com';
const SNAPSHOT = 'backups/etcd/main/2026-12-03T080000Z-a.db';
const restart: Scenario = {
  member: 'a',
  zone: 'us-west-2a',
  region: 'us-west-2',
  eni: { id: 'eni-0a', ip: '172.20.32.10', mac: '0a:00:00:00:00:0a' },
  // The member's volumes hold etcd data: a reboot or a replacement, no kubeadm init or join.
  volumes: { main: { id: 'vol-0main', hasFilesystem: true, hasEtcdData: true }, events: { id: 'vol-0events', hasFilesystem: true } },
  params: { [`${P}/control-plane/initialized`]: 'a' },
};
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
const metric = (r: ReturnType<typeof boot>, name: string) => (r.state.metrics ?? []).filter((m) => m.name === name);

describe('master.sh takes monitor.sh from the bucket', () => {
  it('alarms on: every boot installs the timers of this generation; alarms off: one lookup, nothing installed', () => {
    const r = boot(scripts['master.sh']!, { ...restart, bucketObjects: { 'boot/monitor.sh': scripts['monitor.sh']! } });
    expect(r.code, r.stderr).toBe(0);
    const unit = (f: string) => readFileSync(join(r.root, 'etc/systemd/system', f), 'utf8');
    expect(unit('haform-metrics.timer')).toContain('OnUnitActiveSec=300s');
    expect(unit('haform-metrics.service')).toContain('ExecStart=/var/lib/haform/monitor.sh etcd');
    expect(unit('haform-cert-metrics.timer')).toContain('OnUnitActiveSec=12h');
    expect(unit('haform-cert-metrics.service')).toContain('ExecStart=/var/lib/haform/monitor.sh certs');
    expect(r.calls.some((c) => c.cmd === 'systemctl' && c.args.join(' ') === 'enable --now haform-metrics.timer haform-cert-metrics.timer')).toBe(true);
    expect(r.stderr).toContain('the metrics of the alarms are published every 300 s and 12 h');

    const off = boot(scripts['off/master.sh']!, restart);
    expect(off.code, off.stderr).toBe(0);
    expect(off.calls.filter((c) => c.cmd === 'aws' && c.args.includes('get-object')).map((c) => c.args[c.args.indexOf('--key') + 1])).toEqual(['boot/monitor.sh']);
    // NoSuchKey is an answer: no retries, no wait.
    expect(off.calls.filter((c) => c.cmd === 'sleep')).toEqual([]);
    expect(existsSync(join(off.root, 'etc/systemd/system/haform-metrics.timer'))).toBe(false);
  });

  it('a monitor.sh that fails never stops a boot', () => {
    const broken = boot(scripts['master.sh']!, { ...restart, bucketObjects: { 'boot/monitor.sh': 'exit 3\n' } });
    expect(broken.code, broken.stderr).toBe(0);
    expect(broken.stderr).toContain('haform: master a is up');
  });
});

describe('monitor.sh etcd: the snapshot age and the database in percent of its quota', () => {
  it('a snapshot 3 hours old is 10800 s; 1 GiB of an 8 GiB quota is 12.5%', () => {
    const r = boot(scripts['monitor.sh']!, {
      ...restart,
      bucketObjects: { [SNAPSHOT]: 'db', 'backups/etcd/main/2026-12-03T060000Z-b.db': 'db' },
      writtenAt: { [SNAPSHOT]: hoursAgo(3), 'backups/etcd/main/2026-12-03T060000Z-b.db': hoursAgo(5) },
      etcdStatus: { dbSize: 1024 ** 3, dbSizeInUse: 512 * 1024 ** 2 },
      etcdManifest: '    - --quota-backend-bytes=8589934592\n    - --auto-compaction-mode=periodic\n',
    }, { args: ['etcd'] });
    expect(r.code, r.stderr).toBe(0);
    const [age] = metric(r, METRICS.snapshotAge);
    expect(age!.namespace).toBe(NS);
    expect(age!.unit).toBe('Seconds');
    // The newest of the two, however long the stubs took.
    expect(age!.value).toBeGreaterThanOrEqual(10_800);
    expect(age!.value).toBeLessThan(10_800 + 60);
    expect(metric(r, METRICS.databaseQuota)).toEqual([{ namespace: NS, name: METRICS.databaseQuota, value: 12.5, unit: 'Percent' }]);
  });

  it("a member without --quota-backend-bytes has etcd's 2 GiB (a cluster initialized before haform set one)", () => {
    const r = boot(scripts['monitor.sh']!, { ...restart, bucketObjects: { [SNAPSHOT]: 'db' }, etcdStatus: { dbSize: 1024 ** 3 }, etcdManifest: '    - --data-dir=/mnt/haform/etcd-main/data\n' }, { args: ['etcd'] });
    expect(r.code, r.stderr).toBe(0);
    expect(metric(r, METRICS.databaseQuota).map((m) => m.value)).toEqual([50]);
  });

  it('no snapshot at all: no age is published (the alarm takes that as stale), the database still is; the run fails', () => {
    const r = boot(scripts['monitor.sh']!, { ...restart, etcdStatus: { dbSize: 100 * 1024 ** 2 }, etcdManifest: '    - --quota-backend-bytes=8589934592\n' }, { args: ['etcd'] });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no etcd snapshot under backups/etcd/main/ in the cluster bucket');
    expect(metric(r, METRICS.snapshotAge)).toEqual([]);
    expect(metric(r, METRICS.databaseQuota)).toHaveLength(1);
  });

  it('etcd running without its manifest (moved aside): no guessed quota, no percent', () => {
    const r = boot(scripts['monitor.sh']!, { ...restart, bucketObjects: { [SNAPSHOT]: 'db' }, etcdStatus: { dbSize: 1024 ** 3 } }, { args: ['etcd'] });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no etcd manifest at /etc/kubernetes/manifests/etcd.yaml: its quota is unknown');
    expect(metric(r, METRICS.databaseQuota)).toEqual([]);
  });

  it('etcd not running: no percent, the age still; the run fails saying why', () => {
    const r = boot(scripts['monitor.sh']!, { ...restart, bucketObjects: { [SNAPSHOT]: 'db' } }, { args: ['etcd'] });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("etcd's endpoint status on this master gave no dbSize");
    expect(metric(r, METRICS.snapshotAge)).toHaveLength(1);
    expect(metric(r, METRICS.databaseQuota)).toEqual([]);
  });
});

describe('monitor.sh certs: the fewest days any certificate has left', () => {
  it('from kubeadm certs check-expiration -o json, a missing file (super-admin.conf on a joined master) left out', () => {
    const day = 86_400;
    const r = boot(scripts['monitor.sh']!, {
      ...restart,
      certificates: [
        { name: 'admin.conf', residualTime: 200 * day },
        { name: 'apiserver', residualTime: 29 * day + 3600 },
        { name: 'etcd-peer', residualTime: 300 * day },
        { name: 'super-admin.conf', residualTime: 0, missing: true },
      ],
    }, { args: ['certs'] });
    expect(r.code, r.stderr).toBe(0);
    expect(metric(r, METRICS.certificateDays)).toEqual([{ namespace: NS, name: METRICS.certificateDays, value: 29, unit: 'Count' }]);
    expect(r.calls.find((c) => c.cmd === 'kubeadm')!.args).toEqual(['certs', 'check-expiration', '-o', 'json']);
  });

  it('kubeadm failing publishes nothing', () => {
    const r = boot(scripts['monitor.sh']!, restart, { args: ['certs'] });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('haform: FAILED: kubeadm certs check-expiration failed on this master');
    expect(metric(r, METRICS.certificateDays)).toEqual([]);
  });
});
