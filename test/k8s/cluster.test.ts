import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haform } from '../cli/run.js';

/**
 * Real Kubernetes from the rendered master.sh and node.sh (test/k8s/cluster.sh): the seed's first
 * example, three masters in three zones and two nodes, each a host of its own (test/k8s/hosts.sh),
 * with kubeadm, kubelet, containerd, runc, etcd, the apiserver, flannel, kube-proxy and CoreDNS of
 * the pinned versions, built from their Go modules (scripts/build-components.sh) and pulled under
 * their upstream names through the cluster's assets. EC2 (instances, the masters' member
 * interfaces) and SSM are moto through the real AWS CLI; the VPC is a bridge with a router per
 * subnet and EC2's source/destination check on every interface (test/k8s/hosts.sh). The
 * seams are named in test/k8s/seams.sh, the stubs in cluster.sh's header. One cluster, its
 * scenarios in turn; each test asserts Kubernetes' and etcd's own answers (JSON) of one scenario.
 */
const REQUIRE = process.env.HAFORM_REQUIRE_K8S === '1';
const env = Object.fromEntries(readFileSync('scripts/components.env', 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=') as [string, string]));
const components = process.env.HAFORM_COMPONENTS ?? '/var/cache/haform/components';
// Both version sets of components.env: scripts/build-images.sh serves the images of both.
const needed = [
  `kubernetes-${env.KUBERNETES_VERSION}`,
  `kubernetes-${env.KUBERNETES_UPGRADE_FROM}`,
  `etcd-${env.ETCD_VERSION}`,
  `etcd-${env.UPGRADE_FROM_ETCD_VERSION}`,
  `containerd-${env.CONTAINERD_VERSION}`,
  `runc-${env.RUNC_VERSION}`,
  `cri-tools-${env.CRI_TOOLS_VERSION}`,
  `cni-plugins-${env.CNI_PLUGINS_VERSION}`,
  `flannel-${env.FLANNEL_VERSION}`,
  `distribution-${env.DISTRIBUTION_VERSION}`,
  `crane-${env.CRANE_VERSION}`,
  `kube-bench-${env.KUBE_BENCH_VERSION}`,
];

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (namespaces, loop devices and cgroups need it)';
  const absent = needed.filter((n) => !existsSync(join(components, n, '.done')));
  if (absent.length) return `components not built in ${components}: ${absent.join(', ')} (run scripts/build-components.sh)`;
  for (const cmd of ['losetup', 'mkfs.ext4', 'nsenter', 'unshare', 'gcc', 'go', 'aws', 'haproxy', 'nft']) if (spawnSync('which', [cmd]).status !== 0) return `${cmd} is missing`;
  if (spawnSync('python3', ['-c', 'import moto.server']).status !== 0) return 'moto is missing (python3 -c "import moto.server")';
  return undefined;
}

const why = missing();
if (why && REQUIRE) throw new Error(`the Kubernetes drill cannot run: ${why} (HAFORM_REQUIRE_K8S=1)`);
if (why) console.warn(`\n!!! SKIPPING the Kubernetes drill: ${why}.\n!!! Set HAFORM_REQUIRE_K8S=1 to make this a failure.\n`);

// HAFORM_K8S_REPLAY=DIR asserts a finished run again (DIR: its DRILL_WORK, with the drill's output
// in DIR/drill.log) without the 15 minutes of a new cluster: for work on the assertions only.
const replay = process.env.HAFORM_K8S_REPLAY;
const work = replay ?? mkdtempSync(join(tmpdir(), 'haform-k8s-'));
// HAFORM_K8S_KEEP=1 keeps a new run's DRILL_WORK (hosts' logs, poll.log) for a failure's post-mortem.
const keep = process.env.HAFORM_K8S_KEEP === '1';
afterAll(() => {
  if (keep && !replay) console.log(`drill work kept in ${work}`);
  if (!replay && !keep) rmSync(work, { recursive: true, force: true });
});

interface Node {
  metadata: { name: string; labels: Record<string, string> };
  spec: { providerID?: string; unschedulable?: boolean; taints?: { key: string; effect: string }[] };
  status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string }; addresses?: { type: string; address: string }[] };
}
interface Member {
  ID: string;
  name: string;
  peerURLs: string[];
  isLearner?: boolean;
}
const answers = (scenario: string) => {
  const read = (f: string) => JSON.parse(readFileSync(join(work, 'report', scenario, f), 'utf8'));
  const nodes = (read('nodes.json') as { items: Node[] }).items;
  const members = (read('members.json') as { members: Member[] }).members;
  const health = read('health.json') as { endpoint: string; health: boolean }[];
  const canary = (read('canary.json') as { data: Record<string, string> }).data.written;
  return { nodes, members, health, canary };
};
const masterName = (ip: string) => `ip-${ip.replaceAll('.', '-')}.us-west-2.compute.internal`;
const MASTERS = ['10.98.1.10', '10.98.2.10', '10.98.3.10'].map(masterName);
const WORKERS = ['10.98.1.20', '10.98.2.20'].map(masterName);
const ready = (n: Node) => n.status.conditions.find((c) => c.type === 'Ready')?.status === 'True';
const controlPlane = (n: Node) =>
  'node-role.kubernetes.io/control-plane' in n.metadata.labels && !!n.spec.taints?.some((t) => t.key === 'node-role.kubernetes.io/control-plane' && t.effect === 'NoSchedule');
