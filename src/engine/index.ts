/**
 * The engine bundle: the commands that need cdktn and the provider bindings (generate, diff). Reached
 * only through load('engine') (bundles/load.ts), so that nothing else ever reads that code.
 */
export { diff } from '../commands/diff.js';
export { generate, generateSpec } from '../commands/generate.js';
