// Bundles the CLI with esbuild: one ESM entry plus lazily loaded chunks, so that `validate` loads only
// the spec code and generation (cdktn, provider bindings) is read only when `generate` runs.
import { build } from 'esbuild';
import { rmSync, chmodSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __haformRequire } from 'node:module'; const require = __haformRequire(import.meta.url);" },
  external: ['performance'],
  logLevel: 'warning',
  legalComments: 'none',
});
chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);
