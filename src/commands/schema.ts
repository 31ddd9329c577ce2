import { schema } from '../spec/schema-check.js';
import { type CommandOutput, output } from './output.js';

export function printSchema(): CommandOutput {
  return output(`${JSON.stringify(schema, null, 2)}\n`);
}
