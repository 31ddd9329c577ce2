import { HaformError } from '../errors.js';
import { generateFiles } from '../generate.js';
import { diffOutput, writeOutput } from '../render/write.js';
import { formatProblem } from '../spec/format.js';
import { type ClusterSpec, loadClusterFile } from '../spec/index.js';
import { VERSION } from '../version.js';
import { type CommandOutput, output } from './output.js';

export interface GenerateOptions {
  readonly file: string;
  readonly out: string;
  /** Write nothing; exit 1 when the directory differs from what would be generated. */
  readonly check?: boolean;
  readonly force?: boolean;
}

export async function generate(opts: GenerateOptions): Promise<CommandOutput> {
  const { spec, problems } = loadClusterFile(opts.file);
  const report = problems.map((p) => `${formatProblem(p)}\n`).join('');
  if (!spec) return output('', `${report}nothing written: fix the errors above.\n`, 1);
  const out = await generateSpec(spec, opts);
  return { ...out, stderr: report + out.stderr };
}

/** Generation of an already validated spec (also reached from `create cluster --target terraform`). */
export async function generateSpec(spec: ClusterSpec, opts: Omit<GenerateOptions, 'file'>): Promise<CommandOutput> {
  const files = await generateFiles(spec);
  if (opts.check) {
    const drift = diffOutput(opts.out, files).filter((c) => c.kind !== 'unchanged');
    if (!drift.length) return output(`${opts.out}: up to date (${files.length} files)\n`);
    const verb = { add: 'missing', update: 'differs', remove: 'stale', unchanged: '' } as const;
    const lines = drift.map((c) => `  ${verb[c.kind]}: ${c.path}`).join('\n');
    return output('', `${opts.out}: out of date, ${drift.length} file(s) differ from what ${spec.source} generates:\n${lines}\nrun: haform generate ${spec.source} --out ${opts.out}\n`, 1);
  }
  try {
    const changes = writeOutput(opts.out, files, { version: VERSION, source: spec.source, force: opts.force });
    const count = (k: string) => changes.filter((c) => c.kind === k).length;
    return output(`${opts.out}: ${count('add')} added, ${count('update')} updated, ${count('remove')} removed, ${count('unchanged')} unchanged\n`);
  } catch (e) {
    if (e instanceof HaformError) throw e;
    throw new HaformError(`could not write ${opts.out}: ${(e as Error).message}. Nothing was half-written: the previous files are in place.`, 1);
  }
}
