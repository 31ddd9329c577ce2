/**
 * Fixes for cdktn's known HCL defects, applied to its raw output before formatting. Each works on the
 * token level (strings with nested templates are scanned, never pattern-matched), so a fix never
 * touches text inside a string that merely looks like code.
 */

/** Generators wrap user-supplied text with these in place of `${` and `%{`; see {@link hclLiteral}. */
const LITERAL_DOLLAR = '\uE000{';
const LITERAL_PERCENT = '\uE001{';

/**
 * Marks user-supplied text (tags, names) as literal. cdktn cannot tell a literal `${` from one of its
 * own references, so it leaves both unescaped (or escapes `${` only inside function calls); the
 * markers pass through cdktn untouched and {@link fixHcl} turns them into HCL's escapes.
 */
export function hclLiteral(text: string): string {
  return text.replaceAll('${', LITERAL_DOLLAR).replaceAll('%{', LITERAL_PERCENT);
}

export interface HclFixOptions {
  /** The value cdktn loses when `terraform.required_version` is overridden. */
  readonly requiredVersion?: string;
}

export function fixHcl(src: string, opts: HclFixOptions = {}): string {
  let out = unwrapInterpolations(src);
  out = unquoteReferenceLists(out);
  out = conditionBlocks(out);
  out = unquoteBooleans(out);
  out = fixRequiredVersion(out, opts.requiredVersion);
  // A function, not a string: in a replacement string `$$` means a single `$`.
  return out.replaceAll(LITERAL_DOLLAR, () => '$${').replaceAll(LITERAL_PERCENT, () => '%%{');
}

/** `addOverride("terraform.required_version", v)` renders as `0 = "required_version"`. */
function fixRequiredVersion(src: string, version: string | undefined): string {
  const mangled = /^\s*0 = "required_version"\n/m;
  if (!mangled.test(src)) return src;
  if (!version) throw new Error('cdktn emitted a mangled required_version, and no version was given to restore');
  return src.replace(mangled, `required_version = ${JSON.stringify(version)}\n`);
}

/** `depends_on` and `ignore_changes` take references, which cdktn quotes (deprecated syntax). */
function unquoteReferenceLists(src: string): string {
  return src.replace(/^(\s*(?:depends_on|ignore_changes) = \[)([^\]]*)\]/gm, (_m, head: string, body: string) => {
    const items = body.replace(/"([A-Za-z0-9_.\-[\]]+)"/g, '$1');
    return `${head}${items}]`;
  });
}

/**
 * Launch-template flags the provider types as strings (they are tri-state in EC2's API), which cdktn
 * therefore quotes: `encrypted = "true"`. Terraform converts a bool to the string itself, so the
 * plan is the same and the file reads as a hand-written one would.
 */
const TRI_STATE = /^(\s*(?:encrypted|delete_on_termination|associate_public_ip_address) = )"(true|false)"$/gm;
function unquoteBooleans(src: string): string {
  return src.replace(TRI_STATE, '$1$2');
}

/**
 * `precondition` and `postcondition` are blocks in Terraform; cdktn writes them as a list of objects
 * (`postcondition = [{ condition = ... }]`), which terraform rejects. One block per object.
 */
