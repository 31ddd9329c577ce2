/**
 * The pre-commit hook: `haform validate` on the cluster YAML files among the staged YAML files.
 * pre-commit hands it every YAML file (files: \.ya?ml$); a file that is not a haform cluster
 * (apiVersion haform.io/..., kind Cluster) is skipped, not failed, so that Kubernetes manifests and
 * CI configs pass through. Built into hook/haform-validate.cjs, committed, run by pre-commit as a
 * script: a hook installed from the git URL needs no npm install and no build.
 */
import { readFileSync } from 'node:fs';
import { validate } from './commands/validate.js';
import { emit } from './commands/output.js';

/** A haform cluster declares both at the top level; anything unreadable is left to validate to report. */
export function isClusterFile(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return true;
  }
  return /^apiVersion:\s*["']?haform\.io\//m.test(text) && /^kind:\s*["']?Cluster["']?\s*$/m.test(text);
}

const files = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const clusters = files.filter(isClusterFile);
if (clusters.length) emit(validate({ files: clusters, format: 'text' }));
