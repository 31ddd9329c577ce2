/** What a command produced; only the entry point prints it and sets the exit code. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: 0 | 1 | 2;
}

export function output(stdout: string, stderr = '', exitCode: 0 | 1 | 2 = 0): CommandOutput {
  return { stdout, stderr, exitCode };
}
