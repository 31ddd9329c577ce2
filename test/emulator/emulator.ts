import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

/**
 * A local AWS API for `terraform apply` and the boot scripts' AWS CLI: moto's server, with the gaps
 * between moto and EC2 that haform's output meets shimmed in moto_shim.py (listed there). One per
 * test file; every cluster in a file uses its own names, so they share it.
 */
export interface Emulator {
  readonly url: string;
  /** Environment for the AWS CLI and boto3: the emulator's endpoint, fake credentials. */
  readonly env: NodeJS.ProcessEnv;
  /** The AWS CLI against the emulator, parsed JSON (or undefined for empty output). */
  aws(region: string, args: string[]): Promise<any>;
  stop(): Promise<void>;
}

const SHIM = join(import.meta.dirname, 'moto_shim.py');
const CLI_SERVER = join(import.meta.dirname, 'aws_cli_server.py');
const PYTHON = process.env.HAFORM_PYTHON ?? 'python3';

export const REQUIRE_EMULATOR = process.env.HAFORM_REQUIRE_EMULATOR === '1';

/** Why the emulator cannot run here, or undefined when it can. */
export function emulatorMissing(): string | undefined {
  const moto = spawnSync(PYTHON, ['-c', 'import moto.server, boto3'], { encoding: 'utf8' });
  if (moto.status !== 0) return `python3 cannot import moto's server and boto3 (${(moto.stderr || moto.error?.message || '').trim().split('\n').at(-1)})`;
  const cli = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  if (cli.status !== 0) return 'no AWS CLI (aws) on PATH';
  return undefined;
}

/** Skips loudly outside CI, fails under HAFORM_REQUIRE_EMULATOR=1. */
export function emulatorOrSkip(what: string): boolean {
  const missing = emulatorMissing();
  if (!missing) return true;
  const message = `${what} cannot run: ${missing}`;
  if (REQUIRE_EMULATOR) throw new Error(`${message} (HAFORM_REQUIRE_EMULATOR=1)`);
  console.warn(`\n!!! SKIPPING ${what}: ${message}.\n!!! Set HAFORM_REQUIRE_EMULATOR=1 to make this a failure.\n`);
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command to its end without blocking the event loop (applies run side by side). */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export async function startEmulator(): Promise<Emulator> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // moto logs every request: to a file, not a pipe, which a test blocked in spawnSync would never drain.
  const logDir = mkdtempSync(join(tmpdir(), 'haform-moto-'));
  const logFile = join(logDir, 'moto.log');
  const logFd = openSync(logFile, 'w');
  const child = spawn(PYTHON, [SHIM, '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', logFd] });
  closeSync(logFd);
  const log = () => readFileSync(logFile, 'utf8').slice(-20_000);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'emulator',
    AWS_SECRET_ACCESS_KEY: 'emulator',
    AWS_DEFAULT_OUTPUT: 'json',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/moto-api/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 150) throw new Error(`moto did not start on ${url}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const cli = await startWarmCli(env, logDir);
  return {
    url,
    env,
    async aws(region, args) {
      // The AWS CLI v1 ignores AWS_ENDPOINT_URL for some services (SQS): the endpoint given outright.
      const argv = ['--region', region, '--endpoint-url', url, ...args];
      const r = cli ? await cli.run(argv) : await run('aws', argv, { env });
      if (r.code !== 0) throw new Error(`aws ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
    },
    stop: () =>
      new Promise((resolve) => {
        cli?.stop();
        const done = () => {
          rmSync(logDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('close', done);
        child.kill('SIGTERM');
      }),
  };
}

type CliResult = { code: number; stdout: string; stderr: string };

/**
 * The tests' own reads through the AWS CLI, without its start-up each time (aws_cli_server.py:
 * the CLI's driver in a warm process, forked per command). Undefined where that cannot start
 * (the CLI not importable by this python): the reads then run `aws` itself.
 */
async function startWarmCli(env: NodeJS.ProcessEnv, dir: string): Promise<{ run(args: string[]): Promise<CliResult>; stop(): void } | undefined> {
  const socket = join(dir, 'aws-cli.sock');
  const server = spawn(PYTHON, [CLI_SERVER, socket], { env, stdio: 'ignore' });
  for (let i = 0; !existsSync(socket); i++) {
    if (server.exitCode !== null || i > 600) {
      server.kill('SIGKILL');
      console.warn(`the warm AWS CLI did not start (${CLI_SERVER}); the emulator tests read through \`aws\` itself`);
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    run: (args) =>
      new Promise<CliResult>((resolve) => {
        let data = '';
        const c = connect(socket, () => c.write(`${JSON.stringify(args)}\n`));
        c.setEncoding('utf8');
        c.on('data', (d) => (data += d));
        c.on('error', (e) => resolve({ code: -1, stdout: '', stderr: `the warm AWS CLI: ${e.message}` }));
        c.on('close', () => {
          try {
            resolve(JSON.parse(data) as CliResult);
          } catch {
            resolve({ code: -1, stdout: '', stderr: `the warm AWS CLI gave no answer: ${data.slice(0, 300)}` });
          }
        });
      }),
    stop: () => server.kill('SIGTERM'),
  };
}

/** Services the generated code calls. Not in what haform writes: only in the test's copy of it. */
const SERVICES = ['autoscaling', 'cloudwatch', 'ec2', 'elbv2', 'events', 'iam', 'kms', 'logs', 'route53', 's3', 'sns', 'sqs', 'ssm', 'sts'];

/**
 * The provider pointed at the emulator, as an override file in the test's copy of the output.
 * `skip_requesting_account_id` stays unset: without the account id the provider reports referenced
 * security groups as ACCOUNT/sg-... and plans a change forever.
 */
export function writeEmulatorOverride(dir: string, url: string): void {
  const endpoints = SERVICES.map((s) => `    ${s.padEnd(11)} = "${url}"`).join('\n');
  writeFileSync(
    join(dir, 'emulator_override.tf'),
    `provider "aws" {
  access_key                  = "emulator"
  secret_key                  = "emulator"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
${endpoints}
  }
}
`,
  );
}

/** An image moto knows (Ubuntu, root device /dev/sda1): moto cannot resolve Canonical's public SSM parameter. */
export const EMULATOR_IMAGE = 'ami-785db401';
