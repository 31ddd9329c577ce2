import { readFileSync } from 'node:fs';
import { HaformError } from '../errors.js';
import { importKops, KopsImportError, readKopsManifests, renderImported } from '../import/kops.js';
import { formatProblem } from '../spec/format.js';
import { type ClusterSpec, loadClusterText } from '../spec/index.js';
import { schema } from '../spec/schema-check.js';
import { SCHEMA_MODELINE, writeNewFile } from './create-cluster.js';
import { type CommandOutput, output } from './output.js';

export interface ImportKopsOptions {
  readonly files: readonly string[];
  readonly file?: string;
  readonly force?: boolean;
}

/** `haform import kops FILE...`: kops manifests in, a validated haform YAML out, with what did not carry. */
export function importKopsCommand(opts: ImportKopsOptions): CommandOutput & { spec?: ClusterSpec } {
  const files = opts.files.map((name) => {
    try {
      return { name, text: readFileSync(name, 'utf8') };
    } catch (e) {
      throw new HaformError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
    }
  });
  let text: string;
  let notes: readonly string[];
  try {
    const { cluster, groups } = readKopsManifests(files);
    const result = importKops(cluster, groups);
    text = renderImported(result, SCHEMA_MODELINE, Object.keys(schema.properties.spec.properties));
    notes = result.notes;
  } catch (e) {
    if (e instanceof KopsImportError) throw new HaformError(`haform import kops: ${e.message}`, 2);
    throw e;
  }
  const target = opts.file ?? '<imported>';
  const { spec, problems } = loadClusterText(target, text);
  const report = [...notes.map((n) => `haform import kops: not carried: ${n}\n`), ...problems.map((p) => `${formatProblem(p)}\n`)].join('');
  if (!spec) return output(text, `${report}haform import kops: the imported cluster is invalid for haform (above); fix the YAML printed on stdout\n`, 1);
  if (!opts.file) return { ...output(text, report, 0), spec };
  writeNewFile(opts.file, text, opts.force);
  return { ...output(`wrote ${opts.file}\n`, report, 0), spec };
}
