import { readFileSync, statSync } from 'node:fs';
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { HaformError } from '../errors.js';
import type { Problem, Severity, YamlPath } from './types.js';

/** A cluster YAML is a few hundred bytes; anything past this is not one. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** A parsed YAML file that can say where any field stands. */
export class SourceDocument {
  private constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  /** The scalar at `path` as the file writes it (`1.30`, where the parsed value is 1.3), if it is one. */
  rawScalar(path: YamlPath): string | undefined {
    const node = this.doc.getIn(path, true);
    return isScalar(node) && node.range ? this.text.slice(node.range[0], node.range[1]) : undefined;
  }

  /** Reads and parses `file`. Unreadable files throw (exit 2); bad content comes back as problems. */
  static read(file: string): { source?: SourceDocument; data?: unknown; problems: Problem[] } {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      throw new HaformError(`${file}: cannot read: no such file. Check the path.`, 2);
    }
    if (stat.isDirectory()) throw new HaformError(`${file}: is a directory, not a cluster YAML file.`, 2);
    const at = (rule: string, message: string, hint: string): Problem => ({
      severity: 'error', rule, message, hint, file, field: '', line: 1, column: 1,
    });
    if (stat.size > MAX_FILE_BYTES) {
      return { problems: [at('file-too-large', `file is ${stat.size} bytes; a cluster YAML is at most ${MAX_FILE_BYTES}`, 'point haform at the cluster YAML, not another file')] };
    }
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (e) {
      throw new HaformError(`${file}: cannot read: ${(e as Error).message}`, 2);
    }
    const text = buf.toString('utf8');
    if (buf.includes(0) || text.includes('\uFFFD')) {
      return { problems: [at('file-not-text', 'file is not UTF-8 text', 'point haform at the cluster YAML, not a binary file')] };
    }
    return SourceDocument.parse(file, text);
  }

  static parse(file: string, text: string): { source?: SourceDocument; data?: unknown; problems: Problem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const source = new SourceDocument(file, doc, lines, text);
    if (doc.errors.length > 0) {
      return { problems: doc.errors.map((e) => source.problemAt(e.pos[0], 'error', ...yamlError(e.code, e.message))) };
    }
    if (doc.contents === null) {
      return { problems: [source.problemAt(0, 'error', 'yaml-empty', 'file is empty', 'start from `haform create cluster NAME --zones ...`, which writes a complete file')] };
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      return { problems: [source.problemAt(0, 'error', 'yaml-aliases', firstLine((e as Error).message), 'expand the aliases: a cluster YAML needs no more than a few')] };
    }
    return { source, data, problems: [] };
  }

  /** A problem positioned at `path`, or at its nearest ancestor present in the file. `atKey` points at the key rather than the value. */
  problem(path: YamlPath, severity: Severity, rule: string, message: string, hint: string, atKey = false): Problem {
    const offset = this.offsetOf(path, atKey);
    return { ...this.problemAt(offset, severity, rule, message, hint), field: formatPath(path) };
  }

  private problemAt(offset: number, severity: Severity, rule: string, message: string, hint: string): Problem {
    const { line, col } = this.lines.linePos(offset);
    return { severity, rule, message, hint, file: this.file, field: '', line, column: col };
  }

  private offsetOf(path: YamlPath, atKey: boolean): number {
    let node: unknown = this.doc.contents;
    let best = rangeStart(node);
    for (const [i, seg] of path.entries()) {
      node = this.deref(node);
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair && atKey && i === path.length - 1) return rangeStart(pair.key) ?? best ?? 0;
        next = pair?.value ?? undefined;
        if (pair && next === undefined) next = pair.key;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      }
      const start = rangeStart(next);
      if (start === undefined) break;
      best = start;
      node = next;
    }
    return best ?? 0;
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}

/** The yaml library's errors in the user's terms: rule, message, hint. */
function yamlError(code: string, message: string): [string, string, string] {
  if (code === 'DUPLICATE_KEY') return ['yaml-duplicate-key', firstLine(message), 'remove or rename the repeated key'];
  if (message.includes('multiple documents')) return ['yaml-multiple-documents', 'the file holds more than one YAML document (a --- line starts another)', 'keep one cluster per file: remove the --- and what follows, or split the file'];
  if (message.includes('Maximum call stack')) return ['yaml-too-deep', 'the YAML nests too deep to read', 'a cluster YAML nests a few levels; check the file is the cluster YAML'];
  return ['yaml-syntax', firstLine(message), 'fix the YAML syntax at this position'];
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, '');
}

/** spec.subnets[0].cidr */
export function formatPath(path: YamlPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
