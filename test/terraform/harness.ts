import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real terraform CLI offline: providers only from the local filesystem mirror, no version
 * check, and (as root, where it works) no network namespace at all, so nothing leaves the machine.
 */
export interface Terraform {
  run(args: string[], cwd: string): { code: number; output: string };
  /**
   * The same, asynchronous and on the host's network: for runs against the AWS API emulator on
   * loopback (a network namespace would hide it), side by side with other runs.
   */
  runOnHost(args: string[], cwd: string): Promise<{ code: number; output: string }>;
}

const MIRROR_CANDIDATES = [process.env.HAFORM_TF_MIRROR, '/opt/tf-plugins', join(homedir(), '.terraform.d/plugins'), '/usr/share/terraform/plugins', '/usr/local/share/terraform/plugins'];

function findMirror(): string | undefined {
  for (const root of MIRROR_CANDIDATES) {
    if (root && existsSync(join(root, 'registry.terraform.io/hashicorp/aws')) && readdirSync(join(root, 'registry.terraform.io/hashicorp/aws')).length) return root;
  }
  return undefined;
}

function terraformWorks(): boolean {
  const r = spawnSync('terraform', ['version'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  return r.status === 0;
}

function noNetworkPrefix(): string[] {
  if (process.getuid?.() !== 0) return [];
  return spawnSync('unshare', ['-n', 'true']).status === 0 ? ['unshare', '-n'] : [];
}

/** The terraform harness, or the reason there is none. Under HAFORM_REQUIRE_TERRAFORM=1 absence is an error. */
export function findTerraform(): { tf?: Terraform; missing?: string } {
  if (!terraformWorks()) return { missing: 'no terraform CLI on PATH' };
  const mirror = findMirror();
  if (!mirror) return { missing: `no filesystem mirror of hashicorp/aws (looked in ${MIRROR_CANDIDATES.filter(Boolean).join(', ')}; set HAFORM_TF_MIRROR)` };
  const text = `disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`;
  const rc = cliConfig('terraformrc', text);
  return { tf: harnessFor('terraform', { ...process.env, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' }) };
}

/** The ignored node_modules/.cache/haform, where the harness keeps its CLI configurations and mirrors. */
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/haform/', import.meta.url));

/**
 * A CLI configuration file named by its content, written once (renamed into place, so that test
 * workers side by side never read half a file). One file per content in the cache, not a temp dir
 * per test process: vitest ends its workers without their exit handlers, which left a directory
 * behind per run.
 */
function cliConfig(name: string, text: string): string {
  const rc = join(CACHE, `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`);
  if (!existsSync(rc)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${rc}.${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, rc);
  }
  return rc;
}

/** terraform or tofu (BIN) with ENV: offline where it may be, on the host's network where asked. */
function harnessFor(bin: string, env: NodeJS.ProcessEnv): Terraform {
  const prefix = noNetworkPrefix();
  const color = (args: string[]) => [...args, ...(args[0] === 'fmt' ? [] : ['-no-color'])];
  return {
    run(args, cwd) {
      const [cmd, ...rest] = [...prefix, bin, ...color(args)];
      const r = spawnSync(cmd!, rest, { cwd, env, encoding: 'utf8' });
      return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
    },
    runOnHost(args, cwd) {
      return new Promise((resolve) => {
        const child = spawn(bin, color(args), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('error', (e) => resolve({ code: -1, output: `${output}${e.message}` }));
        child.on('close', (code) => resolve({ code: code ?? -1, output }));
      });
    },
  };
}

export const REQUIRE_TERRAFORM = process.env.HAFORM_REQUIRE_TERRAFORM === '1';

/** Mock credentials and skips: `terraform plan` runs with no AWS account, as long as no data source calls AWS. */
export interface PlannedResource {
  readonly address: string;
  readonly previousAddress?: string;
  readonly actions: readonly string[];
  readonly after: Record<string, unknown>;
  /** Attributes known only after apply (true, or a structure of trues), which `after` leaves out. */
  readonly afterUnknown: Record<string, unknown>;
}

/**
 * `terraform plan` then `show -json`: the planned resource changes by address. On the host's network,
 * where the AWS API emulator answers the data sources.
 */
export async function plan(tf: Terraform, dir: string): Promise<Map<string, PlannedResource>> {
  const p = await tf.runOnHost(['plan', '-input=false', '-refresh=false', '-out=haform-test.plan'], dir);
  if (p.code !== 0) throw new Error(`terraform plan failed:\n${p.output}`);
  const show = await tf.runOnHost(['show', '-json', 'haform-test.plan'], dir);
  if (show.code !== 0) throw new Error(`terraform show failed:\n${show.output}`);
  const json = JSON.parse(show.output) as {
    resource_changes: { address: string; previous_address?: string; change: { actions: string[]; after: Record<string, unknown> | null; after_unknown?: Record<string, unknown> } }[];
  };
  return new Map(
    json.resource_changes.map((rc) => [rc.address, { address: rc.address, previousAddress: rc.previous_address, actions: rc.change.actions, after: rc.change.after ?? {}, afterUnknown: rc.change.after_unknown ?? {} }]),
  );
}

/**
 * OpenTofu, built from its Go module (scripts/build-components.sh opentofu) or on PATH, installing
 * hashicorp/aws from the same offline mirror: OpenTofu asks for registry.opentofu.org/hashicorp/aws,
 * so a mirror of its own links that name to the same provider. Under HAFORM_REQUIRE_TOFU=1 absence
 * is an error.
 */
export function findTofu(): { tofu?: Terraform; missing?: string } {
  const env = readEnvFile('scripts/components.env');
  const built = join(process.env.HAFORM_COMPONENTS ?? '/var/cache/haform/components', `opentofu-${env.OPENTOFU_VERSION}`, 'bin', 'tofu');
  const bin = existsSync(built) ? built : spawnSync('tofu', ['version']).status === 0 ? 'tofu' : undefined;
  if (!bin) return { missing: `no tofu: not built in ${built} (scripts/build-components.sh opentofu) nor on PATH` };
  const mirror = findMirror();
  if (!mirror) return { missing: `no filesystem mirror of hashicorp/aws (looked in ${MIRROR_CANDIDATES.filter(Boolean).join(', ')}; set HAFORM_TF_MIRROR)` };
  const dir = join(CACHE, 'tofu-mirror');
  const aws = join(mirror, 'registry.terraform.io/hashicorp/aws');
  for (const version of readdirSync(aws)) {
    for (const platform of readdirSync(join(aws, version))) {
      const link = join(dir, 'registry.opentofu.org/hashicorp/aws', version, platform);
      if (existsSync(link)) continue;
      mkdirSync(join(link, '..'), { recursive: true });
      try {
        symlinkSync(join(aws, version, platform), link);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }
  const rc = cliConfig('tofurc', `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(dir)}\n    include = ["registry.opentofu.org/*/*"]\n  }\n  direct {\n    exclude = ["registry.opentofu.org/*/*", "registry.terraform.io/*/*"]\n  }\n}\n`);
  return { tofu: harnessFor(bin, { ...process.env, TF_CLI_CONFIG_FILE: rc, TF_IN_AUTOMATION: '1', TF_INPUT: '0' }) };
}

export const REQUIRE_TOFU = process.env.HAFORM_REQUIRE_TOFU === '1';

function readEnvFile(path: string): Record<string, string> {
  const text = readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
  return Object.fromEntries(text.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=') as [string, string]));
}
