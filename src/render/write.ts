import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HaformError } from '../errors.js';
import type { Move } from '../model/guard.js';
import type { StatefulResource } from '../model/inventory.js';

/** Records what haform wrote, with hashes: what it may update or remove, and what a person edited. */
export const MANIFEST = '.haform-manifest.json';

export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

export interface Manifest {
  readonly generator: 'haform';
  readonly version: string;
  /** The cluster's name; never the YAML's path, which differs from clone to clone. */
  readonly cluster: string;
  readonly files: Record<string, string>;
  /** The stateful resources of this generation, for the next one's guard. */
  readonly stateful?: readonly StatefulResource[];
  /** State moves emitted so far; kept in every later generation. */
  readonly moved?: readonly Move[];
  /** Addresses of stateful resources forgotten (removed blocks), until they return. */
  readonly forgotten?: readonly string[];
  /** The layout of the output's modules (absent: 1); see LAYOUT. */
  readonly layout?: number;
  /** The Kubernetes version generated, for the next generation's one-minor-at-a-time check. */
  readonly kubernetesVersion?: string;
}

export interface WriteOptions {
  readonly version: string;
  readonly cluster: string;
  /** Overwrite or remove generated files that were edited by hand. Never files haform did not write. */
  readonly force?: boolean;
  readonly stateful?: readonly StatefulResource[];
  readonly moved?: readonly Move[];
  readonly forgotten?: readonly string[];
  readonly layout?: number;
  readonly kubernetesVersion?: string;
}

export interface Change {
  readonly path: string;
  readonly kind: 'add' | 'update' | 'remove' | 'unchanged';
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The manifest of an earlier generation in `dir`, if any. */
export function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    if (m.generator !== 'haform' || typeof m.files !== 'object') throw new Error('not a haform manifest');
    return m;
  } catch (e) {
    throw new HaformError(`${file} is not a readable haform manifest (${(e as Error).message}); move it away or restore it.`, 1);
  }
}

function currentHash(dir: string, path: string): string | undefined {
  const file = join(dir, path);
  return existsSync(file) && statSync(file).isFile() ? sha256(readFileSync(file)) : undefined;
}

/** What writing `files` to `dir` would change, compared with what is there now. */
export function diffOutput(dir: string, files: readonly OutputFile[]): Change[] {
  const old = existsSync(dir) ? readManifest(dir) : undefined;
  const wanted = new Set(files.map((f) => f.path));
  const changes: Change[] = files.map((f) => {
    const now = existsSync(dir) ? currentHash(dir, f.path) : undefined;
    return { path: f.path, kind: now === undefined ? 'add' : now === sha256(f.content) ? 'unchanged' : 'update' };
  });
  for (const path of Object.keys(old?.files ?? {}).sort()) {
    if (!wanted.has(path) && currentHash(dir, path) !== undefined) changes.push({ path, kind: 'remove' });
  }
  return changes;
}

/** Files haform must not touch: not written by haform, or edited since it wrote them. */
export function conflicts(dir: string, changes: readonly Change[], force: boolean): string[] {
  if (!existsSync(dir)) return [];
  const old = readManifest(dir);
  const problems: string[] = [];
  for (const c of changes) {
    if (c.kind === 'unchanged' || c.kind === 'add') continue;
    const recorded = old?.files[c.path];
    if (recorded === undefined) {
      problems.push(`${join(dir, c.path)} was not written by haform; move it away, haform never overwrites it`);
    } else if (!force && currentHash(dir, c.path) !== recorded) {
      problems.push(`${join(dir, c.path)} was edited since haform wrote it; change the cluster YAML instead, or pass --force to discard the edit`);
    }
  }
  return problems;
}

/**
 * Writes the generated files: all staged first in a temporary directory beside their destination,
 * then moved into place, unchanged files untouched, stale generated files removed, manifest last.
 * A failure before the moves leaves the directory as it was.
 */
