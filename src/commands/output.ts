/** What a command produced; only emit() prints it and sets the exit code. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: 0 | 1 | 2;
}

export function output(stdout: string, stderr = '', exitCode: 0 | 1 | 2 = 0): CommandOutput {
  return { stdout, stderr, exitCode };
}

/** Prints a command's output and sets the exit code: the only place that does. */
export function emit(out: CommandOutput): void {
  if (out.stdout) process.stdout.write(out.stdout);
  if (out.stderr) process.stderr.write(out.stderr);
  process.exitCode = out.exitCode;
}
