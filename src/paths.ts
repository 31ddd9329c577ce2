import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** haform's package directory, whether running from src/ (tests) or the bundle in dist/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'haform') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('internal: haform package directory not found');
    dir = up;
  }
}
