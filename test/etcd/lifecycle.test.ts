import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { loadClusterFile } from '../../src/spec/index.js';
import { Drill, drillOrSkip, type Host, type Member, sleep } from './drill.js';

/**
 * The master lifecycle of seed example 1 drilled with real etcd: growth one member at a time,
 * replacement of an instance, a reboot, and a first init that died half-way. The volume handling,
 * routes and boot decision are the rendered master.sh's own functions.
 */
const ready = drillOrSkip('the etcd drill');
let script = '';
beforeAll(async () => {
  const files = await generateFiles(loadClusterFile('fixtures/examples/public.yaml').spec!);
  script = files.find((f) => f.path === 'userdata/master.sh')!.content;
});

/** What the boot script decides, with the SSM marker of an initialized cluster present or not. */
function bootAction(d: Drill, host: Host, initialized: boolean): string {
  return d.bootFn(host, `MEMBER=${host.member.name}\nparam_get() { ${initialized ? 'return 0' : 'return 100'}; }\nboot_action`).out.trim();
}

/** A new instance of a member: attach and mount its volume, route, as the boot script does. */
function bootInstance(d: Drill, member: Member): { host: Host; mountLog: string } {
  const host = d.launch(member);
  d.attachVolume(host);
  const mountLog = d.mountVolume(host);
  d.memberRoutes(host);
  return { host, mountLog };
}

describe.skipIf(!ready).sequential('etcd drill: a cluster grows, loses an instance, reboots', () => {
  let d: Drill;
  const members: Member[] = [];
  const host = (name: string) => d.hosts.get(name)!;
  /** A write, retried over an election: the member just stopped may have been the leader. */
  const put = (h: Host, k: string, v: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = d.etcdctl(h, ['put', k, v]);
      if (r.code === 0 || Date.now() > deadline) return r;
    }
  };
  const get = (h: Host, k: string) => d.etcdctl(h, ['get', k, '--print-value-only']).out.trim();

  beforeAll(() => {
    d = new Drill(mkdtempSync(join(tmpdir(), 'haform-drill-')), script, 101);
  });
  afterAll(async () => d?.teardown());

  it('growth 1 -> 3 -> 5, one member at a time: each new volume formatted once, each member joins and serves', async () => {
    const a = d.memberOf('a', 'us-west-2a', 0);
    members.push(a);
    const first = bootInstance(d, a);
    expect(first.mountLog).toContain('is empty: creating a filesystem');
    expect(bootAction(d, first.host, false)).toBe('init');
    d.start(first.host, { initial: [a], state: 'new' });
    expect(await d.healthy(first.host), d.log(first.host)).toBe(true);
    expect(put(first.host, '/registry/before-growth', 'one').code).toBe(0);

    const growth: [string, string][] = [['b', 'us-west-2b'], ['c', 'us-west-2c'], ['a2', 'us-west-2a'], ['b2', 'us-west-2b']];
    for (const [i, [name, zone]] of growth.entries()) {
      const m = d.memberOf(name, zone, i + 1);
      const { host: h, mountLog } = bootInstance(d, m);
      expect(mountLog).toContain('is empty: creating a filesystem');
      expect(bootAction(d, h, true)).toBe('join');
      // kubeadm join --control-plane: add the member through a running one, then start it.
      const add = await d.memberAdd(host('a'), m);
      expect(add.code, add.out).toBe(0);
      members.push(m);
      d.start(h, { initial: members, state: 'existing' });
      expect(await d.healthy(h), d.log(h)).toBe(true);
      expect(get(h, '/registry/before-growth')).toBe('one');
    }
    expect(d.memberList(host('a')).map((m) => m.peer)).toEqual(members.map((m) => `https://${m.ip}:2380`).sort());
    for (const m of members) expect(await d.healthy(host(m.name), 5), m.name).toBe(true);
  });

  it('replacement: b\'s instance is destroyed; a new one with another primary address takes the member IP and volume and rejoins with its data', async () => {
    const b = host('b').member;
    const oldPrimary = host('b').primary;
    await d.destroy(host('b'));
    expect(put(host('a'), '/registry/while-b-was-gone', 'two').code).toBe(0);

    const h = d.launch(b);
    expect(h.primary).not.toBe(oldPrimary);
    d.attachVolume(h);
    expect(d.mountVolume(h)).toContain('holds a filesystem: keeping its data');
    expect(bootAction(d, h, true)).toBe('restart');

    // Without the boot script's routes, b's peer connections leave from the new primary address,
    // which its peer certificate does not name: the others refuse them (etcd checks the remote
    // address against the client certificate). Raft limps on over connections the others dial.
    d.start(h, { initial: members, state: 'existing' });
    const refused = new RegExp(`rejected connection from "${h.primary.replace(/\./g, '\\.')}:\\d+"`);
    const deadline = Date.now() + 10_000;
    while (!refused.test(d.log(host('a'))) && Date.now() < deadline) await sleep(200);
    expect(d.log(host('a'))).toMatch(refused);

    d.memberRoutes(h);
    expect(d.inNs(h.ns, 'ip', ['route', 'get', host('a').member.ip]).out).toContain(`src ${b.ip}`);
    expect(await d.healthy(h), d.log(h)).toBe(true);
    // From now on b dials from its member IP: no refusal in the next seconds.
    const seen = d.log(host('a')).length;
    await sleep(3000);
    expect(d.log(host('a')).slice(seen)).not.toMatch(/rejected connection/);
    expect(get(h, '/registry/before-growth')).toBe('one');
    expect(get(h, '/registry/while-b-was-gone')).toBe('two');
    expect(d.memberList(h).length).toBe(5);
  });

  it('reboot: etcd stops, the volume unmounts; the persisted fstab entry mounts it again, the boot unit restores the routes, and c is back', async () => {
    const c = host('c');
    await d.stop(c);
    d.unmount(c);
    d.inNs(c.ns, 'ip', ['route', 'flush', 'table', 'main', 'metric', '50'], { allowFail: true });
    d.inNs(c.ns, 'ip', ['route', 'del', d.subnet, 'metric', '50'], { allowFail: true });
    expect(put(host('a'), '/registry/during-reboot', 'three').code).toBe(0);
    // What systemd does at boot with the fstab the script wrote, then haform-master.service.
    const fstab = join(c.root, 'etc/fstab');
    const mount = d.bootFn(c, `mount --fstab ${fstab} "\${ROOT}\${MAIN_MOUNT}" && ls "\${ROOT}\${ETCD_DATA}"`);
    expect(mount.out).toContain('member');
    d.memberRoutes(c);
    expect(bootAction(d, c, true)).toBe('restart');
    d.start(c, { initial: members, state: 'existing' });
    expect(await d.healthy(c), d.log(c)).toBe(true);
    expect(get(c, '/registry/during-reboot')).toBe('three');
    expect(get(c, '/registry/before-growth')).toBe('one');
  });
});

