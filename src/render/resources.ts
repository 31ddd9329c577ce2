import { createHash } from 'node:crypto';
import { topLevelBlocks, type TopLevelBlock } from './hcl-fix.js';
import type { OutputFile } from './write.js';

/** What configures one resource instance: its own block, and the module inputs it reads. */
export interface ResourceConfig {
  /** Equal fingerprints, no change. */
  readonly fingerprint: string;
  /** Its block, comments left out. */
  readonly text: string;
  /** The module inputs it reads (through locals and data sources too), with their values in the call. */
  readonly inputs: Readonly<Record<string, string>>;
}

/**
 * Every resource instance of a generated output, by its full Terraform address. A resource of a
 * module depends on the inputs it reads, not on the whole call: growing 3 -> 5 masters changes the
 * member list every master module is given, and only the resources that read it change.
 */
export function resourceConfigs(files: readonly OutputFile[]): Map<string, ResourceConfig> {
  const blocksOf = (path: string) => {
    const file = files.find((f) => f.path === path);
    return file ? topLevelBlocks(file.content.replace(/^\s*#.*$/gm, '')) : [];
  };
  const out = new Map<string, ResourceConfig>();
  const add = (prefix: string, blocks: readonly TopLevelBlock[], args: Readonly<Record<string, string>>) => {
    for (const b of blocks.filter((x) => x.kind === 'resource')) {
      const inputs = Object.fromEntries([...inputsRead(b.text, blocks)].sort().map((v) => [v, args[v] ?? '']));
      out.set(`${prefix}${b.labels.join('.')}`, { fingerprint: hash(b.text + JSON.stringify(inputs)), text: b.text, inputs });
    }
  };
  const root = blocksOf('main.tf');
  add('', root, {});
  // What an argument's value stands for: the root's locals it names, the file it points at (a boot
  // script read with file()) or every file of the directory it points at (the addons, uploaded with
  // fileset()), so that a change there changes the resources that read the argument.
  const rootLocals = root.filter((b) => b.kind === 'locals').map((b) => b.text).join('\n');
  const under = (path: string) =>
    files
      .filter((f) => f.path === path || f.path.startsWith(`${path}/`))
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((f) => `${f.path}\n${f.content}`)
      .join('\n');
  const resolved = (value: string) =>
    [value, /\blocal\./.test(value) ? rootLocals : '', ...[...value.matchAll(/\$\{path\.module\}\/([\w./-]+)/g)].map((m) => under(m[1]!))].join('\n');
  for (const call of root.filter((b) => b.kind === 'module')) {
    const source = /source\s*=\s*"\.\/([^"]+)"/.exec(call.text)?.[1];
    const args = Object.fromEntries(Object.entries(callArguments(call.text)).map(([k, v]) => [k, resolved(v)]));
    if (source) add(`module.${call.labels[0]}.`, blocksOf(`${source}/main.tf`), args);
  }
  return out;
}

/**
 * The inputs a changed resource reads that changed, and whether each is read only in its tags
 * (`tags = ...` lines): then the apply retags it in place and changes nothing else about it.
 */
export function changedInputs(before: ResourceConfig, after: ResourceConfig): { definition: boolean; inputs: string[]; tagsOnly: boolean } {
  const definition = before.text !== after.text;
  const inputs = [...new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs)])].filter((v) => before.inputs[v] !== after.inputs[v]).sort();
  const lines = after.text.split('\n');
  const tagsOnly = !definition && inputs.length > 0 && inputs.every((v) => lines.filter((l) => new RegExp(`\\bvar\\.${v}\\b`).test(l)).every((l) => /^\s*tags\s*=/.test(l)));
  return { definition, inputs, tagsOnly };
}

/** var.X a block reads, directly or through the module's locals and data sources. */
function inputsRead(text: string, blocks: readonly TopLevelBlock[]): Set<string> {
  const vars = new Set<string>();
  const seen = new Set<string>();
  const visit = (t: string) => {
    for (const m of t.matchAll(/\bvar\.(\w+)/g)) vars.add(m[1]!);
    if (/\blocal\./.test(t) && !seen.has('locals')) {
      seen.add('locals');
      for (const l of blocks.filter((b) => b.kind === 'locals')) visit(l.text);
    }
    for (const m of t.matchAll(/\bdata\.(\w+)\.(\w+)/g)) {
      const key = `${m[1]}.${m[2]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const d of blocks.filter((b) => b.kind === 'data' && b.labels.join('.') === key)) visit(d.text);
    }
  };
  visit(text);
  return vars;
}

/** The arguments of a module block, by name: `name = value` at its top level, values whole. */
function callArguments(text: string): Record<string, string> {
  const body = text.slice(text.indexOf('{') + 1, text.lastIndexOf('}'));
  const args: Record<string, string> = {};
  let name = '';
  let value: string[] = [];
  let depth = 0;
  for (const line of body.split('\n')) {
    if (depth === 0) {
      const m = /^\s*([A-Za-z_][\w-]*)\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      name = m[1]!;
      value = [m[2]!];
    } else value.push(line);
    depth += balance(line);
    if (depth <= 0) {
      depth = 0;
      args[name] = value.join('\n').trim();
    }
  }
  return args;
}

/** Opening minus closing brackets of a line, outside strings. */
function balance(line: string): number {
  let n = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && '[{('.includes(c)) n++;
    else if (!quoted && ']})'.includes(c)) n--;
  }
  return n;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
