import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import schema from '../../schemas/cluster.schema.json' with { type: 'json' };
// Shared with the build's precompiled validator (scripts/build.mjs), so that the two cannot differ.
import AJV_OPTIONS from './ajv-options.json' with { type: 'json' };

/**
 * The schema validator. Running from source (tests) it is compiled here; the bundle replaces this
 * module with code that ajv generated at build time, so that `validate` (the pre-commit path) neither
 * loads ajv's compiler nor compiles the schema on every run.
 */
export function clusterValidator(): ValidateFunction {
  return new Ajv2020({ ...AJV_OPTIONS, code: { source: false } }).compile(schema);
}
