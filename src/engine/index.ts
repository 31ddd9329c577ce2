/**
 * The engine: the commands that need cdktn and the provider bindings (generate, diff), behind one
 * entry. The CLI reaches it only through loadEngine() (./load.ts), so that it ships as its own
 * bundle, loaded with V8's code cache. Only plain data and HaformError (branded, see errors.ts)
 * cross this boundary: the CLI and the engine do not share classes.
 */
import { diff } from '../commands/diff.js';
import { generate, generateSpec } from '../commands/generate.js';

export interface Engine {
  readonly generate: typeof generate;
  readonly generateSpec: typeof generateSpec;
  readonly diff: typeof diff;
}

export { diff, generate, generateSpec };
