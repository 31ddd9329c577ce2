import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { packageRoot } from '../paths.js';
import type { Engine } from './index.js';

/** The engine bundle and its V8 code cache, both written by scripts/build.mjs. */
export const ENGINE_BUNDLE = 'dist/engine.cjs';
export const ENGINE_CACHE = 'dist/engine.cache';
/** Set by the build: write the code cache, with every function this run compiled, at exit. */
const WRITE_CACHE = 'HAFORM_WRITE_ENGINE_CACHE';
/** HAFORM_DEBUG=1 says on stderr whether V8 took the code cache (the speed of generate depends on it). */
const DEBUG = 'HAFORM_DEBUG';

let engine: Engine | undefined;

/**
 * Loads the engine bundle (CommonJS) through vm.Script with the code cache made at build time.
 * Node 20 has no compile cache for modules of its own, and compiling the 1.3 MB of cdktn and
 * provider code (parsing, then each function on first call) was a third of generate's time. V8
 * rejects a cache made by another V8 version or with other flags; the engine then compiles as usual.
 */
export async function loadEngine(): Promise<Engine> {
  if (engine) return engine;
  const file = join(packageRoot(), ENGINE_BUNDLE);
  const cacheFile = join(packageRoot(), ENGINE_CACHE);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const started = performance.now();
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, { filename: file, cachedData });
  const module = { exports: {} as Engine };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  if (process.env[DEBUG] === '1') {
    const cache = !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted';
    process.stderr.write(`haform: engine ${ENGINE_BUNDLE} loaded in ${Math.round(performance.now() - started)} ms, code cache ${cache}\n`);
  }
  const target = process.env[WRITE_CACHE];
  if (target) process.once('exit', () => writeFileSync(target, script.createCachedData()));
  return (engine = module.exports);
}
