import type { ErrorObject, ValidateFunction } from 'ajv';
import schema from '../../schemas/cluster.schema.json' with { type: 'json' };
import { clusterValidator } from './schema-validator.js';
import type { SourceDocument } from './document.js';
import type { Problem, YamlPath } from './types.js';

export { schema };

interface SchemaNode {
  description?: string;
  examples?: unknown[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, unknown>;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= clusterValidator();
  return compiled;
}

/** Checks the shape against schemas/cluster.schema.json; every violation becomes a positioned problem. */
export function checkSchema(data: unknown, source: SourceDocument): Problem[] {
  const validate = validator();
  if (validate(data)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  return dedupe(errors.map((e) => toProblem(e, source)));
}

function toProblem(e: ErrorObject, source: SourceDocument): Problem {
  const path = pointerToPath(e.instancePath);
  const node = (e.parentSchema ?? {}) as SchemaNode;
  const example = node.examples?.[0];
  const exampleHint = example === undefined ? '' : `, for example ${JSON.stringify(example)}`;
  const where = path.length ? `\`${path.join('.')}\`` : 'the document';
  switch (e.keyword) {
    case 'required': {
      const field = (e.params as { missingProperty: string }).missingProperty;
      const child = (node.properties?.[field] ?? {}) as SchemaNode;
      const ex = child.examples?.[0];
      // Point at the parent's key (`spec:`), where the field belongs.
      return source.problem(path, 'error', 'schema-required', `${where} is missing the required field \`${field}\``, `add \`${field}:\`${ex === undefined ? '' : ` (for example ${JSON.stringify(ex)})`}${child.description ? `: ${child.description}` : ''}`, path.length > 0);
    }
    case 'additionalProperties': {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(node.properties ?? {});
      const near = closest(field, known);
      // A field of a section written beside it (volumeSize under spec, not spec.etcd): move it there.
      const home = near ? undefined : known.find((k) => Object.keys((node.properties?.[k] as SchemaNode | undefined)?.properties ?? {}).includes(field));
      const hint = near ? `did you mean \`${near}\`?` : home ? `move it under \`${[...path, home].join('.')}\`` : `remove it; known fields: ${known.join(', ')}`;
      return source.problem([...path, field], 'error', 'schema-unknown-field', `unknown field \`${field}\` in ${where}`, hint, true);
    }
    case 'enum':
      return source.problem(path, 'error', 'schema-enum', `${where} must be one of ${(node.enum ?? []).map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(e.data)}`, `use one of the listed values${node.description ? `. ${node.description}` : ''}`);
    case 'const':
      return source.problem(path, 'error', 'schema-const', `${where} must be ${JSON.stringify(node.const)}; got ${JSON.stringify(e.data)}`, `set it to ${JSON.stringify(node.const)}`);
    case 'oneOf':
      return source.problem(path, 'error', 'schema-one-of', `${where} must set exactly one of its alternatives`, describeOneOf(e));
    case 'type': {
      const type = (e.params as { type: string }).type;
      const raw = source.rawScalar(path);
      // An unquoted 1.30 or yes is a number or a boolean to YAML; the fix is quotes, not another value.
      if (type === 'string' && (typeof e.data === 'number' || typeof e.data === 'boolean') && raw !== undefined) {
        return source.problem(path, 'error', 'schema-type', `${where} must be a string; YAML reads the unquoted ${raw} as ${typeof e.data === 'number' ? `the number ${JSON.stringify(e.data)}` : `the boolean ${JSON.stringify(e.data)}`}`, `quote it: ${path.at(-1)}: "${raw}"`);
      }
      return source.problem(path, 'error', 'schema-type', `${where} must be ${type}; got ${describe(e.data)}`, `write ${article(type)}${exampleHint}`);
    }
    // The field's description says what it takes; ajv's own message would show the regular expression.
    case 'pattern':
      return source.problem(path, 'error', 'schema-pattern', `${where} is not in the form it takes; got ${describe(e.data)}`, fieldHint(node, example));
    default:
      return source.problem(path, 'error', `schema-${e.keyword.toLowerCase()}`, `${where} ${e.message ?? 'is invalid'}; got ${describe(e.data)}`, fieldHint(node, example));
  }
}

/** The field's description, then an example: "AWS region. Derived from the zones when absent; for example "us-west-2"". */
function fieldHint(node: SchemaNode, example: unknown): string {
  const description = (node.description ?? 'see `haform schema`').replace(/\.$/, '');
  return example === undefined ? `${description}.` : `${description}; for example ${JSON.stringify(example)}`;
}

function describeOneOf(e: ErrorObject): string {
  const alts = (e.schema as { required?: string[] }[]).flatMap((s) => s.required ?? []);
  return alts.length ? `set one of: ${alts.join(', ')}` : 'see `haform schema`';
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

function pointerToPath(pointer: string): YamlPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.rule}|${p.line}|${p.column}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The known name nearest to a mistyped one, if it is near enough to be the intended one. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
