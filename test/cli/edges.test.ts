import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, haform } from './run.js';

/** First use, rough edges: each of these once did something else. */
const work = mkdtempSync(join(tmpdir(), 'haform-edges-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cluster = (spec: string) => `apiVersion: haform.io/v1alpha1
kind: Cluster
metadata:
  name: edges.k8s.local
spec:
${spec}`;
const file = (name: string, text: string) => {
  const f = join(work, name);
  writeFileSync(f, text);
  return f;
};
const rules = (r: { stdout: string; stderr: string }) => [...`${r.stdout}${r.stderr}`.matchAll(/(error|warning)\[([a-z0-9-]+)\]/g)].map((m) => `${m[1]}:${m[2]}`);

describe('help', () => {
  it('-h is --help, for the program and for every command', () => {
    const top = haform(['-h']);
    expect(top.exitCode).toBe(0);
    expect(top.stdout).toContain('haform <command>');
    for (const cmd of ['validate', 'generate', 'diff', 'explain', 'create']) {
      const r = haform([cmd, '-h']);
      expect(r.exitCode, `${cmd} -h: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`haform ${cmd}`);
    }
  });
});

describe('validate several files', () => {
  it('reports every file, the unreadable one among them, and exits 2', () => {
    const bad = file('bad.yaml', cluster('  zones: [us-west-2a]\n  masterCount: 2\n'));
    const missing = join(work, 'missing.yaml');
    const r = haform(['validate', 'fixtures/examples/public.yaml', bad, missing]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain('fixtures/examples/public.yaml: valid');
    expect(r.stdout).toContain(`${bad}: invalid`);
    expect(r.stderr).toContain('error[etcd-even-members]');
    expect(r.stderr).toContain(`${missing}:1:1: error[file-unreadable]`);
    const json = haform(['validate', '--format', 'json', bad, missing]);
    expect(json.exitCode).toBe(2);
    const doc = JSON.parse(json.stdout);
    expect(doc.files.map((f: { file: string; valid: boolean }) => [f.file, f.valid])).toEqual([
      [bad, false],
      [missing, false],
    ]);
  });
});

describe('what was accepted and should not be', () => {
  it('a zone its region does not have is an error; an unknown region warns', () => {
    expect(rules(haform(['validate', file('z.yaml', cluster('  zones: [us-west-2z]\n  nodeCount: 2\n'))]))).toContain('error:zone-unknown');
    const r = haform(['validate', file('r.yaml', cluster('  zones: [xx-newregion-1a]\n'))]);
    expect(rules(r)).toContain('warning:region-unknown');
    expect(r.exitCode).toBe(0);
  });

  it('no worker nodes and more than seven etcd members are warned about', () => {
    expect(rules(haform(['validate', file('n.yaml', cluster('  zones: [us-west-2a, us-west-2b, us-west-2c]\n  nodeCount: 0\n'))]))).toContain('warning:no-nodes');
    expect(rules(haform(['validate', file('m.yaml', cluster('  zones: [us-west-2a, us-west-2b, us-west-2c]\n  masterCount: 9\n'))]))).toContain('warning:etcd-many-members');
  });
});

describe('generate where it cannot write', () => {
  it('under /proc: fails at once with the reason, instead of looping', () => {
    const r = spawnSync(process.execPath, [CLI, 'generate', 'fixtures/examples/public.yaml', '--out', '/proc/haform-x/out'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.error, 'generate hung').toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot create \/proc\/haform-x/);
  });

  it('under a file: says so', () => {
    const f = file('plain-file', 'x');
    const r = haform(['generate', 'fixtures/examples/public.yaml', '--out', join(f, 'out')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('is not a directory');
  });
});

describe('a killed run\'s staging directory', () => {
  it('is out of date for --check, and the next generate removes it', () => {
    const out = join(work, 'killed');
    expect(haform(['generate', 'fixtures/examples/public.yaml', '--out', out]).exitCode).toBe(0);
    // A pid that cannot be running: above the kernel's pid_max.
    mkdirSync(join(out, '.haform-tmp-99999999/modules'), { recursive: true });
    const check = haform(['generate', 'fixtures/examples/public.yaml', '--out', out, '--check']);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).toContain('left by a killed run: .haform-tmp-99999999');
    writeFileSync(join(out, 'main.tf'), `${readFileSync(join(out, 'main.tf'), 'utf8')}\n`);
    expect(haform(['generate', 'fixtures/examples/public.yaml', '--out', out, '--force']).exitCode).toBe(0);
    expect(existsSync(join(out, '.haform-tmp-99999999'))).toBe(false);
  });
});

describe('--dry-run tells the truth', () => {
  it('where the real run would refuse, it says so and exits 1', () => {
    const out = join(work, 'user-owned');
    mkdirSync(out);
    writeFileSync(join(out, 'main.tf'), '# mine\n');
    const dry = haform(['generate', 'fixtures/examples/public.yaml', '--out', out, '--dry-run']);
    expect(dry.exitCode).toBe(1);
    expect(dry.stdout).toContain('generate would refuse and write nothing');
    expect(dry.stdout).toContain('main.tf was not written by haform');
    const real = haform(['generate', 'fixtures/examples/public.yaml', '--out', out]);
    expect(real.exitCode).toBe(1);
    expect(readFileSync(join(out, 'main.tf'), 'utf8')).toBe('# mine\n');
  });
});

describe('subnets of a cluster generated with the older split', () => {
  it('are not replaced: generate refuses and prints the subnets entries that keep them; with those, it generates', () => {
    const out = join(work, 'old-split');
    const yamlFile = file('old-split.yaml', readFileSync('fixtures/examples/private.yaml', 'utf8'));
    expect(haform(['generate', yamlFile, '--out', out]).exitCode).toBe(0);
    // As an earlier haform recorded them: kops's pre-1.28 /19 and /22 split.
    const manifestFile = join(out, '.haform-manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const old: Record<string, [string, string]> = { 'us-west-2a': ['172.20.32.0/19', '172.20.0.0/22'], 'us-west-2b': ['172.20.64.0/19', '172.20.4.0/22'], 'us-west-2c': ['172.20.96.0/19', '172.20.8.0/22'] };
    for (const r of manifest.stateful) if (r.kind === 'subnet') r.attributes.cidr_block = old[r.attributes.availability_zone]![r.attributes.role === 'utility' ? 1 : 0];
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const refused = haform(['generate', yamlFile, '--out', out]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('  subnets:\n    - zone: us-west-2a\n      cidr: 172.20.32.0/19\n      utilityCidr: 172.20.0.0/22\n');
    const pinned = refused.stderr.slice(refused.stderr.indexOf('  subnets:\n'), refused.stderr.indexOf('If that is intended'));
    writeFileSync(yamlFile, `${readFileSync(yamlFile, 'utf8').trimEnd()}\n${pinned}`);
    const g = haform(['generate', yamlFile, '--out', out]);
    expect(g.exitCode, g.stderr).toBe(0);
    expect(readFileSync(join(out, 'main.tf'), 'utf8')).toContain('cidr_block         = "172.20.32.0/19"');
  });
});

describe('diff', () => {
  it('tells invalid input (2) from a destructive change (1) from a safe one (0), in text and JSON', () => {
    const bad = file('diff-bad.yaml', cluster('  zones: [us-west-2a]\n  masterCount: 2\n'));
    expect(haform(['diff', 'fixtures/day2/three-masters.yaml', bad]).exitCode).toBe(2);
    const invalid = haform(['diff', 'fixtures/day2/three-masters.yaml', bad, '--format', 'json']);
    expect(invalid.exitCode).toBe(2);
    expect(JSON.parse(invalid.stdout).problems.map((p: { rule: string }) => p.rule)).toContain('etcd-even-members');
    const destructive = haform(['diff', 'fixtures/day2/three-masters.yaml', 'fixtures/day2/three-masters-private.yaml', '--format', 'json']);
    expect(destructive.exitCode).toBe(1);
    const d = JSON.parse(destructive.stdout);
    expect(d.safe).toBe(false);
    expect(d.destructions.map((x: { address: string }) => x.address)).toContain('module.network.aws_subnet.private["us-east-1a"]');
    const safe = haform(['diff', 'fixtures/day2/one-master.yaml', 'fixtures/day2/three-masters.yaml', '--format', 'json']);
    expect(safe.exitCode).toBe(0);
    const s = JSON.parse(safe.stdout);
    expect([s.masters.before.length, s.masters.after.length, s.safe]).toEqual([1, 3, true]);
    expect(s.resources.destroy).toEqual([]);
  });

  it('a cluster renamed: the VPC is retagged, not destroyed; the backup bucket, whose name prefix changes, is named as replaced', () => {
    const renamed = file('renamed.yaml', readFileSync('fixtures/day2/three-masters.yaml', 'utf8').replace(/name: \S+/, 'name: renamed.k8s.local'));
    const r = haform(['diff', 'fixtures/day2/three-masters.yaml', renamed, '--format', 'json']);
    const d = JSON.parse(r.stdout);
    expect(d.resources.destroy).not.toContain('module.network.aws_vpc.main');
    expect(d.resources.change).toContain('module.network.aws_vpc.main');
    expect(d.destructions.map((x: { address: string; reason: string }) => `${x.address}: ${x.reason}`)).toEqual([
      expect.stringMatching(/^module\.bucket\.aws_s3_bucket\.this: bucket_prefix would change .* deletes the etcd backups with the old bucket$/),
    ]);
    expect(r.exitCode).toBe(1);
  });
});

describe('create cluster and YAML edges', () => {
  it('--out without --target terraform, and a count that is not a number, are usage errors that say so', () => {
    const out = haform(['create', 'cluster', 'e.k8s.local', '--zones', 'us-west-2a', '--out', join(work, 'x')]);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toContain('add --target terraform');
    const n = haform(['create', 'cluster', 'e.k8s.local', '--zones', 'us-west-2a', '--node-count', 'abc']);
    expect(n.exitCode).toBe(2);
    expect(n.stderr).toContain('--node-count takes a whole number');
  });

  it('two YAML documents in one file, and absurd nesting, are named for what they are', () => {
    const two = haform(['validate', file('two.yaml', `${cluster('  zones: [us-west-2a]\n')}---\nkind: Other\n`)]);
    expect(rules(two)).toEqual(['error:yaml-multiple-documents']);
    const deep = haform(['validate', file('deep.yaml', `x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`)]);
    expect(rules(deep)).toEqual(['error:yaml-too-deep']);
  });
});

describe('help and warnings name what the user did', () => {
  it('every command\'s help describes its positionals and its exit codes', () => {
    for (const cmd of ['validate', 'generate', 'diff', 'explain', 'create']) {
      const r = haform([cmd, '--help']);
      expect(r.stdout, cmd).toContain('Exit codes: 0');
      expect(r.stdout, cmd).not.toMatch(/^\s{2}\S+\s+\[(string|array)\]/m);
    }
  });

  it('create cluster names a flag the user passed, and a default as the flag that changes it', () => {
    const defaults = haform(['create', 'cluster', 'w.k8s.local', '--zones', 'us-west-2a']);
    expect(defaults.stderr).toContain('warning[single-master] (a default: set --master-count)');
    const passed = haform(['create', 'cluster', 'w.k8s.local', '--zones', 'us-west-2a', '--master-count', '1']);
    expect(passed.stderr).toContain('warning[single-master] (--master-count)');
  });
});
