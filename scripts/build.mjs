// Bundles the CLI with esbuild: one ESM entry plus lazily loaded chunks, so that `validate` loads only
// the spec code and generation (cdktn, provider bindings) is read only when `generate` runs.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = new URL('..', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('schemas/cluster.schema.json', root), 'utf8'));

/** Replaces src/spec/schema-validator.ts with the validator ajv compiles now, at build time. */
const precompiledSchema = {
  name: 'precompiled-schema',
  setup(b) {
    b.onLoad({ filter: /src[\\/]spec[\\/]schema-validator\.ts$/ }, () => {
      const options = JSON.parse(readFileSync(new URL('src/spec/ajv-options.json', root), 'utf8'));
      const ajv = new Ajv2020({ ...options, code: { source: true, esm: true } });
      const code = standaloneCode(ajv, ajv.compile(schema));
      return {
        contents: `${code}\nexport function clusterValidator() { return validate; }\n`,
        loader: 'js',
        resolveDir: new URL('node_modules', root).pathname,
      };
    });
  },
};

rmSync(new URL('dist', root), { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __haformRequire } from 'node:module'; const require = __haformRequire(import.meta.url);" },
  external: ['performance'],
  plugins: [precompiledSchema],
  logLevel: 'warning',
  legalComments: 'none',
});
chmodSync(new URL('dist/cli.js', root), 0o755);
