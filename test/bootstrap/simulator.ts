import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const STUB = fileURLToPath(new URL('./stub.cjs', import.meta.url));
export const STUBBED = ['aws', 'kubeadm', 'kubectl', 'mount', 'mountpoint', 'mkfs.ext4', 'blkid', 'systemctl', 'apt-get', 'apt-mark', 'curl', 'gpg', 'modprobe', 'sysctl', 'netplan', 'snap', 'logger', 'containerd', 'ip', 'hostnamectl', 'crictl'];

export interface VolumeScenario {
  id: string;
  attachedTo?: string | null;
  /** describe-volumes calls that still see the previous instance holding it. */
  releaseAfter?: number;
  hasFilesystem?: boolean;
  hasEtcdData?: boolean;
  /** A second volume with the member's tags, left from a removed member. */
  leftOver?: string;
}

export interface Scenario {
  instanceId?: string;
  /** The instance's zone. */
  zone: string;
  /** The zone of the member's interface and volumes (default: the instance's). */
  homeZone?: string;
  /** The instance's etcd member tag (masters). */
  member?: string;
  region: string;
  subnetCidr?: string;
  vpcCidr?: string;
  volumes?: { main: VolumeScenario; events: VolumeScenario };
  eni?: { id: string; ip: string; mac: string; attachedTo?: string | null; releaseAfter?: number };
  /** The other current members' interface IPs, by member (their autoscaling groups exist). */
  otherMembers?: Record<string, string>;
  /** describe-auto-scaling-groups finds no group with a member tag. */
  noMemberGroups?: boolean;
  /** describe-auto-scaling-groups fails with this error code, every time. */
  autoscalingDown?: string;
  /** Parameters present at boot, by full name. */
  params?: Record<string, string>;
  /** Parameters that appear after `paramsAppearAfter` reads (another master publishing them). */
  pending?: Record<string, string>;
  paramsAppearAfter?: number | null;
  /** get-parameter errors, one per call, before SSM answers again. */
  ssmErrors?: string[];
  /** get-parameter fails with this error for good. */
  ssmDown?: string;
  /** blkid's exit code for every call (an unreadable device, an ambivalent probe). */
  blkidFails?: number;
  /** The members etcd's JSON gateway lists on the running master. */
  etcdMembers?: { id: string; peer: string }[];
  /** The bootstrap tokens the API lists (kubectl get secrets of their type). */
  bootstrapTokens?: { id: string; description: string }[];
  /** kubeadm join (not its phases) fails this many times. */
  joinFailures?: number;
  /** Objects in the cluster bucket besides the addons (boot/monitor.sh), by key. */
  bucketObjects?: Record<string, string>;
  /** When each object was written (ISO), for list-objects-v2's LastModified; default: now. */
  writtenAt?: Record<string, string>;
  /** etcd's endpoint status on this master: its database file (dbSize) and what is in use; none: etcd is not running. */
  etcdStatus?: { dbSize: number; dbSizeInUse?: number };
  /** The static pod manifest of etcd on the member's volume (monitor.sh reads its quota there). */
  etcdManifest?: string;
  /** kubeadm certs check-expiration -o json: each certificate's seconds left, and whether it is missing. */
  certificates?: { name: string; residualTime: number; missing?: boolean }[];
}

export interface Call {
  cmd: string;
  args: string[];
}

export interface BootResult {
  code: number;
  stderr: string;
  calls: Call[];
  /** `aws ssm put-parameter` results and everything else the stubs keep. */
  state: { params: Record<string, string>; metrics?: { namespace: string; name: string; value: number; unit: string }[] };
  kubeadmConfigs: string;
  root: string;
}

export interface BootOptions {
  /**
   * The real AWS CLI against the AWS API emulator instead of the aws stub: the environment that
   * points it there (AWS_ENDPOINT_URL, credentials). Every other command stays stubbed.
   */
  readonly awsEnv?: NodeJS.ProcessEnv;
  /** bootAsync's bound (default 10 minutes): a boot that waits its turn for a lock waits longer. */
  readonly timeoutMs?: number;
  /** The script's arguments (master.sh backup, monitor.sh etcd, ...); none: a boot. */
  readonly args?: readonly string[];
  /** The host's clock this far ahead (date +%s): a snapshot written now is this old to the script. */
  readonly clockAheadSeconds?: number;
}

interface Prepared {
  dir: string;
  root: string;
  scriptFile: string;
  env: NodeJS.ProcessEnv;
}

const scratch: string[] = [];

/** Removes every scratch directory the boots of this test file made (call it in afterAll). */
export function removeBootDirs(): void {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
}

