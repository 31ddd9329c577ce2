// Bundles the CLI with esbuild: a small entry (dist/cli.js) and three CommonJS bundles, each with a
// V8 code cache, loaded only by the commands that need them (src/bundles/): validate (the pre-commit
// hook), engine (generate and diff: cdktn and the provider bindings) and program (the yargs CLI).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** In the built CLI, bundles are loaded from dist/NAME.cjs with their code caches. */
const cachedBundles = {
  name: 'cached-bundles',
  setup(b) {
    b.onLoad({ filter: /src[\\/]bundles[\\/]load\.ts$/ }, () => ({
      contents: "export { load } from './load-cached.ts';",
      loader: 'ts',
      resolveDir: new URL('src/bundles', root).pathname,
    }));
  },
};

/**
 * cdktn zips module assets with fflate, which builds its tables when loaded (3 ms of every generate).
 * haform makes no assets (local modules are referenced with skipAssetCreationFromLocalModules), so
 * the bundle gets a stand-in that fails loudly if that ever changes, instead of the library.
 */
const noAssetArchives = {
  name: 'no-asset-archives',
  setup(b) {
    b.onResolve({ filter: /^fflate$/ }, () => ({ path: 'fflate', namespace: 'haform-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'haform-stub' }, () => ({
      contents: "const none = () => { throw new Error('internal: cdktn tried to archive an asset; haform bundles no archiver'); };\nmodule.exports = { zipSync: none, strToU8: none };",
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  external: ['performance'],
  plugins: [precompiledSchema, precompiledTemplates, cachedBundles, noAssetArchives],
  logLevel: 'warning',
  legalComments: 'none',
  // ASCII only (non-ASCII escaped): the loader reads bundles as latin1, with no UTF-8 decoding.
  charset: 'ascii',
};

rmSync(new URL('dist', root), { recursive: true, force: true });
// All CommonJS: only vm.Script takes a code cache on Node 20 (src/bundles/load-cached.ts), and a
// CommonJS entry is read synchronously, where an ES module entry leaves an async file close that can
// hold the process open at exit.
const commonjs = {
  ...common,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // CommonJS has no import.meta: give packageRoot() the bundle's own URL.
  banner: { js: "const __haformModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__haformModuleUrl' },
};
// The entry: small, it parses the common forms itself and loads one bundle. It keeps the name the bin
// has always had (npx caches bin links), so dist/ says that its .js files are CommonJS.
await build({ ...commonjs, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist', outExtension: { '.js': '.js' } });
writeFileSync(new URL('dist/package.json', root), '{ "type": "commonjs" }\n');
chmodSync(new URL('dist/cli.js', root), 0o755);
// The bundles (src/bundles/load.ts), each loaded only by the commands that need it.
await build({ ...commonjs, entryPoints: { validate: 'src/commands/validate.ts', engine: 'src/engine/index.ts', program: 'src/commands/program.ts' }, outdir: 'dist' });

// The pre-commit hook: one self-contained file, committed (hook/), so that pre-commit runs it from the
// git URL without installing anything; a test holds the committed file to this build.
await build({
  ...common,
  plugins: [precompiledSchema],
  format: 'cjs',
  entryPoints: ['src/hook.ts'],
  outfile: 'hook/haform-validate.cjs',
  banner: { js: '#!/usr/bin/env node\n// Built by `npm run build` from src/hook.ts: do not edit. The pre-commit hook (see .pre-commit-hooks.yaml).' },
});
chmodSync(new URL('hook/haform-validate.cjs', root), 0o755);

// Each code cache holds every function a real run compiled: run each bundle on representative input
// and let the loader write the caches at exit. generate takes the large fixture, for its branches.
const scratch = mkdtempSync(join(tmpdir(), 'haform-build-'));
const runs = [
  ['explain', 'fixtures/examples/public.yaml'],
  ['validate', 'fixtures/examples/public.yaml', 'fixtures/examples/private.yaml', 'fixtures/invalid/several-errors.yaml'],
  ['generate', 'fixtures/valid/large.yaml', '--out', join(scratch, 'out')],
];
try {
  for (const args of runs) {
    const r = spawnSync(process.execPath, ['dist/cli.js', ...args], {
      cwd: new URL('.', root),
      env: { ...process.env, HAFORM_WRITE_CODE_CACHE: new URL('dist', root).pathname },
      encoding: 'utf8',
    });
    if (r.status !== 0 && !(args[0] === 'validate' && r.status === 1)) throw new Error(`build: haform ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
