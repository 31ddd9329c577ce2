import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A drill ground for real etcd: "instances" are network namespaces on one bridge (a subnet of a
 * VPC), each with a primary address and its member's address as a second one; EBS volumes are ext4
 * images on loop devices, formatted and mounted by the boot script's own functions. Only what has no
 * real counterpart here is stood in for: kubeadm (the etcd flags and certificates it would make,
 * from kubeadm's etcd static pod and certs phases), IMDS, SSM and systemd.
 *
 * Needs root, iproute2, losetup, mkfs.ext4, openssl and Debian's etcd-server (3.4).
 */

export const REQUIRE_ETCD = process.env.HAFORM_REQUIRE_ETCD === '1';

export function drillMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (network namespaces and loop devices need it)';
  for (const [cmd, arg] of [['etcd', '--version'], ['etcdctl', 'version'], ['openssl', 'version'], ['losetup', '--version'], ['mkfs.ext4', '-V'], ['nsenter', '--version']] as const) {
    if (spawnSync(cmd, [arg]).status !== 0) return `${cmd} is missing (apt-get install etcd-server etcd-client util-linux e2fsprogs openssl)`;
  }
  const probe = `hfprobe${randomBytes(3).toString('hex')}`;
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return 'ip netns add failed (no CAP_SYS_ADMIN?)';
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Skips loudly outside CI, fails under HAFORM_REQUIRE_ETCD=1. */
export function drillOrSkip(what: string): boolean {
  const missing = drillMissing();
  if (!missing) return true;
  const message = `${what} cannot run: ${missing}`;
  if (REQUIRE_ETCD) throw new Error(`${message} (HAFORM_REQUIRE_ETCD=1)`);
  console.warn(`\n!!! SKIPPING ${what}: ${message}.\n!!! Set HAFORM_REQUIRE_ETCD=1 to make this a failure.\n`);
  return false;
}

export function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; allowFail?: boolean; input?: string } = {}): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, input: opts.input, timeout: 60_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${out}`);
  return { code: r.status ?? -1, out };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The subnet all drill hosts share; the VPC router would be .0.1. */
const PREFIX = 16;

export interface Member {
  readonly name: string;
  readonly zone: string;
  /** The member interface's fixed IP. */
  readonly ip: string;
  /** What kubeadm names the node and the etcd member: the member IP's private DNS name. */
  readonly nodeName: string;
}

export interface Host {
  readonly ns: string;
  /** The instance's root disk: HAFORM_ROOT of the boot script's functions. */
  readonly root: string;
  readonly primary: string;
  readonly member: Member;
  loop?: string;
  etcd?: ChildProcess;
}

/**
 * One drill: a bridge in its own namespace, a CA, volume images. Every name carries a random id, so
 * drills run side by side and leave nothing when torn down.
 */
export class Drill {
  readonly id = randomBytes(3).toString('hex');
  readonly vpc = `hfv${this.id}`;
  readonly hosts = new Map<string, Host>();
  private primaries = 10;
  private readonly loops = new Set<string>();
  private readonly namespaces = new Set<string>();

  constructor(
    readonly work: string,
    /** The rendered master.sh, sourced for its functions. */
    readonly script: string,
    /** 10.<net>.0.0/16 */
    readonly net: number,
  ) {
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'master.sh'), script, { mode: 0o700 });
    this.containerRuntime();
    this.ns(this.vpc);
    this.inNs(this.vpc, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    this.inNs(this.vpc, 'ip', ['link', 'set', 'br0', 'up']);
    this.ca();
  }

  get subnet(): string {
    return `10.${this.net}.0.0/${PREFIX}`;
  }

  private ns(name: string): void {
    sh('ip', ['netns', 'add', name]);
    this.namespaces.add(name);
    this.inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
  }

  inNs(ns: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; allowFail?: boolean } = {}) {
    return sh('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], opts);
  }

  /**
   * kubeadm runs etcd as a static pod, and the script reaches it through crictl (etcdctl in the
   * container) and ctr (etcdutl in the etcd image); here etcd is a process, so these two stand in,
   * mapping the container's paths to the drill's: kubeadm's etcd PKI to the drill's CA and client
   * certificate, /mnt/haform to the instance's root disk. etcd 3.4's etcdctl restores snapshots
   * (3.5 moved that to etcdutl).
   */
  private containerRuntime(): void {
    const bin = join(this.work, 'bin');
    mkdirSync(bin, { recursive: true });
    const mapArgs = `pki='${this.pki}'