describe.skipIf(!ready)('etcd drill: a first init that died after etcd wrote data', () => {
  let d: Drill;
  beforeAll(() => {
    d = new Drill(mkdtempSync(join(tmpdir(), 'haform-drill-')), script, 102);
  });
  afterAll(async () => d?.teardown());

  it('is recovered: the replacement discards the half-written member and inits a working cluster', async () => {
    const a = d.memberOf('a', 'us-west-2a', 0);
    const dying = bootInstance(d, a).host;
    d.start(dying, { initial: [a], state: 'new' });
    expect(await d.healthy(dying)).toBe(true);
    expect(d.etcdctl(dying, ['put', '/registry/half', 'written']).code).toBe(0);
    // The instance dies before kubeadm init finished and before the marker was published.
    await d.destroy(dying);

    const h = d.launch(a);
    d.attachVolume(h);
    expect(d.mountVolume(h)).toContain('holds a filesystem: keeping its data');
    expect(bootAction(d, h, false)).toBe('reinit');
    const discard = d.bootFn(h, 'MEMBER=a\nsystemctl() { :; }\ndiscard_failed_init && ls -A "${ROOT}${MAIN_MOUNT}"');
    expect(discard.out).toContain('discarding its data and starting over');
    expect(discard.out).not.toMatch(/^data$/m);
    expect(bootAction(d, h, false)).toBe('init');
    d.memberRoutes(h);
    d.start(h, { initial: [a], state: 'new' });
    expect(await d.healthy(h), d.log(h)).toBe(true);
    expect(d.etcdctl(h, ['get', '/registry/half', '--print-value-only']).out.trim()).toBe('');
    expect(d.memberList(h).length).toBe(1);
  });
});
