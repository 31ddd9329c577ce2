import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built binary, as users run it (npm test builds it first, in pretest). */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function haform(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: { ...process.env, ...opts.env } });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? -1 };
}
