import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { generateFiles } from '../../src/generate.js';
import { loadClusterFile } from '../../src/spec/index.js';
import { DEFAULT_KUBERNETES_VERSION, releaseOf } from '../../src/model/versions.js';
import { boot, line, removeBootDirs, type Scenario } from './simulator.js';

afterAll(removeBootDirs);
// Several tests boot four or five times in a row (about 140 stub processes a boot); beside the
// Kubernetes drill and the emulator's applies on two cores, one took over the suite's 120 s in the
// CI run of b1e5dfd. The bound is for a hung boot, not for speed.
vi.setConfig({ testTimeout: 360_000 });

const scripts: Record<string, string> = {};
beforeAll(async () => {
  for (const [name, fixture] of [['public', 'fixtures/examples/public.yaml'], ['large', 'fixtures/valid/large.yaml']] as const) {
    for (const f of await generateFiles(loadClusterFile(fixture).spec!)) if (f.path.startsWith('userdata/')) scripts[`${name}/${f.path.slice(9)}`] = f.content;
  }
});

const P = '/haform/hacluster.example.com';
const material = {
  [`${P}/node/token`]: 'abcdef.0123456789abcdef',
  [`${P}/node/ca-cert-hash`]: 'sha256:0123abcd',
  [`${P}/node/api-endpoint`]: 'api.internal.hacluster.example.com',
  [`${P}/control-plane/join-endpoint`]: '172.20.64.10',
  [`${P}/control-plane/certificate-key`]: 'f00d',
};
const KEY = `${P}/control-plane/secrets-encryption-key`;
const cluster = { ...material, [`${P}/control-plane/initialized`]: 'a', [KEY]: 'c2VjcmV0Ym94IGtleSBvZiB0aGUgY2x1c3RlciAzMiE=' };
const masterA = (over: Partial<Scenario> = {}): Scenario => ({
  member: 'a',
  zone: 'us-west-2a',
  region: 'us-west-2',
  eni: { id: 'eni-0a', ip: '172.20.32.10', mac: '0a:00:00:00:00:0a' },
  volumes: { main: { id: 'vol-0main' }, events: { id: 'vol-0events' } },
  otherMembers: { c: '172.20.96.10', b: '172.20.64.10' },
  ...over,
});
const lines = (r: ReturnType<typeof boot>) => r.calls.map(line);
/** The addon directories a boot applied with `kubectl apply -k`, in order. */
const addonsApplied = (r: ReturnType<typeof boot>) =>
  r.calls.filter((c) => c.cmd === 'kubectl' && c.args.includes('-k')).map((c) => c.args[c.args.indexOf('-k') + 1]!.replace(/\/$/, '').split('/').at(-1)!);
/** Asserts that `wanted` appear in this order (other calls may come between). */
function expectInOrder(actual: string[], wanted: string[]) {
  let at = 0;
  for (const w of wanted) {
    const i = actual.findIndex((a, j) => j >= at && a.startsWith(w));
    expect(i, `${w} after position ${at} in:\n${actual.join('\n')}`).toBeGreaterThanOrEqual(0);
    at = i + 1;
  }
}

