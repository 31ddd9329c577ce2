import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importKops, readKopsManifests } from '../../src/import/kops.js';
import { buildPlan } from '../../src/model/plan.js';
import { loadClusterFile, loadClusterText } from '../../src/spec/index.js';
import { haform } from './run.js';

/**
 * `haform import kops`: the manifests kops writes for the HA guide's three commands (fixtures/kops/)
 * come back as the cluster haform's own YAML describes, with kops's differing defaults listed.
 */
const work = mkdtempSync(join(tmpdir(), 'haform-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SEEDS = ['public', 'private', 'same-az'] as const;
/** explain up to the workers: zones, masters, members, quorum and what each zone's loss does. */
const controlPlane = (text: string) => text.slice(0, text.indexOf('Workers:'));

describe.each(SEEDS)('import kops: the seed example %s', (seed) => {
  const out = join(work, `${seed}.yaml`);
  const run = () => haform(['import', 'kops', `fixtures/kops/${seed}.yaml`, '--file', out, '--force']);

  it('writes a valid haform YAML whose masters, etcd members, zones and subnets are those of the haform example', () => {
    const r = run();
    expect(r.exitCode, r.stderr).toBe(0);
    const v = haform(['validate', out]);
    expect(v.exitCode, v.stderr).toBe(0);
    const imported = buildPlan(loadClusterFile(out).spec!);
    const example = buildPlan(loadClusterFile(`fixtures/examples/${seed}.yaml`).spec!);
    expect(imported.masters.map((m) => [m.member, m.zone])).toEqual(example.masters.map((m) => [m.member, m.zone]));
    expect(imported.network).toEqual(example.network);
    expect(imported.topology).toBe(example.topology);
    expect(imported.api.dns).toEqual(example.api.dns);
    expect(imported.quorum).toEqual(example.quorum);
  });

  it('explains the control plane exactly as the haform example', () => {
    run();
    const a = haform(['explain', out]);
    const b = haform(['explain', `fixtures/examples/${seed}.yaml`]);
    expect(a.exitCode).toBe(0);
    // The Kubernetes version is the kops cluster's own (its support line differs), the rest is the same.
    const same = (t: string) => controlPlane(t).replace(/networking \w+/, 'networking X').replace(/^Kubernetes .*\n/m, '');
    expect(same(a.stdout)).toBe(same(b.stdout));
  });

  it("lists what it cannot carry, on stderr and in the file's header, and keeps kops's own choices where they differ from haform's defaults", () => {
    const r = run();
    const text = readFileSync(out, 'utf8');
    for (const note of ['IPv6 ranges are not carried', 'not an AMI name']) {
      expect(r.stderr).toContain(note);
      expect(text).toContain(note);
    }
    const spec = loadClusterFile(out).spec!;
    // kops opens SSH and the API to the world by default; the import keeps that, and validation warns.
    expect(spec.sshAccess).toEqual(['0.0.0.0/0']);
    expect(r.stderr).toContain('warning[ssh-open-world]');
    // Today's kops makes a node group per zone, and cilium when --networking is not given.
    expect(spec.nodeGroups).toBe('perZone');
    expect(spec.nodeCount).toBe(3);
    expect(spec.networking).toBe(seed === 'private' ? 'calico' : 'cilium');
  });
});

describe('import kops: mapping and refusals', () => {
  const manifests = (name: string) => readKopsManifests([{ name, text: readFileSync(name, 'utf8') }]);

  it("two masters in one zone: kops's member names a-1, a-2 are listed as renamed to haform's a, a2", () => {
    const { cluster, groups } = manifests('fixtures/kops/same-az.yaml');
    expect(importKops(cluster, groups).notes).toContainEqual(expect.stringContaining('a-1 becomes a, b-1 becomes b, a-2 becomes a2'));
    const { cluster: c1, groups: g1 } = manifests('fixtures/kops/public.yaml');
    expect(importKops(c1, g1).notes.join('\n')).not.toContain('etcd member names');
  });

  it("one node group across the zones (the HA guide's kops) becomes nodeGroups: spread", () => {
    const { cluster, groups } = manifests('fixtures/kops/public.yaml');
    const nodes = groups.filter((g) => g.spec.role !== 'Node');
    nodes.push({ ...groups.find((g) => g.spec.role === 'Node'), metadata: { name: 'nodes' }, spec: { role: 'Node', machineType: 't3.large', minSize: 3, maxSize: 3, subnets: ['us-west-2a', 'us-west-2b', 'us-west-2c'] } });
    const { raw } = importKops(cluster, nodes);
    expect(raw.spec).toMatchObject({ nodeGroups: 'spread', nodeCount: 3, nodeSize: 't3.large' });
  });

  it("an existing VPC and subnets (kops --vpc --subnets --utility-subnets), security groups, labels, dns none, cni and an AMI id carry over", () => {
    const { cluster, groups } = manifests('fixtures/kops/private.yaml');
    cluster.spec.networkID = 'vpc-0a1b2c3d4e5f60718';
    cluster.spec.networking = { cni: {} };
    cluster.spec.topology = { dns: { type: 'None' } };
    cluster.spec.cloudLabels = { team: 'platform' };
    cluster.spec.subnets = cluster.spec.subnets.map((s: any, i: number) => ({ ...s, id: `subnet-0${s.type === 'Utility' ? 'b' : 'a'}00000000000000${(i % 3) + 1}`, cidr: undefined }));
    for (const g of groups) {
      g.spec.image = 'ami-0123456789abcdef0';
      if (g.spec.role === 'Node') g.spec.additionalSecurityGroups = ['sg-0a1b2c3d4e5f60718'];
    }
    const { raw, notes } = importKops(cluster, groups);
    expect(notes.filter((n) => !n.includes('IPv6'))).toEqual([]);
    const { spec, problems } = loadClusterText('i.yaml', JSON.stringify(raw));
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(spec).toMatchObject({
      existingVpc: { id: 'vpc-0a1b2c3d4e5f60718' },
      networking: 'cni',
      dns: undefined,
      image: { kind: 'ami', id: 'ami-0123456789abcdef0' },
      tags: { team: 'platform' },
      additionalSecurityGroups: { masters: [], nodes: ['sg-0a1b2c3d4e5f60718'] },
    });
    expect(spec!.subnets.map((s) => [s.zone, s.id, s.utilityId])).toEqual([
      ['us-west-2a', 'subnet-0a000000000000001', 'subnet-0b000000000000001'],
      ['us-west-2b', 'subnet-0a000000000000002', 'subnet-0b000000000000002'],
      ['us-west-2c', 'subnet-0a000000000000003', 'subnet-0b000000000000003'],
    ]);
  });

  it('autoscaled spot node groups: minSize/maxSize, mixedInstancesPolicy, maxPrice and clusterAutoscaler carry over; what does not map is named', () => {
    const { cluster, groups } = manifests('fixtures/kops/public.yaml');
    cluster.spec.kubernetesVersion = '1.36.5';
    cluster.spec.clusterAutoscaler = { enabled: true, expander: 'priority', balanceSimilarNodeGroups: true, scaleDownUtilizationThreshold: '0.6' };
    for (const g of groups.filter((x) => x.spec.role === 'Node')) {
      Object.assign(g.spec, {
        minSize: 1,
        maxSize: 4,
        maxPrice: '0.07',
        mixedInstancesPolicy: { instances: ['m6i.large', 'm5.large'], onDemandBase: 0, onDemandAboveBase: 10, spotAllocationStrategy: 'capacity-optimized', spotInstancePools: 3 },
      });
    }
    const { raw, notes } = importKops(cluster, groups);
    expect(raw.spec.nodes).toEqual({ minSize: 3, maxSize: 12, mixedInstancesPolicy: { instances: ['m6i.large', 'm5.large'], onDemandBase: 0, onDemandAboveBase: 10, spotAllocationStrategy: 'capacity-optimized' }, maxPrice: '0.07' });
    expect(raw.spec.nodeCount).toBe(3);
    expect(raw.spec.clusterAutoscaler).toEqual({ enabled: true, balanceSimilarNodeGroups: true });
    expect(notes).toEqual(expect.arrayContaining([
      expect.stringContaining('spotInstancePools 3'),
      expect.stringContaining('clusterAutoscaler.expander priority'),
      expect.stringContaining('clusterAutoscaler scaleDownUtilizationThreshold'),
    ]));
    // Not named as dropped any more: the range is carried.
    expect(notes.join('\n')).not.toMatch(/scales 1 to 4|minSize used/);
    const { spec, problems } = loadClusterText('i.yaml', JSON.stringify(raw));
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const plan = buildPlan(spec!);
    // kops's three groups of 1..4 come back as haform's three per-zone groups of 1..4.
    expect(plan.nodeGroups.map((g) => [g.minSize, g.size, g.maxSize])).toEqual([[1, 1, 4], [1, 1, 4], [1, 1, 4]]);
    expect(plan.nodeInstances).toMatchObject({ instances: ['m6i.large', 'm5.large'], onDemandAboveBase: 10, maxPrice: '0.07' });
    expect(plan.clusterAutoscaler?.version).toBe('v1.36.1');
  });

  it('node groups of different ranges or policies: the cluster\'s range, one policy, each difference named', () => {
    const { cluster, groups } = manifests('fixtures/kops/public.yaml');
    const nodes = groups.filter((x) => x.spec.role === 'Node');
    Object.assign(nodes[0]!.spec, { minSize: 1, maxSize: 6, mixedInstancesPolicy: { instances: ['m6i.large'], instanceRequirements: { cpu: { min: '2' } } } });
    const { raw, notes } = importKops(cluster, groups);
    expect(raw.spec.nodes).toMatchObject({ minSize: 3, maxSize: 8 });
    expect(notes).toEqual(expect.arrayContaining([
      expect.stringContaining("haform's range is the cluster's, 3 to 8, spread evenly over the zones"),
      expect.stringContaining('instanceRequirements'),
      expect.stringContaining('mixed instances policies differ between the node groups'),
    ]));
  });

  it('refuses what is not one kops cluster: another tool\'s YAML, no Cluster, no control plane (exit 2, nothing written)', () => {
    const file = join(work, 'none.yaml');
    const dest = join(work, 'never.yaml');
    for (const [text, message] of [
      ['apiVersion: haform.io/v1alpha1\nkind: Cluster\n', 'is not kops'],
      [readFileSync('fixtures/kops/public.yaml', 'utf8').split('\n---\n').slice(1).join('\n---\n'), 'expected one kops Cluster manifest'],
      [readFileSync('fixtures/kops/public.yaml', 'utf8').split('\n---\n')[0]!, 'no control-plane InstanceGroup'],
    ] as const) {
      writeFileSync(file, text);
      const r = haform(['import', 'kops', file, '--file', dest]);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(() => readFileSync(dest)).toThrow();
    }
    writeFileSync(dest, 'mine\n');
    const kept = haform(['import', 'kops', 'fixtures/kops/public.yaml', '--file', dest]);
    expect(kept.exitCode).toBe(1);
    expect(kept.stderr).toContain('Pass --force');
    expect(readFileSync(dest, 'utf8')).toBe('mine\n');
    const missing = haform(['import', 'kops', join(work, 'missing.yaml')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});
