import { applyDefaults } from './defaults.js';
import { SourceDocument } from './document.js';
import { RULES } from './rules.js';
import { checkSchema } from './schema-check.js';
import type { ClusterSpec, Problem, RawCluster } from './types.js';

export type { ClusterSpec, Problem } from './types.js';

export interface LoadResult {
  /** Present only when there is no error (warnings allowed). */
  readonly spec?: ClusterSpec;
  /** Every error and warning, in file order. */
  readonly problems: readonly Problem[];
}

/** Reads, checks and completes a cluster YAML. Throws HaformError (exit 2) only for an unreadable path. */
export function loadClusterFile(file: string): LoadResult {
  return finish(file, SourceDocument.read(file));
}

/** The same for YAML text already in memory (create cluster checks what it is about to write). */
export function loadClusterText(file: string, text: string): LoadResult {
  return finish(file, SourceDocument.parse(file, text));
}

function finish(file: string, parsed: ReturnType<typeof SourceDocument.parse>): LoadResult {
  const { source, data } = parsed;
  if (!source || parsed.problems.length) return { problems: parsed.problems };
  const schemaProblems = checkSchema(data, source);
  if (schemaProblems.length) return { problems: sortProblems(schemaProblems) };
  const raw = data as RawCluster;
  const problems: Problem[] = [];
  for (const rule of RULES) {
    rule(raw, (path, severity, id, message, hint) => problems.push(source.problem(path, severity, id, message, hint)));
  }
  const sorted = sortProblems(problems);
  if (sorted.some((p) => p.severity === 'error')) return { problems: sorted };
  return { spec: applyDefaults(raw, file), problems: sorted };
}

function sortProblems(ps: Problem[]): Problem[] {
  return [...ps].sort((a, b) => a.line - b.line || a.column - b.column);
}
