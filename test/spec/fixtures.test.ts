import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadClusterFile } from '../../src/spec/index.js';

const dir = (d: string) => new URL(`../../fixtures/${d}/`, import.meta.url);
const files = (d: string) => readdirSync(dir(d)).filter((f) => f.endsWith('.yaml')).sort();

describe('seed examples', () => {
  it.each(files('examples'))('%s is valid', (f) => {
    const { spec, problems } = loadClusterFile(new URL(f, dir('examples')).pathname);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(spec).toBeDefined();
  });

  it('public example: three masters, one per zone, kops subnets', () => {
    const { spec } = loadClusterFile(new URL('public.yaml', dir('examples')).pathname);
    expect(spec).toMatchObject({
      region: 'us-west-2',
      masterCount: 3,
      masterZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
      topology: 'public',
      dns: { zoneName: 'example.com' },
      etcd: { volumeType: 'gp3', volumeIops: 3000, volumeThroughput: 125, preventDestroy: true },
    });
    expect(spec!.subnets.map((s) => s.cidr)).toEqual(['172.20.0.0/18', '172.20.64.0/18', '172.20.128.0/18']);
  });

  it('same-az example: gossip cluster without DNS in cn-north-1, warned that one zone holds a majority', () => {
    const { spec, problems } = loadClusterFile(new URL('same-az.yaml', dir('examples')).pathname);
    expect(spec!.dns).toBeUndefined();
    expect(spec!.region).toBe('cn-north-1');
    expect(problems.map((p) => p.rule)).toContain('az-loss-breaks-quorum');
    expect(problems.find((p) => p.rule === 'az-loss-breaks-quorum')!.message).toContain('cn-north-1a holds 2 of 3');
  });
});

describe('warnings', () => {
  it('SSH open to the world warns like the open API, at the entry', async () => {
    const { loadClusterText } = await import('../../src/spec/index.js');
    const yaml = 'apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: s.example.com\nspec:\n  zones: [eu-west-1a]\n  sshAccess: [10.0.0.0/8, 0.0.0.0/0]\n';
    const { spec, problems } = loadClusterText('s.yaml', yaml);
    expect(spec).toBeDefined();
    expect(problems.find((p) => p.rule === 'ssh-open-world')).toMatchObject({ severity: 'warning', line: 7 });
  });

  it('a bastion with no sshAccess is reachable by nobody: warned, still valid', async () => {
    const { loadClusterText } = await import('../../src/spec/index.js');
    const yaml = 'apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: b.example.com\nspec:\n  zones: [eu-west-1a]\n  topology: private\n  networking: calico\n  bastion: true\n';
    const { spec, problems } = loadClusterText('b.yaml', yaml);
    expect(spec).toBeDefined();
    expect(problems.find((p) => p.rule === 'bastion-without-ssh-access')).toMatchObject({ severity: 'warning', line: 9 });
  });
});

describe('hints', () => {
  it('an unquoted version is a number to YAML: the hint quotes it as written (1.30, not 1.3)', async () => {
    const { loadClusterText } = await import('../../src/spec/index.js');
    const yaml = 'apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: v.example.com\nspec:\n  zones: [eu-west-1a]\n  kubernetesVersion: 1.30\n';
    const { spec, problems } = loadClusterText('v.yaml', yaml);
    expect(spec).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({ rule: 'schema-type', line: 7, message: '`spec.kubernetesVersion` must be a string; YAML reads the unquoted 1.30 as the number 1.3', hint: 'quote it: kubernetesVersion: "1.30"' }),
    ]);
  });
});

describe('hints, from the schema', () => {
  const load = async (extra: string) => {
    const { loadClusterText } = await import('../../src/spec/index.js');
    return loadClusterText('h.yaml', `apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: h.example.com\nspec:\n  zones: [eu-west-1a]\n${extra}`).problems;
  };
  it("a section's field written beside it: move it there, not remove it", async () => {
    expect(await load('  volumeSize: 50\n')).toEqual([expect.objectContaining({ rule: 'schema-unknown-field', hint: 'move it under `spec.etcd`' })]);
  });
  it('a value of the wrong form: what the field takes in words and an example, no regular expression, no ".,"', async () => {
    const [p] = await load('  region: us_west\n');
    expect(p).toMatchObject({ rule: 'schema-pattern', message: '`spec.region` is not in the form it takes; got "us_west"' });
    expect(p!.hint).toMatch(/; for example "us-west-2"$/);
    expect(`${p!.message} ${p!.hint}`).not.toMatch(/\^|\$"|\.,/);
  });
});

describe('invalid fixtures', () => {
  const invalid = files('invalid');
  it('there are at least 20', () => expect(invalid.length).toBeGreaterThanOrEqual(20));

  it.each(invalid)('%s reports its rule at its line', (f) => {
    const path = new URL(f, dir('invalid')).pathname;
    const expected = [...readFileSync(path, 'utf8').matchAll(/^# expect: (\S+) line (\d+)$/gm)].map((m) => ({ rule: m[1], line: Number(m[2]) }));
    expect(expected.length).toBeGreaterThan(0);
    const { spec, problems } = loadClusterFile(path);
    expect(spec).toBeUndefined();
    const errors = problems.filter((p) => p.severity === 'error');
    for (const e of expected) {
      expect(errors.map((p) => ({ rule: p.rule, line: p.line }))).toContainEqual(e);
    }
    for (const p of problems) {
      expect(p.file).toBe(path);
      expect(p.message.length).toBeGreaterThan(10);
      expect(p.hint.length).toBeGreaterThan(5);
    }
  });
});
