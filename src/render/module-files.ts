import { TerraformDataSource, TerraformLocal, TerraformResource, type TerraformStack } from 'cdktn';
import { acceptedChecksOf, type AcceptedCheck, skipLines } from '../generators/checkov.js';
import { commentOf } from '../generators/context.js';
import { fixHcl, topLevelBlocks, type TopLevelBlock } from './hcl-fix.js';
import { formatHcl } from './hcl-format.js';

/** Which file of a module each kind of top-level block goes to, as Typhoon lays modules out. */
const FILE_OF: Record<string, string> = { terraform: 'versions.tf', provider: 'providers.tf', variable: 'variables.tf', output: 'outputs.tf' };
const MAIN = 'main.tf';
const FILE_ORDER = ['versions.tf', 'providers.tf', MAIN, 'variables.tf', 'outputs.tf'];

export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

export interface ModuleRenderOptions {
  readonly dir: string;
  readonly header: string;
  readonly summary: string;
  readonly requiredVersion: string;
  readonly extraHcl?: string;
}

/** One stack to its files: cdktn's HCL, fixed, split by block kind, commented, formatted. */
export function renderModule(stack: TerraformStack, opts: ModuleRenderOptions): RenderedFile[] {
  const hcl = fixHcl(stack.toHclTerraform().hcl + (opts.extraHcl ?? ''), { requiredVersion: opts.requiredVersion });
  const comments = commentsByBlock(stack);
  const skips = checksByBlock(stack);
  const byFile = new Map<string, string[]>();
  for (const block of topLevelBlocks(hcl)) {
    const file = FILE_OF[block.kind] ?? MAIN;
    const comment = comments.get(blockKey(block));
    const body = tidy(block.kind === 'module' ? sourceFirst(block.text) : block.kind === 'resource' || block.kind === 'data' ? conventionalOrder(block.text) : block.kind === 'variable' ? conditionFirst(block.text) : block.text);
    const accepted = skips.get(blockKey(block));
    const inner = accepted ? body.replace(/\n/, `\n${skipLines(accepted).map((l) => `  ${l}`).join('\n')}\n`) : body;
    const text = comment ? `${comment.split('\n').map((l) => `# ${l}`).join('\n')}\n${inner}` : inner;
    byFile.set(file, [...(byFile.get(file) ?? []), text]);
  }
  const files: RenderedFile[] = [];
  for (const name of FILE_ORDER) {
    const blocks = byFile.get(name);
    if (!blocks) continue;
    const lead = name === MAIN ? `${opts.header}\n# ${opts.summary}\n` : `${opts.header}\n`;
    const content = formatHcl(`${lead}\n${blocks.join('\n\n')}\n`);
    files.push({ path: opts.dir ? `${opts.dir}/${name}` : name, content });
  }
  return files;
}

/** cdktn leaves blank lines where overrides were merged; none belong before a closing brace. */
function tidy(text: string): string {
  return text.replace(/\n(?:[ \t]*\n)+(?=[ \t]*[}\]])/g, '\n').replace(/\n(?:[ \t]*\n){2,}/g, '\n\n');
}

/**
 * Arguments in the order Terraform's style guide gives, where cdktn sorts them alphabetically:
 * meta-arguments (for_each, count, provider) first, then the arguments with tags last among them,
 * then nested blocks, then depends_on and lifecycle.
 */
export function conventionalOrder(text: string): string {
  return orderArguments(namedIterators(text));
}

/**
 * cdktn's dynamic blocks iterate as `each` (`iterator = each`, `each.key`); written by hand, a
 * dynamic block's iterator is the block's own name (`tag.key`), and `each` belongs to for_each.
 */
function namedIterators(text: string): string {
  return text.replace(/(dynamic "([a-z_]+)" \{\n(?:[^\n]*\n)*?)\s*iterator\s*=\s*each\n((?:[^\n]*\n)*?\s*content \{\n(?:[^\n]*\n)*?\s*\}\n)/g, (_, start: string, name: string, rest: string) =>
    `${start}${rest.replace(/\beach\./g, `${name}.`)}`,
  );
}

function orderArguments(text: string): string {
  const lines = text.split('\n');
  const head = lines[0]!;
  const tail = lines.at(-1)!;
  const items: { name: string; block: boolean; lines: string[] }[] = [];
  let depth = 0;
  for (const line of lines.slice(1, -1)) {
    if (depth === 0) {
      if (!line.trim()) continue;
      const m = /^\s*([A-Za-z0-9_]+)(?:\s+"[^"]*")*\s*(=|\{)/.exec(line);
      items.push({ name: m?.[1] ?? '', block: m?.[2] === '{', lines: [] });
    }
    items.at(-1)!.lines.push(line);
    depth += (line.match(/[{[(]/g) ?? []).length - (line.match(/[}\])]/g) ?? []).length;
  }
  if (depth !== 0 || items.some((i) => !i.name)) return text;
  const rank = (i: (typeof items)[number]) => {
    if (['for_each', 'count', 'provider'].includes(i.name)) return 0;
    if (i.name === 'depends_on') return 5;
    if (i.name === 'lifecycle') return 6;
    if (i.block) return 4;
    if (i.name === 'tags') return 3;
    return 2;
  };
  const sorted = items.map((item, index) => ({ item, index, rank: rank(item) })).sort((a, b) => a.rank - b.rank || a.index - b.index);
  // A blank line between the arguments and the nested blocks, as people write them.
  const body = sorted.flatMap(({ item, rank: r }, i) => (i > 0 && r >= 4 && sorted[i - 1]!.rank < 4 ? ['', ...item.lines] : item.lines));
  return [head, ...body, tail].join('\n');
}

/** A validation states its condition, then the message for when it fails; cdktn sorts them the other way. */
function conditionFirst(text: string): string {
  return text.replace(/^([ \t]*error_message\s*=[^\n]*)\n([ \t]*condition\s*=[^\n]*)$/gm, '$2\n$1');
}

/** A module call names its source first, as people write it; cdktn puts it last. */
function sourceFirst(text: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^\s*source\s*=/.test(l));
  if (i <= 1) return text;
  const [source] = lines.splice(i, 1);
  lines.splice(1, 0, source!.trim(), '');
  return lines.join('\n');
}

function blockKey(b: TopLevelBlock): string {
  return [b.kind, ...b.labels].join(' ');
}

/** checkov's inline skips, by block: inside the block, where checkov reads them. */
function checksByBlock(stack: TerraformStack): Map<string, readonly AcceptedCheck[]> {
  const out = new Map<string, readonly AcceptedCheck[]>();
  for (const c of stack.node.findAll()) {
    const ids = acceptedChecksOf(c);
    if (!ids.length) continue;
    if (c instanceof TerraformDataSource) out.set(`data ${c.terraformResourceType} ${c.friendlyUniqueId}`, ids);
    else if (c instanceof TerraformResource) out.set(`resource ${c.terraformResourceType} ${c.friendlyUniqueId}`, ids);
  }
  return out;
}

function commentsByBlock(stack: TerraformStack): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    const comment = commentOf(c);
    if (!comment) continue;
    if (c instanceof TerraformDataSource) out.set(`data ${c.terraformResourceType} ${c.friendlyUniqueId}`, comment);
    else if (c instanceof TerraformResource) out.set(`resource ${c.terraformResourceType} ${c.friendlyUniqueId}`, comment);
    else if (c instanceof TerraformLocal) out.set('locals', comment);
  }
  return out;
}
