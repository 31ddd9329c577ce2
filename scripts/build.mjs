// Bundles the CLI with esbuild: one ESM entry plus lazily loaded chunks, so that `validate` loads only
// the spec code and generation (cdktn, provider bindings) is read only when `generate` runs.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
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
  plugins: [precompiledSchema, precompiledTemplates],
  logLevel: 'warning',
  legalComments: 'none',
});
chmodSync(new URL('dist/cli.js', root), 0o755);