describe('master boot', () => {
  it('first boot of a: new volumes formatted, kubeadm init, join material published, CNI installed once', () => {
    const r = boot(scripts['public/master.sh']!, masterA());
    expect(r.code, r.stderr).toBe(0);
    expectInOrder(lines(r), [
      'aws ec2 describe-network-interfaces',
      'aws ec2 attach-network-interface',
      'ip addr',
      'ip route',
      'ip route',
      'ip rule',
      'hostnamectl set-hostname ip-172-20-32-10.us-west-2.compute.internal',
      'aws ec2 attach-volume',
      'aws ec2 attach-volume',
      'mkfs.ext4 /',
      'mount /',
      'mkfs.ext4 /',
      'mount /',
      'apt-get install',
      'systemctl enable haform-master.service',
      'kubeadm init',
      'aws ssm put-parameter',
      'kubeadm certs certificate-key',
      'aws ssm put-parameter',
      'kubectl apply',
      'aws s3api list-objects-v2',
      'aws s3api get-object',
    ]);
    expect(lines(r).some((l) => l.startsWith('kubeadm join'))).toBe(false);
    // The controllers from the cluster bucket, each kustomization applied after kubeadm and the CNI.
    expect(addonsApplied(r)).toEqual(['aws-cloud-controller-manager', 'aws-ebs-csi-driver', 'node-termination-handler']);
    expect(readFileSync(join(r.root, 'var/lib/haform/addons/node-termination-handler/queue.env'), 'utf8')).toContain('QUEUE_URL=');
    // kubelet leaves the cloud to the cloud controller, which finds this instance by its provider ID.
    expect(r.kubeadmConfigs).toMatch(/- name: cloud-provider\n {6}value: external\n {4}- name: provider-id\n {6}value: aws:\/\/\/us-west-2a\/i-0new/);
    expect(r.kubeadmConfigs).toMatch(/controllerManager:\n {2}extraArgs:[\s\S]*- name: cloud-provider\n {6}value: external/);
    expect(readFileSync(join(r.root, 'etc/systemd/system/haform-etcd-backup.timer'), 'utf8')).toContain('OnCalendar=hourly');
    expect(Object.keys(r.state.params).sort()).toEqual([...Object.keys(material), `${P}/control-plane/initialized`, `${P}/control-plane/kubernetes-version`, `${P}/node/kubernetes-version`, KEY].sort());
    // The cluster's version for joiners, before the join material they wait for.
    expect(r.state.params[`${P}/node/kubernetes-version`]).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(r.state.params[`${P}/node/token`]).toBe('abcdef.0123456789abcdef');
    // Joiners wait for one parameter, then read the rest: nodes the token, masters the key; each last.
    const published = r.calls.filter((c) => c.args.includes('put-parameter')).map((c) => c.args[c.args.indexOf('--name') + 1]!.slice(P.length + 1));
    const node = published.filter((n) => n.startsWith('node/'));
    expect(node.at(-1)).toBe('node/token');
    expect(published.filter((n) => n !== 'control-plane/initialized').at(-1)).toBe('control-plane/certificate-key');
    expect(published.indexOf('node/kubernetes-version')).toBeLessThan(published.indexOf('node/token'));
    // Secrets never appear on a command line.
    const puts = r.calls.filter((c) => c.args.includes('put-parameter')).map((c) => c.args[c.args.indexOf('--value') + 1]!);
    expect(puts.length).toBe(9);
    expect(puts.every((v) => v.startsWith('file://'))).toBe(true);
    // In-cluster clients use api.internal (the member IPs), never the load balancer; this master
    // reaches its own apiserver; the public name stays a certificate name.
    expect(r.kubeadmConfigs).toContain('controlPlaneEndpoint: api.internal.hacluster.example.com:443');
    expect(r.kubeadmConfigs).toMatch(/certSANs:\n {4}- api.internal.hacluster.example.com\n {4}- api.hacluster.example.com/);
    expect(readFileSync(join(r.root, 'etc/hosts'), 'utf8')).toBe('172.20.32.10 api.internal.hacluster.example.com\n');
    expect(r.state.params[`${P}/control-plane/join-endpoint`]).toBe('172.20.32.10');
    expect(r.state.params[`${P}/node/api-endpoint`]).toBe('api.internal.hacluster.example.com');
    expect(r.kubeadmConfigs).toContain('advertiseAddress: 172.20.32.10');
    // Every apiserver reaches every member, not only its own (kubeadm's default): it serves on
    // while its member restarts. The current members from their groups, their IPs from their interfaces.
    expect(r.kubeadmConfigs).toContain('- name: etcd-servers\n      value: https://172.20.32.10:2379,https://172.20.64.10:2379,https://172.20.96.10:2379\n');
    expect(r.kubeadmConfigs).toContain('- name: shutdown-delay-duration\n      value: 25s\n');
    // Not the mount point: a fresh filesystem's lost+found fails kubeadm's DirAvailable preflight.
    expect(r.kubeadmConfigs).toContain('dataDir: /mnt/haform/etcd-main/data');
    expect(r.kubeadmConfigs).toContain('name: ip-172-20-32-10.us-west-2.compute.internal');
    // VPC traffic leaves from the member IP: etcd checks peer certificates against the source address.
    const routes = r.calls.filter((c) => c.cmd === 'ip' && c.args[0] === 'route').map((c) => c.args.join(' '));
    expect(routes).toEqual([
      'route replace 172.20.32.0/19 dev ens6 scope link src 172.20.32.10 metric 50',
      'route replace 172.20.0.0/16 via 172.20.32.1 dev ens6 src 172.20.32.10 metric 50',
      // Replies leave the interface their request came in on (EC2 drops any other source address).
      'route replace 172.20.32.0/19 dev ens5 scope link src 172.20.32.99 table 10',
      'route replace default via 172.20.32.1 dev ens5 table 10',
      'route replace 172.20.32.0/19 dev ens6 scope link src 172.20.32.10 table 11',
      'route replace default via 172.20.32.1 dev ens6 table 11',
    ]);
    const rules = r.calls.filter((c) => c.cmd === 'ip' && c.args[0] === 'rule' && c.args[1] === 'add').map((c) => c.args.join(' '));
    // Traffic to pods takes the main table (the CNI's routes) whatever its source.
    expect(rules).toEqual(['rule add priority 10005 to 10.244.0.0/16 table main', 'rule add priority 10010 from 172.20.32.99 table 10', 'rule add priority 10011 from 172.20.32.10 table 11']);
    expect(r.calls.some((c) => c.cmd === 'ip' && c.args.join(' ') === 'addr replace 172.20.32.10/19 dev ens6 noprefixroute')).toBe(true);
    // Mounts survive a reboot: by UUID in fstab, the member state bound from the events volume.
    const fstab = readFileSync(join(r.root, 'etc/fstab'), 'utf8');
    expect(fstab).toContain(`UUID=uuid-vol-0main ${r.root}/mnt/haform/etcd-main ext4 defaults,nofail 0 2`);
    expect(fstab).toContain(`${r.root}/mnt/haform/etcd-events/etc/kubernetes ${r.root}/etc/kubernetes none bind,`);
    expect(fstab).toContain(`${r.root}/mnt/haform/etcd-events/var/lib/kubelet ${r.root}/var/lib/kubelet none bind,`);
    expect(readFileSync(join(r.root, 'etc/systemd/system/haform-master.service'), 'utf8')).toMatch(/Before=kubelet.service[\s\S]*ExecStart=\/var\/lib\/haform\/master.sh boot/);
    // kubeadm's output (join commands with tokens) stays out of the console log.
    expect(r.stderr).not.toMatch(/--token|kubeadm join/);
    expect(r.stderr).toContain('haform: first boot of the cluster: kubeadm init as etcd member a');
    // No netplan entry for the member's MAC: cloud-init's hotplug writes one, and two are ambiguous.
    expect(existsSync(join(r.root, 'etc/netplan/60-haform-member.yaml'))).toBe(false);
    // containerd's sandbox is kubeadm's pause image of this minor, not containerd's own default.
    expect(readFileSync(join(r.root, 'etc/containerd/config.toml'), 'utf8')).toContain(`sandbox = "registry.k8s.io/pause:${releaseOf(DEFAULT_KUBERNETES_VERSION).pause}"`);
  });

  it('first boot of b: waits for the material a publishes, then joins the control plane', () => {
    const r = boot(scripts['public/master.sh']!, masterA({ member: 'b', zone: 'us-west-2b', pending: cluster, paramsAppearAfter: 3 }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('waiting for join material under /haform/hacluster.example.com (published by the first master)');
    expectInOrder(lines(r), ['aws ec2 attach-volume', 'mkfs.ext4 /', 'aws ssm get-parameter', 'sleep 10', 'aws ssm get-parameter', 'kubeadm join']);
    expect(lines(r).some((l) => l.startsWith('kubeadm init'))).toBe(false);
    // The CNI and the addons by every master (idempotent), after its join: one failed apply is redone.
    expectInOrder(lines(r), ['kubeadm join', 'kubectl apply', 'aws s3api list-objects-v2']);
    expect(addonsApplied(r)).toHaveLength(3);
    expect(r.kubeadmConfigs).toContain('value: aws:///us-west-2b/i-0new');
    expect(r.kubeadmConfigs).toMatch(/controlPlane:\n {2}certificateKey: f00d/);
    expect(r.kubeadmConfigs).toContain('token: abcdef.0123456789abcdef');
    // Joins through the member that published the material; afterwards its own apiserver.
    expect(r.kubeadmConfigs).toContain('apiServerEndpoint: api.internal.hacluster.example.com:443');
    expect(r.kubeadmConfigs).toContain('# /etc/hosts during join: 172.20.64.10 api.internal.hacluster.example.com');
    expect(readFileSync(join(r.root, 'etc/hosts'), 'utf8')).toBe('172.20.32.10 api.internal.hacluster.example.com\n');
  });

  it('replacement of a with data on its volume: same member, no mkfs, no init, no join', () => {
    const r = boot(
      scripts['public/master.sh']!,
      masterA({ params: cluster, volumes: { main: { id: 'vol-0main', hasFilesystem: true, hasEtcdData: true }, events: { id: 'vol-0events', hasFilesystem: true } } }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('etcd data found on the volume: member a (ip-172-20-32-10.us-west-2.compute.internal) comes back as itself, no init, no join');
    const l = lines(r);
    expect(l.filter((x) => x.startsWith('mkfs'))).toEqual([]);
    expect(l.filter((x) => x.startsWith('kubeadm') && !x.startsWith('kubeadm version'))).toEqual([]);
    expectInOrder(l, ['aws ec2 attach-network-interface', 'hostnamectl set-hostname ip-172-20-32-10.us-west-2.compute.internal', 'aws ec2 attach-volume', 'mount /', 'systemctl restart kubelet']);
  });

  it('a first init that died after etcd wrote data: discarded and run again, never a silent "up"', () => {
    const r = boot(scripts['public/master.sh']!, masterA({ volumes: { main: { id: 'vol-0main', hasFilesystem: true, hasEtcdData: true }, events: { id: 'vol-0events', hasFilesystem: true } } }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('member a: the first init stopped before the cluster was initialized; discarding its data and starting over');
    expectInOrder(lines(r), ['mount /', 'kubeadm init', 'aws ssm put-parameter', 'kubeadm certs certificate-key']);
    expect(r.state.params[`${P}/control-plane/initialized`]).toBe('a');
    expect(r.state.params[`${P}/node/token`]).toBe('abcdef.0123456789abcdef');
  });

  it('Secrets at rest: a makes the cluster key once, before its init; every apiserver gets it and the audit policy; a join reads the same key', () => {
    const a = boot(scripts['public/master.sh']!, masterA());
    expect(a.code, a.stderr).toBe(0);
    const key = a.state.params[KEY]!;
    // 32 random bytes (secretbox's key size), base64.
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const put = a.calls.find((c) => c.args.includes('put-parameter') && c.args.includes(KEY))!;
    // Never --overwrite: a key that exists stays, or Secrets written under it are lost.
    expect(put.args).not.toContain('--overwrite');
    expect(put.args.join(' ')).toContain('--type SecureString --key-id alias/');
    expect(put.args[put.args.indexOf('--value') + 1]).toMatch(/^file:\/\//);
    // Made and read back before the apiserver first starts (kubeadm init).
    expectInOrder(lines(a), ['aws ssm put-parameter', 'aws ssm get-parameter', 'kubeadm init']);
    expect(a.calls.findIndex((c) => c === put)).toBeLessThan(a.calls.findIndex((c) => c.cmd === 'kubeadm' && c.args[0] === 'init'));
    const config = join(a.root, 'etc/kubernetes/encryption/config.yaml');
    // secretbox with the cluster's key first (it writes), identity after it (it only reads).
    expect(parse(readFileSync(config, 'utf8'))).toEqual({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'key1', secret: key }] } }, { identity: {} }] }],
    });
    expect(statSync(config).mode & 0o077).toBe(0);
    expect(statSync(join(a.root, 'var/lib/haform')).mode & 0o077).toBe(0);
    // The key itself never on a command line, in the console log or in kubeadm's configuration.
    expect(a.calls.some((c) => c.args.some((x) => x.includes(key)))).toBe(false);
    expect(a.stderr).not.toContain(key);
    expect(a.kubeadmConfigs).not.toContain(key);
    expect(a.kubeadmConfigs).toContain('- name: encryption-provider-config\n      value: /etc/kubernetes/encryption/config.yaml\n');
    expect(a.kubeadmConfigs).toContain('- name: audit-log-path\n      value: /var/log/kubernetes/audit/audit.log\n');
    expect(a.kubeadmConfigs).toMatch(/extraVolumes:\n {4}- name: encryption-config\n {6}hostPath: \/etc\/kubernetes\/encryption\n {6}mountPath: \/etc\/kubernetes\/encryption\n {6}readOnly: true/);
    // The audit log: metadata of every request, never a body (a Secret's value, a token).
    const policy = parse(readFileSync(join(a.root, 'etc/kubernetes/audit/policy.yaml'), 'utf8')) as { kind: string; rules: { level: string; nonResourceURLs?: string[]; resources?: unknown[] }[] };
    expect(policy.kind).toBe('Policy');
    expect(policy.rules.map((r) => r.level)).toEqual(['None', 'None', 'Metadata']);
    // Left out: health checks and lease renewals only; the last rule catches every other request.
    expect(policy.rules[0]!.nonResourceURLs).toContain('/readyz*');
    expect(policy.rules[1]!.resources).toEqual([{ group: 'coordination.k8s.io', resources: ['leases'] }]);
    expect(Object.keys(policy.rules[2]!)).toEqual(['level']);
    // On the events volume, bound like the member's other state: it outlives the instance.
    expect(readFileSync(join(a.root, 'etc/fstab'), 'utf8')).toContain(`${a.root}/mnt/haform/etcd-events/var/log/kubernetes ${a.root}/var/log/kubernetes none bind,`);

    // A key left by an earlier init that died is kept.
    const again = boot(scripts['public/master.sh']!, masterA({ params: { [KEY]: cluster[KEY] } }));
    expect(again.code, again.stderr).toBe(0);
    expect(again.state.params[KEY]).toBe(cluster[KEY]);
    expect(again.stderr).toContain('the key that encrypts Secrets at rest exists already');
    expect(readFileSync(join(again.root, 'etc/kubernetes/encryption/config.yaml'), 'utf8')).toContain(`secret: "${cluster[KEY]}"`);

    // A joining master: the cluster's key, before its apiserver starts; none made.
    const b = boot(scripts['public/master.sh']!, masterA({ member: 'b', zone: 'us-west-2b', params: cluster }));
    expect(b.code, b.stderr).toBe(0);
    expect(b.calls.some((c) => c.args.includes('put-parameter') && c.args.includes(KEY))).toBe(false);
    expect(readFileSync(join(b.root, 'etc/kubernetes/encryption/config.yaml'), 'utf8')).toContain(`secret: "${cluster[KEY]}"`);
    expect(b.calls.findIndex((c) => c.args.includes('get-parameter') && c.args.includes(KEY))).toBeLessThan(b.calls.findIndex((c) => c.cmd === 'kubeadm' && c.args[0] === 'join'));

    // A cluster an older haform initialized has no key (and no flag asking for one): the join goes on.
    const { [KEY]: _none, ...older } = cluster;
    const old = boot(scripts['public/master.sh']!, masterA({ member: 'b', zone: 'us-west-2b', params: older }));
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toContain('a cluster initialized before haform encrypted Secrets');
    expect(existsSync(join(old.root, 'etc/kubernetes/encryption/config.yaml'))).toBe(false);
    expect(KEY in old.state.params).toBe(false);
  });

  it("each publication revokes haform's older tokens but the one published before it; others' tokens stay", () => {
    const tokens = [
      { id: 'abcdef', description: 'haform join material' },
      { id: 'prev00', description: 'haform join material' },
      { id: 'old000', description: 'haform join material' },
      { id: 'old111', description: 'haform join material' },
      { id: 'user00', description: 'a token of the cluster admin' },
    ];
    const deleted = (r: ReturnType<typeof boot>) => r.calls.filter((c) => c.cmd === 'kubectl' && c.args.includes('delete')).map((c) => c.args.at(-2));
    const first = boot(scripts['public/master.sh']!, masterA({ bootstrapTokens: tokens }));
    expect(first.code, first.stderr).toBe(0);
    // Made with the description it is known by.
    expect(first.calls.find((c) => c.cmd === 'kubeadm' && c.args[1] === 'create')!.args.join(' ')).toContain('--description haform join material');
    // No token published before: only the new one stays.
    expect(deleted(first)).toEqual(['bootstrap-token-prev00', 'bootstrap-token-old000', 'bootstrap-token-old111']);
    const later = boot(scripts['public/master.sh']!, masterA({ bootstrapTokens: tokens, params: { [`${P}/node/token`]: 'prev00.0123456789abcdef' } }));
    expect(later.code, later.stderr).toBe(0);
    expect(deleted(later)).toEqual(['bootstrap-token-old000', 'bootstrap-token-old111']);
    // The delete after the new token is published, never before.
    const at = (f: (c: (typeof later.calls)[number]) => boolean) => later.calls.findIndex(f);
    expect(at((c) => c.cmd === 'kubectl' && c.args.includes('delete'))).toBeGreaterThan(at((c) => c.args.includes('put-parameter') && c.args.includes(`${P}/control-plane/certificate-key`)));
  });

  it('one member joins at a time: b waits while c holds the join lock, then takes it and releases it', () => {
    const lock = `${P}/control-plane/join-lock`;
    const r = boot(scripts['public/master.sh']!, masterA({ member: 'b', zone: 'us-west-2b', params: { ...cluster, [lock]: `c ${Math.floor(Date.now() / 1000)}` } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('waiting for c to finish (one member joins at a time)');
    expect(r.stderr).toContain('timed out after 1800s waiting for the join lock held by c');
    expect(lines(r).some((l) => l.startsWith('kubeadm join'))).toBe(false);
    const free = boot(scripts['public/master.sh']!, masterA({ member: 'b', zone: 'us-west-2b', params: { ...cluster, [lock]: 'c 1000' } }));
    expect(free.code, free.stderr).toBe(0);
    expect(free.stderr).toContain('taking over the join lock left by c');
    // No delete-then-create: the taker overwrites, waits, and holds the lock only if its value stayed.
    expectInOrder(lines(free), ['aws ssm put-parameter', 'aws ssm get-parameter', 'aws ssm put-parameter', 'sleep 15', 'aws ssm get-parameter', 'kubeadm join', 'aws ssm delete-parameter']);
    expect(lock in free.state.params).toBe(false);
  });

  it('SSM throttled or failing during the reboot of member a: no reinit, no init, no discarded data', () => {
    const withData = { main: { id: 'vol-0main', hasFilesystem: true, hasEtcdData: true }, events: { id: 'vol-0events', hasFilesystem: true } };
    // A few errors, then SSM answers: the marker is found, the member restarts as itself.
    const brief = boot(scripts['public/master.sh']!, masterA({ params: cluster, volumes: withData, ssmErrors: ['ThrottlingException', 'InternalServerError', 'ThrottlingException'] }));
    expect(brief.code, brief.stderr).toBe(0);
    expect(brief.stderr).toContain('comes back as itself, no init, no join');
    expect(brief.stderr).not.toContain('discarding its data');
    // SSM failing for good (5xx, KMS, IAM): the boot stops, saying why, and touches nothing.
    for (const error of ['InternalServerError', 'AccessDeniedException', 'KMSAccessDeniedException']) {
      const down = boot(scripts['public/master.sh']!, masterA({ params: cluster, volumes: withData, ssmDown: error }));
      expect(down.code, error).not.toBe(0);
      expect(down.stderr).toContain('gave up after 10 tries of aws ssm get-parameter');
      // Said once: not again by the command substitution that fail left (boot_action's).
      expect(down.stderr.match(/FAILED/g)).toHaveLength(1);
      expect(down.stderr).not.toContain('discarding its data');
      expect(lines(down).filter((l) => /^kubeadm (init|join)|^systemctl stop kubelet/.test(l))).toEqual([]);
    }
    // A new cluster's member a with SSM failing: no init either (a second cluster with a new CA).
    const fresh = boot(scripts['public/master.sh']!, masterA({ ssmDown: 'ThrottlingException' }));
    expect(fresh.code).not.toBe(0);
    expect(lines(fresh).some((l) => l.startsWith('kubeadm init'))).toBe(false);
  });

  it('the current members unknown at init (no member group found, or the lookup failing): no kubeadm init, nothing published', () => {
    for (const over of [{ otherMembers: {}, member: 'a', noMemberGroups: true }, { autoscalingDown: 'InternalFailure' }] as Partial<Scenario>[]) {
      const r = boot(scripts['public/master.sh']!, masterA(over));
      expect(r.code, JSON.stringify(over)).not.toBe(0);
      expect(r.stderr).toMatch(/cannot tell the members|gave up after \d+ tries of aws autoscaling describe-auto-scaling-groups/);
      expect(r.stderr.match(/FAILED/g)).toHaveLength(1);
      expect(lines(r).some((l) => l.startsWith('kubeadm init'))).toBe(false);
      expect(r.state.params).toEqual({});
    }
  });

  it('blkid failing is no reason to format: only exit 2 of a low-level probe ("no filesystem") leads to mkfs', () => {
    for (const code of [1, 4, 8]) {
      const r = boot(scripts['public/master.sh']!, masterA({ params: cluster, blkidFails: code }));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`failed (exit ${code}): not formatting a volume that may hold etcd data`);
      expect(lines(r).filter((l) => l.startsWith('mkfs'))).toEqual([]);
    }
    const r = boot(scripts['public/master.sh']!, masterA());
    expect(r.calls.filter((c) => c.cmd === 'blkid').every((c) => c.args.includes('-p'))).toBe(true);
  });

  it('a master whose volumes were lost: its stale etcd member is removed through a running member before it joins anew', () => {
    const r = boot(
      scripts['public/master.sh']!,
      masterA({ member: 'b', zone: 'us-west-2b', params: cluster, etcdMembers: [{ id: '111', peer: 'https://172.20.64.10:2380' }, { id: '222', peer: 'https://172.20.32.10:2380' }, { id: '333', peer: 'https://172.20.96.10:2380' }] }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('etcd still lists member b (222) from before its volume was lost: removing it, then joining anew');
    expect(r.state).toMatchObject({ removedMembers: ['222'] });
    expectInOrder(lines(r), ['kubeadm join', 'kubeadm join', 'curl', 'curl', 'kubeadm join']);
    const join = r.calls.filter((c) => c.cmd === 'kubeadm' && c.args[0] === 'join').map((c) => c.args.join(' '));
    expect(join[0]).toMatch(/^join phase preflight --config /);
    expect(join[1]).toMatch(/^join phase control-plane-prepare all --config /);
    expect(join[2]).toMatch(/--skip-phases preflight,control-plane-prepare$/);
    // A member not listed (a new member, or one removed by hand) is not removed.
    const fresh = boot(scripts['public/master.sh']!, masterA({ member: 'b', zone: 'us-west-2b', params: cluster }));
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.state).not.toHaveProperty('removedMembers');
  });

  it('a failed join releases the join lock', () => {
    const r = boot(scripts['public/master.sh']!, masterA({ member: 'b', zone: 'us-west-2b', params: cluster, joinFailures: 1 }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('kubeadm-join failed');
    expect(`${P}/control-plane/join-lock` in r.state.params).toBe(false);
  });

  it('the certificate key never appears on a command line', () => {
    const r = boot(scripts['public/master.sh']!, masterA());
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.args.some((a) => a.includes('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'))).map(line)).toEqual([]);
  });

  it('every download retries, then says what it waited for', () => {
    const r = boot(scripts['public/master.sh']!, { ...masterA(), curlFails: { 'github.com': true } } as Scenario);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('gave up after 10 tries of downloading https://github.com/flannel-io/flannel/releases/download/');
    expect(r.calls.filter((c) => c.cmd === 'curl' && c.args.some((a) => a.includes('github.com'))).length).toBe(10);
  });

  it('a second volume tagged for the member (left from a removed member): stops before attaching either, and says what to delete', () => {
    const r = boot(scripts['public/master.sh']!, masterA({ params: cluster, volumes: { main: { id: 'vol-0main', leftOver: 'vol-0forgotten' }, events: { id: 'vol-0events' } } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('haform: FAILED: 2 etcd main volumes are tagged for member a in us-west-2a (vol-0main vol-0forgotten): delete the ones left from a removed member, then reboot');
    expect(r.calls.filter((c) => c.cmd === 'aws' && c.args.includes('attach-volume'))).toEqual([]);
  });

  it('a volume still attached to the dying instance: waits, then attaches', () => {
    const r = boot(scripts['public/master.sh']!, masterA({
      params: cluster,
      eni: { id: 'eni-0a', ip: '172.20.32.10', mac: '0a:00:00:00:00:0a', attachedTo: 'i-0old', releaseAfter: 2 },
      volumes: { main: { id: 'vol-0main', attachedTo: 'i-0old', releaseAfter: 3, hasFilesystem: true, hasEtcdData: true }, events: { id: 'vol-0events', hasFilesystem: true } },
    }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('waiting for network interface eni-0a to be released by the previous instance');
    expect(r.stderr).toContain('waiting for etcd main volume vol-0main to be released by the previous instance');
    const l = lines(r);
    const firstAttach = l.indexOf('aws ec2 attach-volume');
    expect(firstAttach).toBeGreaterThan(0);
    expect(l.slice(0, firstAttach).filter((x) => x === 'sleep 10').length).toBeGreaterThanOrEqual(3);
  });

  it("cilium gets the cluster's pod range, not its quick install's 10.0.0.0/8 (which overlaps the VPC)", () => {
    const r = boot(scripts['large/master.sh']!, { member: 'a', zone: 'us-east-1a', region: 'us-east-1', subnetCidr: '10.40.32.0/19', vpcCidr: '10.40.0.0/16', eni: { id: 'eni-0a', ip: '10.40.32.10', mac: '0a:00:00:00:00:0a' }, volumes: { main: { id: 'vol-0main' }, events: { id: 'vol-0events' } } });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(r.root, 'var/lib/haform/cni.yaml'), 'utf8')).toBe('cluster-pool-ipv4-cidr: "100.96.0.0/11"\n');
    expect(r.kubeadmConfigs).toContain('podSubnet: 100.96.0.0/11');
  });

  it('a new member d joins an existing cluster (growing the member count)', () => {
    const p = '/haform/big.prod.example.org';
    const params = Object.fromEntries(Object.entries(cluster).map(([k, v]) => [k.replace(P, p), v]));
    const r = boot(scripts['large/master.sh']!, { member: 'd', zone: 'us-east-1d', region: 'us-east-1', subnetCidr: '10.40.128.0/19', eni: { id: 'eni-0d', ip: '10.40.128.10', mac: '0a:00:00:00:00:0d' }, volumes: { main: { id: 'vol-0dmain' }, events: { id: 'vol-0devents' } }, params });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('joining the control plane as new etcd member d');
    expect(r.stderr).not.toContain('waiting for join material');
    expect(lines(r).some((l) => l.startsWith('kubeadm join'))).toBe(true);
    expect(lines(r).some((l) => l.startsWith('kubeadm init'))).toBe(false);
  });

  it("an instance outside its member's zone finds nothing of the member there, and stops", () => {
    const r = boot(scripts['public/master.sh']!, masterA({ zone: 'us-west-2b', homeZone: 'us-west-2a' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no network interface tagged for member a in us-west-2b');
    expect(lines(r).some((l) => l.startsWith('aws ec2 attach'))).toBe(false);
  });

  it('learns its member from the tag its autoscaling group set', () => {
    const r = boot(scripts['public/master.sh']!, masterA({ params: cluster }));
    expect(r.stderr).toContain('this instance is etcd member a in us-west-2a');
    const tagRead = r.calls.find((c) => c.cmd === 'aws' && c.args.includes('describe-tags'))!;
    expect(tagRead.args).toContain('Name=key,Values=haform.io/etcd-member');
  });

  it('join material that never appears: times out with a line that says what it waited for', () => {
    const r = boot(scripts['public/master.sh']!, masterA({ member: 'b', zone: 'us-west-2b' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('haform: FAILED: timed out after 900s waiting for join material under /haform/hacluster.example.com (published by the first master)');
    expect(lines(r).some((l) => l.startsWith('kubeadm join'))).toBe(false);
  });
});

describe('node boot', () => {
  it('waits for the node join material, then kubeadm join as a worker', () => {
    const r = boot(scripts['public/node.sh']!, { zone: 'us-west-2c', region: 'us-west-2', pending: material, paramsAppearAfter: 2 });
    expect(r.code, r.stderr).toBe(0);
    expectInOrder(lines(r), ['apt-get install', 'aws ssm get-parameter', 'sleep 10', 'kubeadm join']);
    expect(r.kubeadmConfigs).toContain('apiServerEndpoint: api.internal.hacluster.example.com:443');
    expect(r.kubeadmConfigs).not.toContain('controlPlane');
    const reads = r.calls.filter((c) => c.cmd === 'aws' && c.args.includes('get-parameter')).map((c) => c.args[c.args.indexOf('--name') + 1]!);
    expect(reads.every((n) => n.startsWith(`${P}/node/`))).toBe(true);
  });

  it('a command that stops the boot says where and what, instead of a silent exit', () => {
    // The token without the endpoint (material half-published): the read of the endpoint fails
    // under set -e; the boot stops with a line that names the function and the command.
    const { [`${P}/node/api-endpoint`]: _endpoint, ...partial } = material;
    const r = boot(scripts['public/node.sh']!, { zone: 'us-west-2c', region: 'us-west-2', params: partial });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/haform: FAILED: stopped with status 100 at line \d+ of \S+ \(write_join_config < join_node < boot < main\): endpoint=\$\(param_get node\/api-endpoint\)\n/);
    expect(r.stderr.match(/FAILED/g)).toHaveLength(1);
    expect(lines(r).some((l) => l.startsWith('kubeadm join'))).toBe(false);
  });

  it('a failed node join is reset and tried again with the material read anew', () => {
    const r = boot(scripts['public/node.sh']!, { zone: 'us-west-2c', region: 'us-west-2', params: material, joinFailures: 2 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('kubeadm join failed (attempt 2 of 10): resetting and trying again');
    expectInOrder(lines(r), ['kubeadm join', 'kubeadm reset', 'aws ssm get-parameter', 'kubeadm join', 'kubeadm reset', 'aws ssm get-parameter', 'kubeadm join']);
    expect(r.stderr).toContain('haform: node is up');
  });
});

describe('rendered scripts', () => {
  const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
  if (!shellcheck) {
    if (process.env.HAFORM_REQUIRE_TERRAFORM === '1') throw new Error('shellcheck is not installed (.ci/run installs it)');
    console.warn('\n!!! SKIPPING shellcheck: not installed (apt-get install shellcheck)\n');
  }
  // A skip, reported as one, never an early return that passes.
  it.skipIf(!shellcheck)('pass shellcheck', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haform-sc-'));
    const files = Object.entries(scripts).map(([name, content]) => {
      const f = join(dir, name.replace('/', '-'));
      writeFileSync(f, content);
      return f;
    });
    // master.sh, node.sh (public, large), bastion.sh (large), monitor.sh (public, large).
    expect(files.length).toBe(7);
    const r = spawnSync('shellcheck', ['--severity=style', ...files], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('bake in no secret and nothing known only after apply', () => {
    for (const [name, s] of Object.entries(scripts)) {
      expect(s, name).not.toMatch(/vol-[0-9a-f]{8}|eni-[0-9a-f]{8}|i-[0-9a-f]{8}|subnet-[0-9a-f]{8}|sg-[0-9a-f]{8}|BEGIN .*PRIVATE KEY|--token [a-z0-9]{6}\./);
      expect(s.split('\n')[1], name).toMatch(/^# Generated by haform /);
    }
  });
});

describe('a replaced master\'s identity toward the cloud controller', () => {
  /** The script's functions with IMDS saying this is instance i-0new in us-west-2a; kubectl and systemctl recorded. */
  const run = (code: string, registered: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'haform-identity-'));
    const file = join(dir, 'master.sh');
    writeFileSync(file, scripts['public/master.sh']!);
    const r = spawnSync(
      'bash',
      [
        '-c',
        `source ${file}
imds() { case $1 in instance-id) echo i-0new ;; placement/availability-zone) echo us-west-2a ;; esac; }
kubectl() { echo "kubectl $*" >>"${dir}/calls"; [[ $* == *providerID* ]] && printf '%s' '${registered}'; return 0; }
systemctl() { echo "systemctl $*" >>"${dir}/calls"; }
kubeadm() { echo "kubeadm $*" >>"${dir}/calls"; [[ $* == *mark-control-plane* ]] && cat "\${@: -1}" >>"${dir}/calls"; return 0; }
MEMBER_IP=172.20.32.10
NODE_NAME=ip-172-20-32-10.us-west-2.compute.internal
${code}`,
      ],
      { encoding: 'utf8', env: { ...process.env, HAFORM_ROOT: dir } },
    );
    const calls = (() => {
      try {
        return readFileSync(join(dir, 'calls'), 'utf8');
      } catch {
        return '';
      }
    })();
    const flags = (() => {
      try {
        return readFileSync(join(dir, 'var/lib/kubelet/kubeadm-flags.env'), 'utf8');
      } catch {
        return '';
      }
    })();
    rmSync(dir, { recursive: true, force: true });
    return { code: r.status, stderr: r.stderr, calls, flags };
  };

  it('kubelet\'s flags on the member volume get this instance\'s provider ID', () => {
    const r = run(
      `mkdir -p "\${ROOT}/var/lib/kubelet"; echo 'KUBELET_KUBEADM_ARGS="--node-ip=172.20.32.10 --provider-id=aws:///us-west-2a/i-0old --cloud-provider=external"' >"\${ROOT}/var/lib/kubelet/kubeadm-flags.env"; refresh_provider_id`,
      '',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.flags).toBe('KUBELET_KUBEADM_ARGS="--node-ip=172.20.32.10 --provider-id=aws:///us-west-2a/i-0new --cloud-provider=external"\n');
  });

  it('a Node registered by the old instance is deleted and kubelet restarted; one of this instance is left alone', () => {
    const stale = run('node_identity', 'aws:///us-west-2a/i-0old');
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.calls).toContain('delete node ip-172-20-32-10.us-west-2.compute.internal');
    expect(stale.calls).toContain('systemctl restart kubelet');
    const current = run('node_identity', 'aws:///us-west-2a/i-0new');
    expect(current.code, current.stderr).toBe(0);
    expect(current.calls).not.toContain('delete node');
    expect(current.calls).not.toContain('systemctl restart');
  });

  it('every boot gives the Node back its control-plane label and taint (kubeadm mark-control-plane), re-registered or not', () => {
    // A re-registered Node has neither, and kubelets may not set them (NodeRestriction).
    for (const registered of ['aws:///us-west-2a/i-0old', 'aws:///us-west-2a/i-0new', '']) {
      const r = run('node_identity', registered);
      expect(r.code, r.stderr).toBe(0);
      expect(r.calls).toMatch(/kubeadm init phase mark-control-plane --config \S+\/var\/lib\/haform\/kubeadm-mark.yaml\n/);
      // kubeadm's phase reads the node's name and address from the file (it would default them from the host).
      expect(r.calls).toContain('advertiseAddress: 172.20.32.10');
      expect(r.calls).toContain('  name: ip-172-20-32-10.us-west-2.compute.internal');
    }
  });
});

describe("a restore's initial cluster", () => {
  /**
   * The script's initial_cluster with AWS answering for members a, b, c (autoscaling groups) and d,
   * removed: its interface kept by Terraform's removed block, its group gone.
   */
  const initialCluster = (groups: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'haform-restore-'));
    const file = join(dir, 'master.sh');
    writeFileSync(file, scripts['public/master.sh']!);
    const r = spawnSync(
      'bash',
      [
        '-c',
        `source ${file}
declare -A member_ips=([a]=172.20.32.10 [b]=172.20.64.10 [c]=172.20.96.10 [d]=172.20.32.11)
awsq() {
  case "$1 $2" in
    "autoscaling describe-auto-scaling-groups") echo '${groups}' ;;
    "ec2 describe-network-interfaces")
      local m; m=$(printf '%s\\n' "$@" | sed -n 's/^Name=tag:haform.io\\/etcd-member,Values=//p')
      if [[ -n $m ]]; then echo "\${member_ips[$m]}"; else echo "\${member_ips[a]}	\${member_ips[b]}	\${member_ips[c]}	\${member_ips[d]}"; fi ;;
  esac
}
initial_cluster`,
      ],
      { encoding: 'utf8', env: { ...process.env, HAFORM_ROOT: dir } },
    );
    rmSync(dir, { recursive: true, force: true });
    return r;
  };

  it('names only the members whose autoscaling groups exist: no phantom member from a removed one', () => {
    const r = initialCluster('a\tb\tc');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(
      'ip-172-20-32-10.us-west-2.compute.internal=https://172.20.32.10:2380,ip-172-20-64-10.us-west-2.compute.internal=https://172.20.64.10:2380,ip-172-20-96-10.us-west-2.compute.internal=https://172.20.96.10:2380',
    );
  });

  it('without any member group it stops instead of restoring an empty cluster', () => {
    const r = initialCluster('None');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cannot tell the members');
  });
});

describe('CIS Kubernetes Benchmark, where kubeadm leaves a default', () => {
  it("the control plane runs without profiling, service account tokens are not extended (1.2.15, 1.2.30, 1.3.2, 1.4.1)", () => {
    const r = boot(scripts['public/master.sh']!, masterA());
    expect(r.code, r.stderr).toBe(0);
    // The ClusterConfiguration document of kubeadm init's configuration file.
    const text = /^kind: ClusterConfiguration$[\s\S]*?(?=^---|^# |(?![\s\S]))/m.exec(r.kubeadmConfigs)![0];
    type Args = { extraArgs: { name: string; value: string }[] };
    const config = parse(text) as { apiServer?: Args; controllerManager?: Args; scheduler?: Args };
    const arg = (args: { name: string; value: string }[] | undefined, name: string) => args?.find((a) => a.name === name)?.value;
    expect(arg(config.apiServer?.extraArgs, 'profiling')).toBe('false');
    expect(arg(config.apiServer?.extraArgs, 'service-account-extend-token-expiration')).toBe('false');
    expect(arg(config.controllerManager?.extraArgs, 'profiling')).toBe('false');
    expect(arg(config.scheduler?.extraArgs, 'profiling')).toBe('false');
  });

  it("kubelet's unit files and configuration end 0600 however the packages and kubeadm wrote them (4.1.1, 4.1.9)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'haform-cis-'));
    const file = join(dir, 'master.sh');
    writeFileSync(file, scripts['public/master.sh']!);
    const paths = ['usr/lib/systemd/system/kubelet.service', 'usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', 'etc/systemd/system/kubelet.service.d/20-extra.conf', 'var/lib/kubelet/config.yaml'];
    const setup = paths.map((p) => `mkdir -p "$(dirname ${dir}/${p})" && install -m 0644 /dev/null ${dir}/${p}`).join('\n');
    const r = spawnSync('bash', ['-c', `${setup}\nsource ${file}\nrestrict_kubelet_files`], { encoding: 'utf8', env: { ...process.env, HAFORM_ROOT: dir } });
    const modes = paths.map((p) => (statSync(join(dir, p)).mode & 0o777).toString(8));
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(modes).toEqual(['600', '600', '600', '600']);
  });
});
