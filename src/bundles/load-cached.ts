import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { packageRoot } from '../paths.js';
import type { BundleName, Bundles } from './load.js';

/** Where the build writes each bundle (NAME.cjs) and its V8 code cache (NAME.cache). */
const BUNDLE_DIR = 'dist';
/** Set by the build to a directory: write each loaded bundle's code cache there, at exit. */
const WRITE_CACHE = 'HAFORM_WRITE_CODE_CACHE';
/** HAFORM_DEBUG=1 says on stderr whether V8 took each code cache (haform's speed depends on it). */
const DEBUG = 'HAFORM_DEBUG';

const loaded = new Map<BundleName, unknown>();

/**
 * Loads dist/NAME.cjs (CommonJS) through vm.Script with the code cache the build made by running it.
 * Node 20 has no compile cache for modules, and compiling (parsing, then each function on first call)
 * was half of what validate and generate spend above Node's own start-up. V8 rejects a cache made by
 * another V8 version or with other flags; the bundle then compiles as usual, only slower.
 */
export async function load<K extends BundleName>(name: K): Promise<Bundles[K]> {
  const done = loaded.get(name);
  if (done) return done as Bundles[K];
  const file = join(packageRoot(), BUNDLE_DIR, `${name}.cjs`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(join(packageRoot(), BUNDLE_DIR, `${name}.cache`));
  } catch {
    cachedData = undefined;
  }
  const started = performance.now();
  // The build emits ASCII only (esbuild's charset: 'ascii'), so latin1 reads it with no UTF-8 decoding.
  const source = readFileSync(file, 'latin1');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const module = { exports: {} as Bundles[K] };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  if (process.env[DEBUG] === '1') {
    const cache = !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted';
    process.stderr.write(`haform: ${BUNDLE_DIR}/${name}.cjs loaded in ${Math.round(performance.now() - started)} ms, code cache ${cache}\n`);
  }
  const target = process.env[WRITE_CACHE];
  if (target) process.once('exit', () => writeFileSync(join(target, `${name}.cache`), script.createCachedData()));
  loaded.set(name, module.exports);
  return module.exports;
}