function prepare(script: string, scenario: Scenario, opts: BootOptions): Prepared {
  const dir = mkdtempSync(join(tmpdir(), 'haform-boot-'));
  scratch.push(dir);
  const bin = join(dir, 'bin');
  const root = join(dir, 'root');
  mkdirSync(bin);
  mkdirSync(root);
  chmodSync(STUB, 0o755);
  for (const c of STUBBED) if (!(opts.awsEnv && c === 'aws')) symlinkSync(STUB, join(bin, c));
  // sleep returns at once (recorded, but in shell: it runs hundreds of times in a timeout).
  writeFileSync(join(bin, 'sleep'), `#!/bin/sh\necho "{\\"cmd\\":\\"sleep\\",\\"args\\":[\\"$1\\"]}" >>"${join(dir, 'calls.jsonl')}"\n`, { mode: 0o755 });
  if (opts.clockAheadSeconds) {
    // Only "now" moves: date +%s; every other date call is the real one.
    const real = spawnSync('sh', ['-c', 'command -v date'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(bin, 'date'), `#!/bin/sh\nif [ "$*" = "+%s" ]; then echo $(( $(${real} +%s) + ${opts.clockAheadSeconds} )); else exec ${real} "$@"; fi\n`, { mode: 0o755 });
  }
  if (scenario.etcdManifest !== undefined) {
    mkdirSync(join(root, 'etc/kubernetes/manifests'), { recursive: true });
    writeFileSync(join(root, 'etc/kubernetes/manifests/etcd.yaml'), scenario.etcdManifest);
  }
  const state = {
    instanceId: 'i-0new',
    subnetCidr: '172.20.32.0/19',
    params: {},
    pending: {},
    ...scenario,
    homeZone: scenario.homeZone ?? scenario.zone,
    volumes: scenario.volumes ?? {},
  };
  if (opts.awsEnv) {
    // The volumes appear as NVMe devices once attached; here they are there from the start.
    for (const v of Object.values(state.volumes) as VolumeScenario[]) {
      mkdirSync(join(root, 'dev/disk/by-id'), { recursive: true });
      writeFileSync(join(root, 'dev/disk/by-id', `nvme-Amazon_Elastic_Block_Store_${v.id.replace('-', '')}`), '');
    }
  }
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  writeFileSync(join(dir, 'calls.jsonl'), '');
  const scriptFile = join(dir, 'boot.sh');
  writeFileSync(scriptFile, script, { mode: 0o755 });
  const aws = opts.awsEnv ? Object.fromEntries(Object.entries(opts.awsEnv).filter(([k]) => k.startsWith('AWS_'))) : {};
  return { dir, root, scriptFile, env: { PATH: `${bin}:${process.env.PATH}`, SIM_DIR: dir, HAFORM_ROOT: root, HOME: dir, ...aws } };
}

function finish(p: Prepared, code: number, stderr: string): BootResult {
  const calls = readFileSync(join(p.dir, 'calls.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);
  const configs = join(p.dir, 'kubeadm-configs.txt');
  return {
    code,
    stderr,
    calls,
    state: JSON.parse(readFileSync(join(p.dir, 'state.json'), 'utf8')),
    kubeadmConfigs: existsSync(configs) ? readFileSync(configs, 'utf8') : '',
    root: p.root,
  };
}

/** Runs a rendered boot script under bash, every outside command stubbed, against a scratch root. */
export function boot(script: string, scenario: Scenario, opts: BootOptions = {}): BootResult {
  const p = prepare(script, scenario, opts);
  const r = spawnSync('bash', [p.scriptFile, ...(opts.args ?? [])], { encoding: 'utf8', env: p.env, timeout: 120_000 });
  return finish(p, r.status ?? -1, r.stderr);
}

/** The same without blocking: boots against the emulator run side by side. */
export function bootAsync(script: string, scenario: Scenario, opts: BootOptions = {}): Promise<BootResult> {
  const p = prepare(script, scenario, opts);
  return new Promise((resolve) => {
    const child = spawn('bash', [p.scriptFile, ...(opts.args ?? [])], { env: p.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(finish(p, code ?? -1, stderr));
    });
  });
}

/** A call rendered as one line, for ordered assertions: `aws ec2 attach-volume`, `kubeadm init`. */
export function line(c: Call): string {
  if (c.cmd === 'aws') return `aws ${c.args.filter((a, i) => !a.startsWith('--') && !['--region', '--output'].includes(c.args[i - 1] ?? '')).slice(0, 2).join(' ')}`;
  return [c.cmd, ...c.args.filter((a) => !a.startsWith('-')).slice(0, 2)].join(' ');
}
