/**
 * Formats HCL as `terraform fmt` does: hclwrite's rules for indentation, spaces between tokens and
 * alignment of `=` in runs of single-line attributes. It covers the HCL that cdktn emits (no heredocs;
 * strings are single-line and kept verbatim), which is all haform formats; the golden and terraform
 * tests run `terraform fmt -check` on every output to hold it to that.
 */

type Kind = 'ident' | 'number' | 'string' | 'comment' | 'open' | 'close' | 'comma' | 'dot' | 'equals' | 'op' | 'bang';

interface Token {
  readonly kind: Kind;
  readonly text: string;
}

export function formatHcl(src: string): string {
  const lines = src.split('\n').map(tokenizeLine);
  const out: string[] = [];
  const indents: number[] = [];
  const rendered = lines.map((tokens) => {
    if (!tokens.length) return { lead: '', assign: '', isAssign: false };
    const net = tokens.reduce((n, t) => n + bracketChange(t), 0);
    if (net < 0) closeIndents(indents, -net);
    const indent = ' '.repeat(2 * indents.length);
    if (net > 0) indents.push(net);
    const eq = tokens.findIndex((t, i) => i > 0 && t.kind === 'equals');
    const isAssign = eq > 0 && tokens.slice(eq).reduce((n, t) => n + bracketChange(t), 0) === 0;
    if (!isAssign) return { lead: indent + join(tokens), assign: '', isAssign };
    return { lead: indent + join(tokens.slice(0, eq)), assign: join(tokens.slice(eq)), isAssign };
  });
  // Runs of consecutive single-line attributes align their `=`.
  let i = 0;
  while (i < rendered.length) {
    if (!rendered[i]!.isAssign) {
      out.push(rendered[i]!.lead);
      i++;
      continue;
    }
    let j = i;
    while (j < rendered.length && rendered[j]!.isAssign) j++;
    const width = Math.max(...rendered.slice(i, j).map((r) => r.lead.length));
    for (const r of rendered.slice(i, j)) out.push(`${r.lead.padEnd(width)} ${r.assign}`);
    i = j;
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function closeIndents(indents: number[], closed: number): void {
  while (closed > 0 && indents.length) {
    const top = indents[indents.length - 1]!;
    if (closed >= top) {
      indents.pop();
      closed -= top;
    } else {
      indents[indents.length - 1] = top - closed;
      closed = 0;
    }
  }
}

function bracketChange(t: Token): number {
  return t.kind === 'open' ? 1 : t.kind === 'close' ? -1 : 0;
}

function join(tokens: readonly Token[]): string {
  let s = '';
  tokens.forEach((t, i) => {
    if (i > 0 && spaceBetween(tokens[i - 1]!, t)) s += ' ';
    s += t.text;
  });
  return s;
}

/** hclwrite's spaceAfterToken, for the token kinds this lexer makes. */
function spaceBetween(subject: Token, after: Token): boolean {
  if (subject.kind === 'ident' && after.text === '(') return false;
  if (subject.kind === 'dot' || after.kind === 'dot') return false;
  if (after.kind === 'comma') return false;
  if (subject.kind === 'comma') return true;
  if (subject.text === '{' || after.text === '}') return !(subject.text === '{' && after.text === '}');
  if (after.text === '[' && (subject.kind === 'ident' || subject.kind === 'number' || subject.kind === 'close' || subject.kind === 'string')) return false;
  if (subject.kind === 'open') return false;
  if (after.kind === 'close') return false;
  if (subject.kind === 'bang') return false;
  return true;
}

const PUNCT3 = new Map<string, Kind>([['...', 'op']]);
const PUNCT2 = new Map<string, Kind>([['==', 'op'], ['!=', 'op'], ['<=', 'op'], ['>=', 'op'], ['&&', 'op'], ['||', 'op'], ['=>', 'op']]);
const PUNCT1 = new Map<string, Kind>([
  ['{', 'open'], ['[', 'open'], ['(', 'open'], ['}', 'close'], [']', 'close'], [')', 'close'],
  [',', 'comma'], ['.', 'dot'], ['=', 'equals'], ['!', 'bang'],
  ['?', 'op'], [':', 'op'], ['+', 'op'], ['-', 'op'], ['*', 'op'], ['/', 'op'], ['%', 'op'], ['<', 'op'], ['>', 'op'],
]);
// Sticky: each matches at lastIndex only, so the lexer never copies the rest of the line.
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

function matchAt(re: RegExp, line: string, i: number): string {
  re.lastIndex = i;
  return re.exec(line)![0];
}

function punctAt(line: string, i: number): [string, Kind] | undefined {
  for (const [table, n] of [[PUNCT3, 3], [PUNCT2, 2], [PUNCT1, 1]] as const) {
    const text = line.substr(i, n);
    const kind = table.get(text);
    if (kind) return [text, kind];
  }
  return undefined;
}

function tokenizeLine(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    const c = line.charCodeAt(i);
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
    } else if (ch === '#' || line.startsWith('//', i)) {
      tokens.push({ kind: 'comment', text: line.slice(i).trimEnd() });
      break;
    } else if (line.startsWith('<<', i)) {
      throw new Error(`cannot format HCL: heredocs are not supported, in: ${line}`);
    } else if (ch === '"') {
      const end = stringEnd(line, i);
      tokens.push({ kind: 'string', text: line.slice(i, end) });
      i = end;
    } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || ch === '_') {
      const text = matchAt(IDENT, line, i);
      tokens.push({ kind: 'ident', text });
      i += text.length;
    } else if (c >= 48 && c <= 57) {
      const text = matchAt(NUMBER, line, i);
      tokens.push({ kind: 'number', text });
      i += text.length;
    } else {
      const p = punctAt(line, i);
      if (!p) throw new Error(`cannot format HCL: unexpected ${JSON.stringify(ch)} in: ${line}`);
      tokens.push({ kind: p[1], text: p[0] });
      i += p[0].length;
    }
  }
  return tokens;
}

/** End of a one-line string starting at `start`, skipping nested strings inside `${...}`. */
function stringEnd(line: string, start: number): number {
  let i = start + 1;
  let depth = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (depth === 0 && ch === '"') return i + 1;
    const marker = ch === '$' || ch === '%';
    if (marker && depth === 0 && line[i + 1] === ch && line[i + 2] === '{') {
      i += 3; // $${ and %%{ are escapes, not templates
      continue;
    }
    if (marker && line[i + 1] === '{') {
      depth++;
      i += 2;
      continue;
    }
    if (depth > 0 && ch === '{') depth++;
    if (depth > 0 && ch === '}') depth--;
    if (depth > 0 && ch === '"') {
      i = stringEnd(line, i);
      continue;
    }
    i++;
  }
  throw new Error(`cannot format HCL: unterminated string in: ${line}`);
}