const memberOf = (members: Member[], ip: string) => members.find((m) => m.peerURLs.includes(`https://${ip}:2380`));

/** The drill's hosts: Node name, zone, and the instance type the YAML gives their role. */
const drillYaml = readFileSync('fixtures/k8s/drill.yaml', 'utf8');
const size = (role: 'master' | 'node') => drillYaml.match(new RegExp(`^  ${role}Size: (.+)$`, 'm'))![1]!;
const HOSTS = {
  a: { node: MASTERS[0]!, zone: 'us-west-2a', type: size('master') },
  b: { node: MASTERS[1]!, zone: 'us-west-2b', type: size('master') },
  c: { node: MASTERS[2]!, zone: 'us-west-2c', type: size('master') },
  n1: { node: WORKERS[0]!, zone: 'us-west-2a', type: size('node') },
  n2: { node: WORKERS[1]!, zone: 'us-west-2b', type: size('node') },
};
type Host = keyof typeof HOSTS;
/** Each host's instances in moto's EC2, in launch order (the drill writes one ID a line per launch). */
const instances = (host: Host) => readFileSync(join(work, 'report', 'instances', host), 'utf8').trim().split('\n');
const isMaster = (host: Host) => !host.startsWith('n');
/**
 * The primary address of a host's instance (`launched`: launches before it). A node has one
 * address; a master's primary interface is new with every instance (10.98.Z.101, .102, ...), and
 * its member IP, the one in its Node name, moves with the member interface.
 */
const primaryOf = (host: Host, launched = 0) => {
  const member = HOSTS[host].node.slice(3).split('.')[0]!.replaceAll('-', '.');
  return isMaster(host) ? member.replace(/\.\d+$/, `.${101 + launched}`) : member;
};

/**
 * What the real cloud controller (aws-cloud-controller-manager of the generated addon, talking to
 * moto's EC2) made of every Node: its instance found from the provider ID, which names the host's
 * current instance (`launched`: how many launches before it, by host), the zone, region and
 * instance type labels, the instance's addresses, and no uninitialized taint left.
 */