export function writeOutput(dir: string, files: readonly OutputFile[], opts: WriteOptions): Change[] {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new HaformError(`${dir} exists and is not a directory.`, 1);
  const base = nearestExisting(dir);
  if (!statSync(base).isDirectory()) throw new HaformError(`cannot write under ${base}: it is not a directory. Nothing was written; choose another --out.`, 1);
  const changes = diffOutput(dir, files);
  const refused = conflicts(dir, changes, opts.force ?? false);
  if (refused.length) throw new HaformError(`nothing written:\n  ${refused.join('\n  ')}`, 1);

  const manifest: Manifest = {
    generator: 'haform',
    version: opts.version,
    cluster: opts.cluster,
    files: Object.fromEntries(files.map((f) => [f.path, sha256(f.content)])),
    ...(opts.stateful ? { stateful: opts.stateful } : {}),
    ...(opts.moved?.length ? { moved: opts.moved } : {}),
    ...(opts.forgotten?.length ? { forgotten: opts.forgotten } : {}),
    ...(opts.layout ? { layout: opts.layout } : {}),
    ...(opts.kubernetesVersion ? { kubernetesVersion: opts.kubernetesVersion } : {}),
  };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const fresh = !existsSync(dir);
  const manifestFile = join(dir, MANIFEST);
  const idle = !fresh && changes.every((c) => c.kind === 'unchanged') && existsSync(manifestFile) && readFileSync(manifestFile, 'utf8') === manifestText;
  if (idle) return changes;
  const staging = fresh ? `${dir.replace(/[\\/]+$/, '')}.haform-tmp-${process.pid}` : join(dir, `.haform-tmp-${process.pid}`);
  removeAbandonedStaging(fresh ? dirname(dir) : dir);
  rmSync(staging, { recursive: true, force: true });
  try {
    const toWrite = files.filter((f) => fresh || changes.find((c) => c.path === f.path)?.kind !== 'unchanged');
    for (const f of toWrite) put(join(staging, f.path), f.content);
    put(join(staging, MANIFEST), manifestText);
    if (fresh) {
      makeDirs(dirname(dir));
      renameSync(staging, dir);
      return changes;
    }
    for (const f of toWrite) {
      makeDirs(dirname(join(dir, f.path)));
      renameSync(join(staging, f.path), join(dir, f.path));
    }
    for (const c of changes.filter((x) => x.kind === 'remove')) {
      rmSync(join(dir, c.path));
      removeEmptyParents(dir, c.path);
    }
    renameSync(join(staging, MANIFEST), join(dir, MANIFEST));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return changes;
}

function put(file: string, content: string): void {
  makeDirs(dirname(file));
  writeFileSync(file, content);
}

/**
 * mkdir -p one level at a time, from the nearest existing ancestor: Node's recursive mkdir loops
 * forever where a directory can never be made (under /proc), and reports a read-only target as ENOENT.
 */
function makeDirs(dir: string): void {
  const d = nearestExisting(dir);
  const missing: string[] = [];
  for (let m = resolve(dir); m !== d; m = dirname(m)) missing.unshift(m);
  if (!statSync(d).isDirectory()) throw new HaformError(`cannot write under ${d}: it is not a directory. Nothing was written; choose another --out.`, 1);
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EROFS' ? 'read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `cannot create directories there (${code})`;
      throw new HaformError(`cannot create ${m}: ${why}. Nothing was written; choose an --out where you can create directories.`, 1);
    }
  }
}

function nearestExisting(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Staging directories in `dir` (`<name>.haform-tmp-<pid>`, or `.haform-tmp-<pid>` inside an output), with their pid. */
export function stagingDirs(dir: string): { name: string; pid: number }[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir).flatMap((name) => {
    const m = /\.haform-tmp-(\d+)$/.exec(name);
    return m ? [{ name, pid: Number(m[1]) }] : [];
  });
}

/** Staging directories of runs that were killed (their process is gone): never part of the output. */
function removeAbandonedStaging(dir: string): void {
  for (const { name, pid } of stagingDirs(dir)) {
    if (pid !== process.pid && !alive(pid)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeEmptyParents(root: string, path: string): void {
  let d = dirname(path);
  while (d !== '.' && d !== '') {
    const abs = join(root, d);
    if (!existsSync(abs) || readdirSync(abs).length > 0) return;
    rmSync(abs, { recursive: true });
    d = dirname(d);
  }
}
