#!/usr/bin/env node
/**
 * The entry point: runs one command, prints what it returned, sets the exit code. It stays small:
 * the pre-commit form of validate and the usual form of generate are parsed here (fast-args.ts) and
 * go straight to their bundle; anything else loads the full yargs program. Each bundle is loaded
 * with its V8 code cache (bundles/load-cached.ts), so validate never reads generation code.
 */
import { load } from './bundles/load.js';
import { fastArgs } from './commands/fast-args.js';
import { emit } from './commands/output.js';
import { HaformError } from './errors.js';

async function main(argv: string[]): Promise<void> {
  const fast = fastArgs(argv);
  if (fast?.command === 'validate') emit((await load('validate')).validate(fast));
  else if (fast?.command === 'generate') emit(await (await load('engine')).generate(fast));
  else await (await load('program')).runProgram(argv);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof HaformError) {
    process.stderr.write(`haform: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  process.stderr.write(`haform: internal error: ${(err as Error)?.stack ?? String(err)}\nPlease report this as a bug.\n`);
  process.exitCode = 3;
});