function expectCloudInitialized(scenario: string, launched: Partial<Record<Host, number>> = {}) {
  const { nodes } = answers(scenario);
  for (const [host, h] of Object.entries(HOSTS) as [Host, (typeof HOSTS)[Host]][]) {
    const n = nodes.find((x) => x.metadata.name === h.node)!;
    const ip = h.node.slice(3).split('.')[0]!.replaceAll('-', '.');
    expect(n.spec.providerID, `${scenario}: ${host} provider ID`).toBe(`aws:///${h.zone}/${instances(host)[launched[host] ?? 0]}`);
    expect(n.metadata.labels['topology.kubernetes.io/zone'], `${scenario}: ${host} zone`).toBe(h.zone);
    expect(n.metadata.labels['topology.kubernetes.io/region'], `${scenario}: ${host} region`).toBe('us-west-2');
    expect(n.metadata.labels['node.kubernetes.io/instance-type'], `${scenario}: ${host} instance type`).toBe(h.type);
    // kubelet's --node-ip is the member IP: of the instance's two private addresses, the cloud
    // controller keeps that one (k8s.io/cloud-provider GetNodeAddressesFromNodeIP). The DNS name is
    // the instance's own, its primary address's.
    expect(n.status.addresses?.filter((a) => a.type === 'InternalIP'), `${scenario}: ${host} InternalIP`).toEqual([{ type: 'InternalIP', address: ip }]);
    expect(n.status.addresses, `${scenario}: ${host} addresses`).toContainEqual({ type: 'InternalDNS', address: masterName(primaryOf(host, launched[host] ?? 0)) });
    expect(n.spec.taints?.map((t) => t.key) ?? [], `${scenario}: ${host} taints`).not.toContain('node.cloudprovider.kubernetes.io/uninitialized');
  }
}

const FROM = env.KUBERNETES_UPGRADE_FROM!;
const TO = env.KUBERNETES_VERSION!;

/**
 * Every master Ready and marked control plane, every worker Ready and not; etcd 3/3, healthy;
 * every kubelet at `version` unless the scenario says otherwise (`versions`, by Node name).
 */
function expectWholeCluster(scenario: string, version: string, versions: Record<string, string> = {}) {
  const a = answers(scenario);
  expect(a.nodes.map((n) => n.metadata.name).sort()).toEqual([...MASTERS, ...WORKERS].sort());
  for (const n of a.nodes) {
    expect(ready(n), `${scenario}: ${n.metadata.name} Ready`).toBe(true);
    expect(controlPlane(n), `${scenario}: ${n.metadata.name} control-plane label and taint`).toBe(MASTERS.includes(n.metadata.name));
    expect(n.status.nodeInfo.kubeletVersion, `${scenario}: ${n.metadata.name} kubelet`).toBe(`v${versions[n.metadata.name] ?? version}`);
  }
  expect(a.members.map((m) => m.name).sort()).toEqual([...MASTERS].sort());
  expect(a.members.filter((m) => m.isLearner)).toEqual([]);
  expect(a.health.map((h) => h.health)).toEqual([true, true, true]);
  expect(a.canary).toBe('before');
  // Secrets at rest: each master's own apiserver decrypts the drill's Secret; etcd holds it
  // encrypted under the cluster's key (the prefix kube-apiserver writes: provider, version, key).
  expect(said(`${scenario}: secret`), `${scenario}: the Secret through each master`).toBe('a=before b=before c=before ');
  expect(said(`${scenario}: secret at rest`), `${scenario}: the Secret in etcd`).toBe('k8s:enc:secretbox:v1:key1:');
  return a;
}

/**
 * The clients on n2 (cluster.sh), every half second from the upgrade on: the API's /version through
 * api.internal (its internal load balancer), the workload through its Service, and every two
 * seconds the Deployment's ready replicas read from etcd through api.internal. During SCENARIO (its
 * phases in the log): no failed request to the API, the workload answered every time, never fewer
 * ready replicas than its PodDisruptionBudget's minimum (1).
 */