export function conditionBlocks(src: string): string {
  const head = /^([ \t]*)(precondition|postcondition) = \[/gm;
  let out = '';
  let last = 0;
  for (let m = head.exec(src); m; m = head.exec(src)) {
    const open = m.index + m[0].length - 1;
    const close = closingBracket(src, open);
    const objects: string[] = [];
    for (let i = open + 1; i < close; i++) {
      if (src[i] === '"') i = scanString(src, i) - 1;
      else if (src[i] === '{') {
        const end = closingBracket(src, i);
        objects.push(`${m[1]}${m[2]} {${src.slice(i + 1, end)}}`);
        i = end;
      }
    }
    out += src.slice(last, m.index) + objects.join('\n');
    last = close + 1;
    head.lastIndex = last;
  }
  return out + src.slice(last);
}

/** Index of the bracket that closes the one at `open` (`[` or `{`), strings skipped. */
function closingBracket(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '"') i = scanString(src, i) - 1;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unclosed bracket at offset ${open}`);
}

/** Where unwrapInterpolations may find a string or a comment; everything else is copied as is. */
const SPECIAL = /["#/]/g;

/**
 * `"${expr}"` -> `expr` wherever a string is a single interpolation and nothing else, except object
 * keys. terraform fmt does this for top-level attribute values; doing it everywhere also un-quotes
 * numbers and references inside lists, which fmt then leaves alone.
 */
export function unwrapInterpolations(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '#' || (ch === '/' && src[i + 1] === '/')) {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? src.length : end;
      out += src.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch !== '"') {
      // Copy up to the next character that may start a string or a comment, in one piece.
      SPECIAL.lastIndex = i + 1;
      const next = SPECIAL.exec(src)?.index ?? src.length;
      out += src.slice(i, next);
      i = next;
      continue;
    }
    const end = scanString(src, i);
    const text = src.slice(i, end);
    const inner = interpolationOnly(text);
    const isKey = /^\s*=(?!=)/.test(src.slice(end, end + 4));
    out += inner !== undefined && !isKey ? unwrapInterpolations(inner) : unwrapNested(text);
    i = end;
  }
  return out;
}

/** Inside a string that stays a string, interpolations may still hold strings to unwrap. */
function unwrapNested(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '\\') {
      out += text.slice(i, i + 2);
      i += 2;
    } else if ((text.startsWith('$${', i) || text.startsWith('%%{', i))) {
      out += text.slice(i, i + 3);
      i += 3;
    } else if (text.startsWith('${', i) || text.startsWith('%{', i)) {
      const end = scanTemplateSeq(text, i + 2);
      out += text.slice(i, i + 2) + unwrapInterpolations(text.slice(i + 2, end - 1)) + '}';
      i = end;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** The expression of `"${expr}"`, or undefined when the string has anything more. */
function interpolationOnly(text: string): string | undefined {
  if (!text.startsWith('"${')) return undefined;
  const end = scanTemplateSeq(text, 3);
  if (end !== text.length - 1) return undefined;
  const inner = text.slice(3, end - 1);
  return inner.includes('\n') ? undefined : inner;
}

/** Index just past the closing quote of the string that opens at `start`. */
export function scanString(src: string, start: number): number {
  let i = start + 1;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '\\') {
      i += 2;
    } else if (ch === '"') {
      return i + 1;
    } else if (src.startsWith('$${', i) || src.startsWith('%%{', i)) {
      i += 3;
    } else if (src.startsWith('${', i) || src.startsWith('%{', i)) {
      i = scanTemplateSeq(src, i + 2);
    } else {
      i++;
    }
  }
  throw new Error(`unterminated string at offset ${start}`);
}

/** Index just past the `}` that closes a template sequence whose expression starts at `start`. */
function scanTemplateSeq(src: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '"') {
      i = scanString(src, i);
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}') {
      if (depth === 0) return i + 1;
      depth--;
    }
    i++;
  }
  throw new Error(`unterminated template sequence at offset ${start}`);
}

export interface TopLevelBlock {
  /** `resource`, `data`, `variable`, `output`, `module`, `provider`, `terraform`, `locals`, `moved`. */
  readonly kind: string;
  /** The block's labels, e.g. ["aws_vpc", "main"]. */
  readonly labels: readonly string[];
  readonly text: string;
}

/** Splits HCL into its top-level blocks (cdktn emits no top-level attributes or comments). */
export function topLevelBlocks(src: string): TopLevelBlock[] {
  const blocks: TopLevelBlock[] = [];
  let i = 0;
  while (i < src.length) {
    const m = /\s*([a-z_]+)((?:\s+"[^"]*")*)\s*\{/y;
    m.lastIndex = i;
    const head = m.exec(src);
    if (!head) {
      if (src.slice(i).trim() === '') break;
      throw new Error(`unexpected HCL at offset ${i}: ${src.slice(i, i + 40)}`);
    }
    let depth = 1;
    let j = m.lastIndex;
    while (depth > 0 && j < src.length) {
      const ch = src[j]!;
      if (ch === '"') {
        j = scanString(src, j);
        continue;
      }
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      j++;
    }
    const labels = [...head[2]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
    blocks.push({ kind: head[1]!, labels, text: src.slice(i, j).trim() });
    i = j;
  }
  return blocks;
}
