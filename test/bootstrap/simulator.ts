import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const STUB = fileURLToPath(new URL('./stub.mjs', import.meta.url));
export const STUBBED = ['aws', 'kubeadm', 'kubectl', 'mount', 'mountpoint', 'mkfs.ext4', 'blkid', 'systemctl', 'apt-get', 'apt-mark', 'curl', 'gpg', 'modprobe', 'sysctl', 'netplan', 'snap', 'logger', 'containerd', 'ip', 'hostnamectl'];

export interface VolumeScenario {
  id: string;
  attachedTo?: string | null;
  /** describe-volumes calls that still see the previous instance holding it. */
  releaseAfter?: number;
  hasFilesystem?: boolean;
  hasEtcdData?: boolean;
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
  volumes?: { main: VolumeScenario; events: VolumeScenario };
  eni?: { id: string; ip: string; mac: string; attachedTo?: string | null; releaseAfter?: number };
  /** Parameters present at boot, by full name. */
  params?: Record<string, string>;
  /** Parameters that appear after `paramsAppearAfter` reads (another master publishing them). */
  pending?: Record<string, string>;
  paramsAppearAfter?: number | null;
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
  state: { params: Record<string, string> };
  kubeadmConfigs: string;
  root: string;
}

/** Runs a rendered boot script under bash, every outside command stubbed, against a scratch root. */
export function boot(script: string, scenario: Scenario): BootResult {
  const dir = mkdtempSync(join(tmpdir(), 'haform-boot-'));
  const bin = join(dir, 'bin');
  const root = join(dir, 'root');
  mkdirSync(bin);
  mkdirSync(root);
  chmodSync(STUB, 0o755);
  for (const c of STUBBED) symlinkSync(STUB, join(bin, c));
  // sleep returns at once (recorded, but in shell: it runs hundreds of times in a timeout).
  writeFileSync(join(bin, 'sleep'), `#!/bin/sh\necho "{\\"cmd\\":\\"sleep\\",\\"args\\":[\\"$1\\"]}" >>"${join(dir, 'calls.jsonl')}"\n`, { mode: 0o755 });
  const state = {
    instanceId: 'i-0new',
    subnetCidr: '172.20.32.0/19',
    params: {},
    pending: {},
    ...scenario,
    homeZone: scenario.homeZone ?? scenario.zone,
    volumes: scenario.volumes ?? {},
  };
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  writeFileSync(join(dir, 'calls.jsonl'), '');
  const scriptFile = join(dir, 'boot.sh');
  writeFileSync(scriptFile, script, { mode: 0o755 });
  const r = spawnSync('bash', [scriptFile], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, SIM_DIR: dir, HAFORM_ROOT: root, HOME: dir },
    timeout: 120_000,
  });
  const calls = readFileSync(join(dir, 'calls.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);
  const configs = join(dir, 'kubeadm-configs.txt');
  return {
    code: r.status ?? -1,
    stderr: r.stderr,
    calls,
    state: JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')),
    kubeadmConfigs: existsSync(configs) ? readFileSync(configs, 'utf8') : '',
    root,
  };
}

/** A call rendered as one line, for ordered assertions: `aws ec2 attach-volume`, `kubeadm init`. */
export function line(c: Call): string {
  if (c.cmd === 'aws') return `aws ${c.args.filter((a, i) => !a.startsWith('--') && !['--region', '--output'].includes(c.args[i - 1] ?? '')).slice(0, 2).join(' ')}`;
  return [c.cmd, ...c.args.filter((a) => !a.startsWith('-')).slice(0, 2)].join(' ');
}