function expectClientsServed(scenario: string, atLeastSeconds: number, grace: { api?: number; web?: number } = {}) {
  let current = '';
  let segment = 0;
  let start = 0;
  // A scenario may come in several stretches (the replacement in the middle of the upgrade).
  const polls: { t: number; what: string; answer: string; segment: number }[] = [];
  for (const line of readFileSync(join(work, 'report', 'poll.log'), 'utf8').trim().split('\n')) {
    const [t, what, ...rest] = line.split(' ');
    if (what === 'phase') {
      current = rest[0]!;
      segment++;
      if (current === scenario && !start) start = Number(t);
    } else if (current === scenario) {
      // Within the grace of an outage the scenario causes (seconds from its start), a failure is
      // what that outage does until it is detected: not counted.
      const within = (g?: number) => g !== undefined && Number(t) - start < g;
      // The Deployment reads go through api.internal too.
      if ((what !== 'web' && within(grace.api)) || (what === 'web' && within(grace.web))) continue;
      polls.push({ t: Number(t), what: what!, answer: rest.join(' '), segment });
    }
  }
  const of = (what: string) => polls.filter((p) => p.what === what).map((p) => p.answer);
  const seconds = polls.length ? polls.at(-1)!.t - polls[0]!.t : 0;
  expect(seconds, `${scenario}: the clients ran through it`).toBeGreaterThan(atLeastSeconds);
  // Coverage, not speed: a loaded machine makes fewer requests a second, but no stretch of the
  // scenario may go unobserved. One round of the clients is bounded by its timeouts (5 s per curl
  // and per endpoints read, 10 s for the Deployment read, 0.5 s of sleep); a longer gap means they
  // stalled.
  const api = polls.filter((p) => p.what === 'api');
  const gap = Math.max(0, ...api.slice(1).map((p, i) => (p.segment === api[i]!.segment ? p.t - api[i]!.t : 0)));
  const apiTimes = api.map((p) => p.t);
  expect(apiTimes.length, `${scenario}: API requests`).toBeGreaterThan(atLeastSeconds / 25);
  expect(gap, `${scenario}: longest time without an API request (s)`).toBeLessThan(30);
  // A failure is told with its time into the scenario, to place it among the drill's steps.
  // A failed workload request carries the Service's endpoints the API had just after it (address,
  // node, ready), the clue to which replica it went to.
  const endpointsAt = (t: number) => polls.find((p) => p.what === 'webendpoints' && p.t === t)?.answer;
  const failed = (what: string, ok: (answer: string) => boolean) =>
    polls
      .filter((p) => p.what === what && !ok(p.answer))
      .map((p) => `+${Math.round(p.t - polls[0]!.t)}s: ${p.answer}${what === 'web' && endpointsAt(p.t) ? ` (endpoints: ${endpointsAt(p.t)})` : ''}`);
  expect(failed('api', (c) => c === '200'), `${scenario}: failed API requests through api.internal`).toEqual([]);
  expect(failed('web', (w) => w === 'drill-web'), `${scenario}: failed workload requests`).toEqual([]);
  expect(failed('ready', (r) => /^\d+$/.test(r)), `${scenario}: Deployment reads that failed`).toEqual([]);
  const took = of('readtook').map(Number);
  if (took.length) console.log(`${scenario}: Deployment reads: slowest ${(Math.max(...took) / 1000).toFixed(1)} s of ${took.length}`);
  expect(Math.min(...of('ready').map(Number)), `${scenario}: fewest ready replicas`).toBeGreaterThanOrEqual(1);
}

let log = '';
const lines = () => log.split('\n').filter((l) => l.startsWith('drill: '));
const said = (key: string) => lines().find((l) => l.startsWith(`drill: ${key}: `))?.slice(`drill: ${key}: `.length) ?? '';

