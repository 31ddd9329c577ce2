import { HaformError } from '../errors.js';
import { loadClusterFile, type Problem } from '../spec/index.js';
import { formatProblem } from '../spec/format.js';
import { type CommandOutput, output } from './output.js';

export interface ValidateOptions {
  readonly files: readonly string[];
  readonly format: 'text' | 'json';
}

/**
 * The pre-commit check: every file, every problem, an unreadable file among them (it stops nothing).
 * Exit 1 when any file has an error, 2 when any cannot be read.
 */
export function validate(opts: ValidateOptions): CommandOutput {
  const results = opts.files.map((file) => ({ file, problems: problemsOf(file) }));
  const failed = results.some((r) => r.problems.some((p) => p.severity === 'error'));
  const unreadable = results.some((r) => r.problems.some((p) => p.rule === 'file-unreadable'));
  const exitCode = unreadable ? 2 : failed ? 1 : 0;
  if (opts.format === 'json') {
    const files = results.map((r) => ({ file: r.file, valid: !r.problems.some((p) => p.severity === 'error'), problems: r.problems }));
    return output(`${JSON.stringify({ valid: !failed, files }, null, 2)}\n`, '', exitCode);
  }
  const lines = results.flatMap((r) => r.problems.map(formatProblem));
  const summary = results.map((r) => summarize(r.file, r.problems)).join('');
  return output(summary, lines.map((l) => `${l}\n`).join(''), exitCode);
}

function problemsOf(file: string): readonly Problem[] {
  try {
    return loadClusterFile(file).problems;
  } catch (e) {
    if (!(e instanceof HaformError)) throw e;
    const message = e.message.startsWith(`${file}: `) ? e.message.slice(file.length + 2) : e.message;
    return [{ severity: 'error', rule: 'file-unreadable', message: message.replace(/\. Check the path\.$/, ''), hint: 'check the path', file, field: '', line: 1, column: 1 }];
  }
}

function summarize(file: string, problems: readonly Problem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (errors) return `${file}: invalid (${errors} error(s), ${warnings} warning(s))\n`;
  return `${file}: valid${warnings ? ` (${warnings} warning(s))` : ''}\n`;
}
