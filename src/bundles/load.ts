import type * as Validate from '../commands/validate.js';
import type * as Program from '../commands/program.js';
import type * as Engine from '../engine/index.js';

/**
 * The parts of the CLI that ship as separate bundles, each loaded only by the commands that need it:
 * validate (the pre-commit hook: spec loading and the schema), engine (generate and diff: cdktn and
 * the provider classes), program (the full yargs command line). Only plain data and HaformError
 * (branded, see errors.ts) cross between them: bundles do not share classes.
 */
export interface Bundles {
  readonly validate: typeof Validate;
  readonly engine: typeof Engine;
  readonly program: typeof Program;
}

export type BundleName = keyof Bundles;

/**
 * A bundle, imported on first use. This is the form tests run from source; the build replaces this
 * module with ./load-cached.ts, which loads dist/NAME.cjs with its V8 code cache.
 */
export async function load<K extends BundleName>(name: K): Promise<Bundles[K]> {
  const modules: { [N in BundleName]: () => Promise<Bundles[N]> } = {
    validate: () => import('../commands/validate.js'),
    engine: () => import('../engine/index.js'),
    program: () => import('../commands/program.js'),
  };
  return modules[name]() as Promise<Bundles[K]>;
}
