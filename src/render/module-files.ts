import { TerraformDataSource, TerraformLocal, TerraformResource, type TerraformStack } from 'cdktn';
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
  const byFile = new Map<string, string[]>();
  for (const block of topLevelBlocks(hcl)) {
    const file = FILE_OF[block.kind] ?? MAIN;
    const comment = comments.get(blockKey(block));
    const body = tidy(block.kind === 'module' ? sourceFirst(block.text) : block.text);
    const text = comment ? `${comment.split('\n').map((l) => `# ${l}`).join('\n')}\n${body}` : body;
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
