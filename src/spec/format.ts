import type { Problem } from './types.js';

/** `FILE:LINE:COL: error[rule]: message. hint: fix` — the form editors and CI logs link to. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.severity}[${p.rule}]: ${p.message}. hint: ${p.hint}`;
}
