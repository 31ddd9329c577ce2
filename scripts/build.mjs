// Bundles the CLI with esbuild: one ESM entry plus lazily loaded chunks, so that `validate` loads only
// the spec code; and the engine (cdktn, provider bindings) as its own CommonJS bundle with a V8 code
// cache, read only when `generate` or `diff` runs (src/engine/load-cached.ts).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import Handlebars from 'handlebars';

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

/**
 * Replaces src/render/templates.ts with templates/ precompiled now: generation then loads Handlebars'
 * runtime only, and compiles nothing. Same index, same options, same output.
 */
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(b) {
    b.onLoad({ filter: /src[\\/]render[\\/]templates\.ts$/ }, () => {
      const read = (file) => readFileSync(new URL(`templates/${file}`, root), 'utf8');
      const index = JSON.parse(read('index.json'));
      const spec = (file) => Handlebars.precompile(read(file), index.options);
      const partials = Object.entries(index.partials).map(([name, file]) => `hb.registerPartial(${JSON.stringify(name)}, hb.template(${spec(file)}));`);
      const templates = Object.entries(index.templates).map(([name, file]) => `${JSON.stringify(name)}: hb.template(${spec(file)}),`);
      return {
        contents: [
          "import Handlebars from 'handlebars/runtime';",
          'let compiled;',
          'export function templates() {',
          '  if (compiled) return compiled;',
          '  const hb = Handlebars.create();',
          ...partials.map((l) => `  ${l}`),
          `  return (compiled = {${templates.join(' ')}});`,
          '}',
        ].join('\n'),
        loader: 'js',
        resolveDir: new URL('node_modules', root).pathname,
      };
    });
  },
};

/** In the bundle, the engine is loaded from dist/engine.cjs with its code cache. */
const cachedEngine = {
  name: 'cached-engine',
  setup(b) {
    b.onLoad({ filter: /src[\\/]engine[\\/]load\.ts$/ }, () => ({
      contents: "export { loadEngine } from './load-cached.ts';",
      loader: 'ts',
      resolveDir: new URL('src/engine', root).pathname,
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  external: ['performance'],
  plugins: [precompiledSchema, precompiledTemplates],
  logLevel: 'warning',
  legalComments: 'none',
};

rmSync(new URL('dist', root), { recursive: true, force: true });
await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  splitting: true,
  format: 'esm',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __haformRequire } from 'node:module'; const require = __haformRequire(import.meta.url);" },
  plugins: [...common.plugins, cachedEngine],
});
chmodSync(new URL('dist/cli.js', root), 0o755);

await build({
  ...common,
  entryPoints: ['src/engine/index.ts'],
  outfile: 'dist/engine.cjs',
  format: 'cjs',
  // CommonJS has no import.meta: give packageRoot() the bundle's own URL.
  banner: { js: "const __haformModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__haformModuleUrl' },
});

// The code cache holds every function a real generation compiles: run one (the large fixture, which
// takes the most branches) and let the loader write the cache at exit.
const scratch = mkdtempSync(join(tmpdir(), 'haform-build-'));
try {
  execFileSync(process.execPath, ['dist/cli.js', 'generate', 'fixtures/valid/large.yaml', '--out', join(scratch, 'out')], {
    cwd: new URL('.', root),
    env: { ...process.env, HAFORM_WRITE_ENGINE_CACHE: new URL('dist/engine.cache', root).pathname },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
