import { readFileSync } from 'node:fs';
import { checkPlan, resourceChanges } from '../model/plan-check.js';
import { type CommandOutput, output } from './output.js';

/**
 * `haform plan-check PLAN.json`: the quorum guard on a Terraform plan, for CI between plan and
 * apply. Exit 0 when one apply of the plan keeps etcd's quorum and data, 1 when it is refused, 2
 * when the file cannot be read or is not a plan's JSON. PLAN.json "-" reads standard input.
 */
export function planCheck(file: string, opts: { allowDestroy?: boolean; format?: 'text' | 'json' } = {}): CommandOutput {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    return output('', `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the output of terraform show -json PLANFILE\n`, 2);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return output('', `${file}: not JSON: give the output of terraform show -json PLANFILE (not the binary plan file itself, nor terraform plan's text)\n`, 2);
  }
  const changes = resourceChanges(doc);
  if (typeof changes === 'string') return output('', `${file}: ${changes}\n`, 2);
  const check = checkPlan(changes, { allowDestroy: opts.allowDestroy });
  const code = check.safe ? 0 : 1;
  if (opts.format === 'json') return output(`${JSON.stringify(check, null, 2)}\n`, '', code);
  const lines = [
    check.safe ? `${file}: safe to apply in one run: no more than one master replaced or destroyed, no etcd data, member interface or cluster state lost` : `${file}: REFUSED`,
    ...check.refusals.map((r) => `  refused: ${r}`),
    ...check.notes.map((n) => `  note: ${n}`),
  ];
  return check.safe ? output(`${lines.join('\n')}\n`, '', 0) : output('', `${lines.join('\n')}\n`, code);
}
