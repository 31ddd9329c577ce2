import { haTestFiles } from './generators/ha-tests.js';
import type { Move } from './model/guard.js';
import { buildPlan } from './model/plan.js';
import { renderAddons } from './render/addons.js';
import { generatedHeader, renderTerraform } from './render/cluster.js';
import { renderReadme } from './render/readme.js';
import { renderUserData } from './render/userdata.js';
import type { OutputFile } from './render/write.js';
import type { ClusterSpec } from './spec/types.js';

/**
 * Code-unit order: the same on every machine (localeCompare follows the locale, and its first call
 * loads ICU collation data, a twentieth of generate's run time).
 */
function byPath(a: OutputFile, b: OutputFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** Everything `haform generate` writes for one cluster, in memory. */
export async function generateFiles(spec: ClusterSpec, moves: readonly Move[] = [], forgotten: readonly string[] = []): Promise<OutputFile[]> {
  const plan = buildPlan(spec);
  const { files, modules } = await renderTerraform(plan, moves, forgotten);
  const header = generatedHeader(plan);
  return [...files, ...renderUserData(plan, header), ...renderAddons(plan, header), ...haTestFiles(plan), renderReadme(plan, modules)].sort(byPath);
}
