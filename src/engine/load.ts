import type { Engine } from './index.js';

/**
 * The engine, imported on first use. This is the form tests run from source; the build replaces
 * this module with ./load-cached.ts, which loads the engine bundle with its code cache.
 */
export async function loadEngine(): Promise<Engine> {
  return import('./index.js');
}