etcd_pki=/etc/kubernetes/pki/etcd
args=()
for a in "$@"; do
  a=\${a//"\$etcd_pki"/\$pki}
  [[ \$a == /mnt/haform/* ]] && a="\${HAFORM_ROOT}\$a"
  args+=("\$a")
done`;
    writeFileSync(
      join(bin, 'crictl'),
      `#!/bin/bash
# crictl ps: the etcd "container"; crictl exec ID etcdctl ARGS: etcdctl in the instance's network.
case $1 in
  ps) echo drill-etcd ;;
  exec)
    shift 2
    [[ $1 == etcdctl ]] || exit 2
    shift
    ${mapArgs}
    ETCDCTL_API=3 exec etcdctl --dial-timeout=2s --command-timeout=10s "\${args[@]}" ;;
  *) exit 2 ;;
esac
`,
      { mode: 0o755 },
    );
    writeFileSync(
      join(bin, 'ctr'),
      `#!/bin/bash
# ctr ... run ... IMAGE NAME etcdutl ARGS: etcdutl in the etcd image; here etcd 3.4's etcdctl.
while [[ $# -gt 0 && $1 != etcdutl ]]; do shift; done
[[ $1 == etcdutl ]] || exit 2
shift
${mapArgs}
ETCDCTL_API=3 exec etcdctl "\${args[@]}"
`,
      { mode: 0o755 },
    );
  }

  /** The boot script's functions, sourced, with the instance's root disk as HAFORM_ROOT. */
  bootFn(host: Host, code: string, opts: { allowFail?: boolean; inNetwork?: boolean; env?: NodeJS.ProcessEnv } = {}) {
    const args = ['-c', `source ${join(this.work, 'master.sh')}\n${code}`];
    const env = { ...process.env, ...opts.env, PATH: `${join(this.work, 'bin')}:${process.env.PATH}`, HAFORM_ROOT: host.root };
    return opts.inNetwork ? this.inNs(host.ns, 'bash', args, { env, allowFail: opts.allowFail }) : sh('bash', args, { env, allowFail: opts.allowFail });
  }

  memberOf(name: string, zone: string, index: number): Member {
    const ip = `10.${this.net}.2.${index + 10}`;
    // The script's own name for the member: what kubeadm names the node and the etcd member.
    const nodeName = sh('bash', ['-c', `source ${join(this.work, 'master.sh')}\nmember_node_name ${ip}`]).out.trim();
    return { name, zone, ip, nodeName };
  }

  /**
   * A new instance for a member: a namespace with a fresh primary address (never the same twice),
   * the member address added second, as when the member interface is attached; and an empty root disk.
   */
  launch(member: Member): Host {
    const n = this.primaries++;
    const ns = `hf${this.id}${member.name}${n}`;
    const primary = `10.${this.net}.1.${n}`;
    this.ns(ns);
    const veth = `hv${this.id}${n}`;
    sh('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', veth, 'netns', this.vpc]);
    this.inNs(this.vpc, 'ip', ['link', 'set', veth, 'master', 'br0', 'up']);
    // Addresses without their own prefix routes, and the subnet route DHCP installs (metric 100, no
    // preferred source): left alone, the kernel sends from the primary address, as on EC2.
    this.inNs(ns, 'ip', ['addr', 'add', `${primary}/${PREFIX}`, 'dev', 'eth0', 'noprefixroute']);
    this.inNs(ns, 'ip', ['addr', 'add', `${member.ip}/${PREFIX}`, 'dev', 'eth0', 'noprefixroute']);
    // The member interface moves between instances with its MAC address, so peers' ARP entries for
    // the member IP stay right; here the one interface carries the member's MAC.
    const [, , , last] = member.ip.split('.').map(Number);
    this.inNs(ns, 'ip', ['link', 'set', 'eth0', 'address', `02:00:0a:${this.net.toString(16).padStart(2, '0')}:02:${last!.toString(16).padStart(2, '0')}`]);
    this.inNs(ns, 'ip', ['link', 'set', 'eth0', 'up']);
    this.inNs(ns, 'ip', ['route', 'add', this.subnet, 'dev', 'eth0', 'metric', '100']);
    const root = join(this.work, 'roots', ns);
    mkdirSync(root, { recursive: true });
    const host: Host = { ns, root, primary, member };
    this.hosts.set(member.name, host);
    return host;
  }

  /** The member's main volume as a loop device ("attached"), its image created on first use. */
  attachVolume(host: Host): string {
    const image = join(this.work, 'volumes', `${host.member.name}-main.img`);
    mkdirSync(join(this.work, 'volumes'), { recursive: true });
    // Sparse: etcd preallocates 64 MB of WAL, so the image is larger than that.
    if (!existsSync(image)) sh('truncate', ['-s', '512M', image]);
    const loop = sh('losetup', ['--find', '--show', image]).out.trim();
    this.loops.add(loop);
    host.loop = loop;
    return loop;
  }

  /** The boot script's mount_volume: formats only an empty volume, mounts it, persists it in fstab. */
  mountVolume(host: Host): string {
    return this.bootFn(host, `mount_volume ${host.loop} "\${MAIN_MOUNT}"`).out;
  }

  /** The boot script's member_routes, in the instance's network (subnet and VPC are one here). */
  memberRoutes(host: Host): void {
    this.bootFn(host, `member_routes eth0 ${host.member.ip} ${this.subnet} ${this.subnet} 10.${this.net}.0.1 eth0 ${host.primary}`, { inNetwork: true });
  }

  dataDir(host: Host): string {
    return join(host.root, 'mnt/haform/etcd-main/data');
  }

  // --- certificates, as kubeadm issues them ---------------------------------------------------
  private get pki() {
    return join(this.work, 'pki');
  }

  private ca(): void {
    mkdirSync(this.pki, { recursive: true });
    sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=etcd-ca', '-keyout', join(this.pki, 'ca.key'), '-out', join(this.pki, 'ca.crt')]);
    this.issue('healthcheck-client', 'kube-etcd-healthcheck-client', [], 'clientAuth');
  }

  private issue(file: string, cn: string, sans: string[], usage: string): void {
    const key = join(this.pki, `${file}.key`);
    const csr = join(this.pki, `${file}.csr`);
    const ext = join(this.pki, `${file}.ext`);
    sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', key, '-out', csr]);
    writeFileSync(ext, `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${usage}\n${sans.length ? `subjectAltName=${sans.join(',')}\n` : ''}`);
    sh('openssl', ['x509', '-req', '-in', csr, '-CA', join(this.pki, 'ca.crt'), '-CAkey', join(this.pki, 'ca.key'), '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', join(this.pki, `${file}.crt`)]);
  }

  /**
   * kubeadm's etcd server and peer certificates (certs phase): the node name and localhost, the
   * advertise address (the member IP) and loopback, plus serverCertSANs/peerCertSANs. Issued once, at
   * the member's first init or join; they live on the member's volume and outlast its instances.
   */
  private memberCerts(m: Member): void {
    if (existsSync(join(this.pki, `${m.name}-peer.crt`))) return;
    const sans = [`DNS:${m.nodeName}`, 'DNS:localhost', `IP:${m.ip}`, 'IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1'];
    this.issue(`${m.name}-server`, m.nodeName, sans, 'serverAuth,clientAuth');
    this.issue(`${m.name}-peer`, m.nodeName, sans, 'serverAuth,clientAuth');
  }

  // --- etcd, with the flags of kubeadm's stacked etcd static pod --------------------------------
  start(host: Host, cluster: { initial: Member[]; state: 'new' | 'existing' }): void {
    const m = host.member;
    this.memberCerts(m);
    const p = (f: string) => join(this.pki, f);
    const log = openSync(join(this.work, `${host.ns}.log`), 'a');
    host.etcd = spawn(
      'nsenter',
      [
        `--net=/run/netns/${host.ns}`,
        'etcd',
        `--name=${m.nodeName}`,
        `--data-dir=${this.dataDir(host)}`,
        `--listen-peer-urls=https://${m.ip}:2380`,
        `--initial-advertise-peer-urls=https://${m.ip}:2380`,
        `--listen-client-urls=https://127.0.0.1:2379,https://${m.ip}:2379`,
        `--advertise-client-urls=https://${m.ip}:2379`,
        `--initial-cluster=${cluster.initial.map((x) => `${x.nodeName}=https://${x.ip}:2380`).join(',')}`,
        `--initial-cluster-state=${cluster.state}`,
        `--cert-file=${p(`${m.name}-server.crt`)}`,
        `--key-file=${p(`${m.name}-server.key`)}`,
        `--peer-cert-file=${p(`${m.name}-peer.crt`)}`,
        `--peer-key-file=${p(`${m.name}-peer.key`)}`,
        `--trusted-ca-file=${p('ca.crt')}`,
        `--peer-trusted-ca-file=${p('ca.crt')}`,
        '--client-cert-auth=true',
        '--peer-client-cert-auth=true',
        '--snapshot-count=10000',
        // Drill timing: a lost peer is noticed in a second, not in ten.
        '--heartbeat-interval=100',
        '--election-timeout=1000',
      ],
      { stdio: ['ignore', log, log] },
    );
  }

  async stop(host: Host): Promise<void> {
    const etcd = host.etcd;
    host.etcd = undefined;
    if (!etcd || etcd.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      etcd.once('exit', () => resolve());
      etcd.kill('SIGKILL');
    });
  }

  /** etcdctl from inside a host's network, as the health check client kubeadm makes. */
  etcdctl(host: Host, args: string[], opts: { endpoints?: string[]; timeout?: string } = {}) {
    const p = (f: string) => join(this.pki, f);
    return this.inNs(
      host.ns,
      'etcdctl',
      [
        `--endpoints=${(opts.endpoints ?? [`https://${host.member.ip}:2379`]).join(',')}`,
        `--cacert=${p('ca.crt')}`,
        `--cert=${p('healthcheck-client.crt')}`,
        `--key=${p('healthcheck-client.key')}`,
        `--command-timeout=${opts.timeout ?? '3s'}`,
        '--dial-timeout=2s',
        ...args,
      ],
      { env: { ...process.env, ETCDCTL_API: '3' }, allowFail: true },
    );
  }

  /** Waits until the member answers a linearizable read (which needs the quorum and its own catch-up). */
  async healthy(host: Host, seconds = 30): Promise<boolean> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      if (this.etcdctl(host, ['endpoint', 'health'], { timeout: '2s' }).code === 0) return true;
      await sleep(300);
    }
    return false;
  }

  /**
   * etcdctl member add through a running member, retried as kubeadm retries it: etcd refuses a
   * reconfiguration ("unhealthy cluster") until every member has been connected for 5 seconds.
   */
  async memberAdd(via: Host, m: Member): Promise<{ code: number; out: string }> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = this.etcdctl(via, ['member', 'add', m.nodeName, `--peer-urls=https://${m.ip}:2380`]);
      if (r.code === 0 || Date.now() > deadline || !r.out.includes('unhealthy cluster')) return r;
      await sleep(1000);
    }
  }

  memberList(host: Host): { name: string; peer: string }[] {
    const r = this.etcdctl(host, ['member', 'list', '-w', 'json']);
    if (r.code !== 0) throw new Error(r.out);
    const json = JSON.parse(r.out.slice(r.out.indexOf('{'))) as { members: { name?: string; peerURLs: string[] }[] };
    return json.members.map((m) => ({ name: m.name ?? '', peer: m.peerURLs[0]! })).sort((a, b) => a.peer.localeCompare(b.peer));
  }

  log(host: Host): string {
    const f = join(this.work, `${host.ns}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** The instance is gone: etcd dies with it, the volume is detached, the root disk deleted. */
  async destroy(host: Host): Promise<void> {
    await this.stop(host);
    this.unmount(host);
    if (host.loop) {
      sh('losetup', ['-d', host.loop], { allowFail: true });
      this.loops.delete(host.loop);
      host.loop = undefined;
    }
    sh('ip', ['netns', 'del', host.ns], { allowFail: true });
    this.namespaces.delete(host.ns);
    rmSync(host.root, { recursive: true, force: true });
  }

  unmount(host: Host): void {
    const dir = join(host.root, 'mnt/haform/etcd-main');
    if (sh('mountpoint', ['-q', dir], { allowFail: true }).code === 0) sh('umount', [dir]);
  }

  async teardown(): Promise<void> {
    for (const h of this.hosts.values()) await this.stop(h);
    for (const h of this.hosts.values()) this.unmount(h);
    for (const loop of this.loops) sh('losetup', ['-d', loop], { allowFail: true });
    for (const ns of this.namespaces) sh('ip', ['netns', 'del', ns], { allowFail: true });
    rmSync(this.work, { recursive: true, force: true });
  }
}