describe.skipIf(!!why)('a real cluster from the rendered master.sh and node.sh', () => {
  beforeAll(async () => {
    if (replay) {
      log = readFileSync(join(replay, 'drill.log'), 'utf8');
      return;
    }
    // The cluster at the previous minor, then the same cluster regenerated at the default, into the
    // same folder as a user would (generate accepts one minor up); the drill boots the first and
    // upgrades to the second.
    const from = join(work, 'drill-from.yaml');
    writeFileSync(from, readFileSync('fixtures/k8s/drill.yaml', 'utf8').replace(/^  kubernetesVersion: .*$/m, `  kubernetesVersion: ${env.KUBERNETES_UPGRADE_FROM}`));
    expect(haform(['generate', from, '--out', join(work, 'out')]).exitCode).toBe(0);
    cpSync(join(work, 'out'), join(work, 'out-from'), { recursive: true });
    const regenerated = haform(['generate', 'fixtures/k8s/drill.yaml', '--out', join(work, 'out')]);
    expect(regenerated.exitCode, regenerated.stderr).toBe(0);
    expect(regenerated.stdout + regenerated.stderr).toContain(`Kubernetes ${env.KUBERNETES_UPGRADE_FROM} -> ${env.KUBERNETES_VERSION}: control plane one master at a time`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn('bash', ['test/k8s/cluster.sh'], {
        env: { ...process.env, DRILL_WORK: work, DRILL_OUT: join(work, 'out-from'), DRILL_OUT_NEW: join(work, 'out'), DRILL_ID: randomBytes(2).toString('hex'), HAFORM_COMPONENTS: components },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d) => (log += d));
      child.stderr.on('data', (d) => (log += d));
      const timer = setTimeout(() => child.kill('SIGTERM'), 3_300_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c ?? -1);
      });
    });
    console.log(log.split('\n').filter((l) => /^(drill|  haform): /.test(l)).join('\n'));
    expect(code, log.slice(-6000)).toBe(0);
  }, 3_400_000);

  it('bootstrap: every host at once; one init, joins in turn; all Nodes Ready at the older minor, masters marked, etcd 3/3; CoreDNS runs', () => {
    expectWholeCluster('bootstrap', FROM);
    expect(said('bootstrap: packages')).toBe(['a', 'b', 'c', 'n1', 'n2'].map((h) => `${h} kubelet=${FROM} kubeadm=${FROM} kubectl=${FROM}; `).join(''));
    // Each host's instance, as the real cloud controller found it in EC2 (moto).
    expect(new Set(Object.keys(HOSTS).map((h) => instances(h as Host)[0])).size).toBe(5);
    expectCloudInitialized('bootstrap');
    expect(lines().find((l) => /^drill: bootstrap: the cloud controller initialized a b c n1 n2 in \d+s$/.test(l))).toBeDefined();
    expect(said('bootstrap: coredns')).toBe('2/2');
    expect(lines().find((l) => /^drill: bootstrap: all Nodes Ready in \d+s$/.test(l))).toBeDefined();
    // The load balancers' instance targets are the masters' primary addresses, each in service:
    // its health check's reply came back (see the routing test).
    expect(said('bootstrap: load balancer targets')).toBe((['a', 'b', 'c'] as const).map((m) => `${m}=${primaryOf(m)} UP; `).join(''));
  });

  it("routing: a master's two interfaces, under EC2's source/destination check: replies to the primary address leave the primary interface; without the boot script's rule for them, they are dropped", () => {
    const m = said('routing').match(/^a's primary address answers the health check: (\d+); without the reply rule: (\d+), (\d+) packets dropped by the source\/destination check; with it again: (\d+)$/);
    expect(m, said('routing')).not.toBeNull();
    expect(m![1]).toBe('200');
    expect(m![2]).toBe('000');
    expect(Number(m![3])).toBeGreaterThan(0);
    expect(m![4]).toBe('200');
    // Replies from the member IP to a pod of the same master take the CNI's route.
    expect(said("routing: a pod on a reaches a's apiserver at its member IP")).toBe('HTTP/1.0 400 Bad Request');
  });

  it('pods on nodes in different zones reach each other (flannel), and CoreDNS answers for a Service', () => {
    expect(said('pods')).toBe(`server on ${WORKERS[0]} client on ${WORKERS[1]}`);
    expect(said('pod-to-pod')).toBe('pod-to-pod');
    expect(said('dns')).toBe(said('kubernetes service'));
    expect(said('dns')).toMatch(/^100\.64\.0\.1$/);
  });

  it('replacement with its volumes, in the middle of the upgrade: the same etcd member and Node, registered for the new instance, still control plane, at the version of its static pods', () => {
    const before = answers('bootstrap');
    // a is upgraded, b and c not yet: b's new instance (the new generation's script) installs what
    // its volume's static pods run, not the cluster's new version.
    const a = expectWholeCluster('replacement', FROM, { [MASTERS[0]!]: TO });
    expect(said('replacement: packages')).toBe(`b kubelet=${FROM} kubeadm=${FROM} kubectl=${FROM}; `);
    // The old instance terminated, the cloud controller deleted its Node; the new one registered
    // it again for itself, with the control-plane label and taint (expectWholeCluster).
    expect(lines().find((l) => /^drill: replacement: the cloud controller deleted Node b of the terminated instance in \d+s$/.test(l))).toBeDefined();
    expect(instances('b')).toHaveLength(2);
    expectCloudInitialized('replacement', { b: 1 });
    expect(memberOf(a.members, '10.98.2.10')!.ID).toBe(memberOf(before.members, '10.98.2.10')!.ID);
    expect(lines().find((l) => /^drill: replacement: b Node Ready and etcd healthy in \d+s$/.test(l))).toBeDefined();
    // The new instance has a new primary address: the target group's target moved to it.
    expect(said('replacement: load balancer targets')).toBe(`a=${primaryOf('a')} UP; b=${primaryOf('b', 1)} UP; c=${primaryOf('c')} UP; `);
    expectClientsServed('replacement', 20);
  });

  it('upgrade, one minor, master by master then the nodes: the API through api.internal and the workload answer throughout, etcd healthy, every kubelet at the new version', () => {
    const a = expectWholeCluster('upgrade', TO);
    // The control plane's static pods: every apiserver, controller manager and scheduler at the new
    // version, every etcd at the one kubeadm of that version deploys.
    const pods = (JSON.parse(readFileSync(join(work, 'report', 'upgrade', 'control-plane.json'), 'utf8')) as { items: { spec: { nodeName: string; containers: { image: string }[] } }[] }).items;
    const images = pods.map((p) => p.spec.containers[0]!.image);
    for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) expect(images.filter((i) => i.endsWith(`/${c}:v${TO}`)), c).toHaveLength(3);
    expect(images.filter((i) => i.endsWith(`/etcd:${env.ETCD_IMAGE_TAG}`)), 'etcd').toHaveLength(3);
    expect(images).toHaveLength(12);
    // The first master applies, the others follow; the version for new masters moves with the
    // first, the one for new nodes only once every master runs it.
    expect(log).toMatch(/first master to upgrade: kubeadm upgrade apply v/);
    expect(log.match(/kubeadm upgrade node \(control plane and etcd of [bc]\)/g)).toHaveLength(2);
    expect(said('upgrade: before: params')).toBe(`control-plane/kubernetes-version=${FROM} node/kubernetes-version=${FROM} `);
    expect(said('upgrade: after a: params')).toBe(`control-plane/kubernetes-version=${TO} node/kubernetes-version=${FROM} `);
    expect(said('upgrade: after b: params')).toBe(`control-plane/kubernetes-version=${TO} node/kubernetes-version=${FROM} `);
    expect(said('upgrade: after c: params')).toBe(`control-plane/kubernetes-version=${TO} node/kubernetes-version=${TO} `);
    // n1 replaced (its new instance installs what node/kubernetes-version says), n2 in place.
    // n1's new instance booted while the file repository was down: it retried, then completed.
    expect(said('mirror-down')).toMatch(/^haform: retrying: downloading http:\/\/10\.98\.0\.1:5001\/pkgs\.k8s\.io\//);
    expect(lines().find((l) => l.startsWith('drill: upgrade: n1 replaced in '))).toMatch(new RegExp(`packages: n1 kubelet=${TO} kubeadm=${TO} kubectl=${TO}; $`));
    expect(lines().find((l) => l.startsWith('drill: upgrade: n2 upgraded in place in '))).toMatch(new RegExp(`packages: n2 kubelet=${TO} kubeadm=${TO} kubectl=${TO}; $`));
    expect(a.nodes.every((n) => !('unschedulable' in n.spec)), 'every Node uncordoned').toBe(true);
    expect(lines().find((l) => /^drill: upgrade: the cloud controller deleted Node n1 of the terminated instance in \d+s$/.test(l))).toBeDefined();
    expectCloudInitialized('upgrade', { b: 1, n1: 1 });
    expectClientsServed('upgrade', 120);
  });

  it('replacement with blank volumes: the stale etcd member is removed and the member added anew', () => {
    const before = answers('upgrade');
    const a = expectWholeCluster('lost-volumes', TO);
    // A new member joins at the cluster's version (control-plane/kubernetes-version).
    expect(said('lost-volumes: packages')).toBe(`c kubelet=${TO} kubeadm=${TO} kubectl=${TO}; `);
    const c = memberOf(a.members, '10.98.3.10')!;
    expect(c.ID).not.toBe(memberOf(before.members, '10.98.3.10')!.ID);
    expectCloudInitialized('lost-volumes', { b: 1, n1: 1, c: 1 });
    expect(log).toContain(`etcd still lists member c (`);
    expectClientsServed('lost-volumes', 30);
  });

  it('reboot while blkid cannot probe the volume, then while SSM throttles: each boot stops, nothing formatted or discarded; then member a returns as itself', () => {
    // Only blkid's "no filesystem" (exit 2) may lead to mkfs; its error (exit 4) stops the boot.
    expect(said('blkid-fault')).toMatch(/^haform: FAILED: blkid -p \/dev\/loop\d+ failed \(exit 4\): not formatting a volume that may hold etcd data/);
    expect(said('blkid-fault: etcd volume')).toBe('the same filesystem');
    expect(said('reboot-fault')).toMatch(/FAILED: gave up after 3 tries of aws ssm get-parameter|FAILED: could not tell whether hacluster\.example\.com was initialized/);
    expect(lines()).toContain('drill: reboot-fault: etcd data: member ');
    expect(lines()).toContain('drill: reboot-fault: ca: unchanged');
    const before = answers('lost-volumes');
    const a = expectWholeCluster('reboot', TO);
    expect(said('reboot: packages')).toBe(`a kubelet=${TO} kubeadm=${TO} kubectl=${TO}; `);
    expect(memberOf(a.members, '10.98.1.10')!.ID).toBe(memberOf(before.members, '10.98.1.10')!.ID);
    expect(lines()).toContain('drill: reboot: ca: unchanged');
    expect(lines().find((l) => /^drill: reboot: a Node Ready and etcd healthy in \d+s$/.test(l))).toBeDefined();
    // A rebooted instance is not a terminated one: the cloud controller leaves its Node alone.
    expect(said('reboot: Node a')).toBe('kept');
    expectCloudInitialized('reboot', { b: 1, n1: 1, c: 1 });
    expectClientsServed('reboot', 20);
  });

  it('zone loss: us-west-2a (master a and node n1) at once: etcd keeps quorum with b and c and takes a write, the API and the workload answer from the other zones once the loss is detected; the zone back, a and n1 return', () => {
    expect(said('zone-loss: write through b')).toMatch(/^during-zone-loss \(\+\d+s\)$/);
    expect(said('zone-loss: etcd health')).toBe('10.98.1.10=unhealthy 10.98.2.10=healthy 10.98.3.10=healthy');
    // Detection: the target group's health check (2 failures 10 s apart, each after its 5 s
    // connect timeout), and for the workload the node lifecycle controller's grace period before
    // n1's pods are marked not ready.
    const lb = Number(lines().find((l) => l.startsWith('drill: zone-loss: the load balancer took a out after '))?.match(/after (\d+)s: /)?.[1]);
    expect(lb, 'seconds until the load balancer took a out').toBeLessThanOrEqual(40);
    expect(lines().find((l) => l.startsWith('drill: zone-loss: the load balancer took a out after '))).toContain(`a=${primaryOf('a')} DOWN; b=${primaryOf('b', 1)} UP; c=${primaryOf('c', 1)} UP; `);
    const endpoints = Number(lines().find((l) => l.startsWith("drill: zone-loss: the workload's endpoints on n1 out of service after "))?.match(/after (\d+)s$/)?.[1]);
    expect(endpoints, "seconds until n1's pods left the workload's endpoints").toBeLessThanOrEqual(120);
    // After detection (and a client's 5 s timeout), no request fails.
    expectClientsServed('zone-loss', 60, { api: lb + 5, web: endpoints + 5 });
    expectWholeCluster('zone-back', TO);
    expect(lines().find((l) => /^drill: zone-back: a and n1 Ready and etcd healthy in \d+s$/.test(l))).toBeDefined();
    expect(said('zone-back: written during the loss')).toBe('during-zone-loss');
    expectClientsServed('zone-back', 20);
  });

  it("restore of every member from the leader's snapshot, by the README's runbook: the cluster as the snapshot had it, its encrypted Secret read back", () => {
    // Only the leader uploads; the snapshot is in the cluster bucket under the backup prefix.
    expect(said('restore: snapshots')).toMatch(/^1 backups\/etcd\/main\/\d{4}-\d\d-\d\dT\d{6}Z-[abc]\.db$/);
    // Changed after the snapshot: the restore takes it back.
    expect(said('restore: before: secret')).toBe('a=after b=after c=after ');
    expect(log.match(/haform: member [abc] restored from /g)).toHaveLength(3);
    for (const m of ['a', 'b', 'c']) expect(said(`restore: ${m}: restore.db left`)).toBe('none');
    expect(said('restore: configmap made after the snapshot')).toBe('NotFound');
    // The same three members, each at its own peer URL, healthy; every Node back.
    const a = expectWholeCluster('restore', TO);
    expectCloudInitialized('restore', { b: 1, n1: 1, c: 1 });
    for (const ip of ['10.98.1.10', '10.98.2.10', '10.98.3.10']) expect(memberOf(a.members, ip), ip).toBeDefined();
    expect(lines().find((l) => /^drill: restore: etcd healthy and every Node Ready in \d+s$/.test(l))).toBeDefined();
  });
  it("haform kubeconfig: its key made here, its certificate signed by master a's CA through the SSM stand-in; kubectl through api.internal is the cluster's admin", () => {
    // Master a's instance as EC2 has it now (the one its last launch made).
    expect(said('kubeconfig'), 'haform kubeconfig').toBe(`signed by master a (${instances('a').at(-1)})`);
    expect(said('kubeconfig: whoami')).toBe('drill-admin ["kubeadm:cluster-admins","system:authenticated"]');
    expect(said('kubeconfig: nodes')).toBe('5');
    expect(said('kubeconfig: can delete secrets')).toBe('yes');
  });

  /**
   * kube-bench's CIS benchmark on master a: every check it fails is one of these, each with the
   * reason it stays. A new failure (a flag kubeadm's defaults bring back, a file mode an upgrade
   * resets) fails the drill.
   */
  const ACCEPTED: Record<string, string> = {
    '1.1.12': "etcd data directory owned by etcd:etcd: kubeadm's etcd runs as root, the directory is 0700 root",
    '1.2.5': "--kubelet-certificate-authority: kubelets serve self-signed certificates; needs serverTLSBootstrap and a CSR approver (open in #24)",
    '4.1.1': 'kubelet unit file 0600: the drill has no systemd unit files (seam); master.sh and node.sh chmod them where the packages put them',
  };
  it('CIS Kubernetes Benchmark (kube-bench cis-1.12) on master a: nothing fails but the accepted findings', () => {
    const report = JSON.parse(readFileSync(join(work, 'report', 'kube-bench.json'), 'utf8')) as { Controls: { tests: { results: { test_number: string; status: string }[] }[] | null }[] };
    const results = report.Controls.flatMap((c) => c.tests ?? []).flatMap((g) => g.results ?? []);
    expect(results.length, 'kube-bench checks run').toBeGreaterThan(100);
    const failed = results.filter((r) => r.status === 'FAIL').map((r) => r.test_number);
    expect(failed.filter((id) => !(id in ACCEPTED)), 'kube-bench failures').toEqual([]);
    // The fixed ones pass: the control plane without profiling, tokens not extended, kubelet's config 0600.
    for (const id of ['1.2.15', '1.2.30', '1.3.2', '1.4.1', '4.1.9']) expect(results.find((r) => r.test_number === id)?.status, id).toBe('PASS');
  });
});
