import { createHash } from 'node:crypto';
import { topLevelBlocks } from './hcl-fix.js';
import type { OutputFile } from './write.js';

/**
 * Every resource instance of a generated output, by its full Terraform address, with a fingerprint
 * of what configures it (its block and the module call around it): equal fingerprints, no change.
 */
export function resourceInstances(files: readonly OutputFile[]): Map<string, string> {
  const blocksOf = (path: string) => {
    const file = files.find((f) => f.path === path);
    return file ? topLevelBlocks(file.content.replace(/^\s*#.*$/gm, '')) : [];
  };
  const out = new Map<string, string>();
  const add = (prefix: string, dir: string, context: string) => {
    for (const b of blocksOf(dir ? `${dir}/main.tf` : 'main.tf')) {
      if (b.kind === 'resource') out.set(`${prefix}${b.labels.join('.')}`, hash(context + b.text));
    }
  };
  add('', '', '');
  for (const call of blocksOf('main.tf').filter((b) => b.kind === 'module')) {
    const source = /source\s*=\s*"\.\/([^"]+)"/.exec(call.text)?.[1];
    if (source) add(`module.${call.labels[0]}.`, source, call.text);
  }
  return out;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
