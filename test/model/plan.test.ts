import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { guardStatefulChanges } from '../../src/model/guard.js';
import { statefulInventory } from '../../src/model/inventory.js';
import * as names from '../../src/model/names.js';
import { analyzeWorkers, workerLossText } from '../../src/model/placement.js';
import { buildPlan, spreadNodes } from '../../src/model/plan.js';
import { cniPlan } from '../../src/model/cni.js';
import { minorOf } from '../../src/model/versions.js';
import { defaultSubnetCidrs } from '../../src/model/subnets.js';
import { loadClusterFile, loadClusterText } from '../../src/spec/index.js';

/** What generation reads, decided once from the YAML: every field a generator relies on. */
const planOf = (f: string) => buildPlan(loadClusterFile(f).spec!);

describe('buildPlan', () => {
  it('the large fixture: tags, members, volumes, names, API, bastion', () => {
    const p = planOf('fixtures/valid/large.yaml');
    const c = 'big.prod.example.org';
    expect(p.tags).toMatchObject({ KubernetesCluster: c, [`kubernetes.io/cluster/${c}`]: 'owned' });
    expect(p.masterZones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f']);
    const a2 = p.masters.find((m) => m.member === 'a2')!;
    expect(a2).toEqual({
      member: 'a2',
      zone: 'us-east-1a',
      module: 'master_a2',
      groupName: `master-us-east-1a-2.masters.${c}`,
      volumes: { main: `a2.etcd-main.${c}`, events: `a2.etcd-events.${c}` },
      etcdMemberTag: `a2/${p.etcd.members.join(',')}`,
    });
    expect(p.etcd.members).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'a2']);
    expect(p.api).toEqual({
      internal: true,
      allowedCIDRs: ['10.0.0.0/8', '192.168.10.0/24', '172.16.0.0/12'],
      loadBalancerName: names.loadBalancerName('api', c),
      targetGroupName: names.loadBalancerName('tcp', c),
      dns: { recordName: `api.${c}`, zone: { zoneId: 'Z0123456789ABCDEFGHIJ' } },
      internalName: `api.internal.${c}`,
      // The API's load balancer is internal already: api.internal aliases it, no second one.
      internalLoadBalancer: undefined,
    });
    expect(p.api.loadBalancerName).not.toBe(p.api.targetGroupName);
    expect(p.bastion).toEqual({ groupName: `bastions.${c}` });
    expect(p.roles).toEqual({ masters: `masters.${c}`, nodes: `nodes.${c}`, bastions: `bastions.${c}` });
    expect(p.securityGroups).toEqual({ masters: `masters.${c}`, nodes: `nodes.${c}`, api: `api-elb.${c}`, bastion: `bastion.${c}` });
    expect(p.network.zones.every((z) => z.utility && !z.utility.existingId && !z.subnet.existingId)).toBe(true);
    const utility = statefulInventory(p).find((r) => r.identity === 'utility-subnet/us-east-1a')!;
    expect(utility).toEqual({ address: 'module.network.aws_subnet.utility["us-east-1a"]', identity: 'utility-subnet/us-east-1a', kind: 'subnet', attributes: { availability_zone: 'us-east-1a', cidr_block: p.network.zones[0]!.utility!.cidr, role: 'utility' } });
  });

  it('a public cluster: no bastion, a public API, no utility subnets', () => {
    const p = planOf('fixtures/examples/public.yaml');
    expect(p.network.zones[0]!.subnet).toEqual({ cidr: '172.20.0.0/18' });
    const inventory = statefulInventory(p);
    expect(inventory[0]).toEqual({ address: 'module.network.aws_vpc.main', identity: 'vpc/hacluster.example.com', kind: 'vpc', attributes: { cidr_block: '172.20.0.0/16' } });
    expect(inventory[1]).toEqual({ address: 'module.network.aws_subnet.public["us-west-2a"]', identity: 'subnet/us-west-2a', kind: 'subnet', attributes: { availability_zone: 'us-west-2a', cidr_block: '172.20.0.0/18', role: 'public' }, holdsMasters: ['a'] });
    expect(p.api.internal).toBe(false);
    // api.internal gets an internal load balancer of its own, named apart from the public one.
    expect(p.api.internalLoadBalancer).toEqual({ loadBalancerName: 'api-int-hacluster-example-com', targetGroupName: 'tcp-int-hacluster-example-com' });
    expect(p.bastion).toBeUndefined();
    expect(p.network.zones.map((z) => z.utility)).toEqual([undefined, undefined, undefined]);
  });

  it('alarms: on by default with a topic of the cluster; a topic of the YAML instead; none when off', () => {
    const yaml = (alarms: string) => `apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: a.example.com\nspec:\n  zones: [eu-west-1a]\n${alarms}`;
    const own = buildPlan(loadClusterText('a.yaml', yaml('')).spec!);
    expect(own.alarms).toEqual({
      namespace: 'haform/a.example.com',
      topic: { name: 'a-example-com-alarms' },
      names: { snapshotAge: 'a.example.com-etcd-backup-stale', certificates: 'a.example.com-certificates-expiring', databaseQuota: 'a.example.com-etcd-database-quota' },
      // one alarm per etcd volume of the one master, by its Name tag (the master module's volume)
      volumes: [
        { module: 'master_a', kind: 'main', volumeName: 'a.etcd-main.a.example.com', alarmName: 'a.example.com-etcd-volume-a-main' },
        { module: 'master_a', kind: 'events', volumeName: 'a.etcd-events.a.example.com', alarmName: 'a.example.com-etcd-volume-a-events' },
      ],
    });
    const theirs = buildPlan(loadClusterText('a.yaml', yaml('  alarms: {topicArn: "arn:aws:sns:eu-west-1:111122223333:pager"}\n')).spec!);
    expect(theirs.alarms!.topic).toEqual({ arn: 'arn:aws:sns:eu-west-1:111122223333:pager' });
    expect(buildPlan(loadClusterText('a.yaml', yaml('  alarms: {enabled: false}\n')).spec!).alarms).toBeUndefined();
    // etcd maintains itself: an explicit quota (etcd's suggested maximum) and periodic compaction.
    expect(own.etcd).toMatchObject({ quotaBackendBytes: 8 * 1024 ** 3, compactionRetention: '1h' });
    const etcd = buildPlan(loadClusterText('a.yaml', yaml('  etcd: {quotaBackendBytes: 4294967296, compactionRetention: 30m}\n')).spec!).etcd;
    expect(etcd).toMatchObject({ quotaBackendBytes: 4 * 1024 ** 3, compactionRetention: '30m' });
  });

  it('existing subnets carry their IDs, created ones none', () => {
    const p = planOf('fixtures/valid/existing-subnets.yaml');
    expect(p.network.existingVpc).toEqual({ id: 'vpc-0a1b2c3d4e5f60718', internetGatewayId: undefined });
    expect(p.network.zones.map((z) => [z.subnet.existingId, z.utility?.existingId])).toEqual([1, 2, 3].map((i) => [`subnet-0a00000000000000${i}`, `subnet-0b00000000000000${i}`]));
    expect(p.api.dns).toBeUndefined();
  });

  it('per-zone node groups: one zone each, the count spread, the first zones taking the remainder', () => {
    const { spec } = loadClusterText('n.yaml', 'apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: n.k8s.local\nspec:\n  zones: [eu-west-1a, eu-west-1b, eu-west-1c]\n  masterCount: 3\n  nodeCount: 5\n  nodeGroups: perZone\n');
    expect(buildPlan(spec!).nodeGroups).toEqual([
      { zones: ['eu-west-1a'], size: 2, minSize: 2, maxSize: 2, groupTags: {}, module: 'nodes_a', groupName: 'nodes-eu-west-1a.n.k8s.local' },
      { zones: ['eu-west-1b'], size: 2, minSize: 2, maxSize: 2, groupTags: {}, module: 'nodes_b', groupName: 'nodes-eu-west-1b.n.k8s.local' },
      { zones: ['eu-west-1c'], size: 1, minSize: 1, maxSize: 1, groupTags: {}, module: 'nodes_c', groupName: 'nodes-eu-west-1c.n.k8s.local' },
    ]);
    expect(spreadNodes(7, ['x', 'y', 'z'])).toEqual([{ zone: 'x', size: 3 }, { zone: 'y', size: 2 }, { zone: 'z', size: 2 }]);
  });
});

describe('what a zone loss does to the workers', () => {
  const zones = ['a', 'b', 'c'];
  it('spread over several zones: the group relaunches the lost nodes elsewhere', () => {
    const w = analyzeWorkers('spread', 5, zones);
    expect(w).toEqual([
      { zone: 'a', nodes: 2, remaining: 5, relaunched: true },
      { zone: 'b', nodes: 2, remaining: 5, relaunched: true },
      { zone: 'c', nodes: 1, remaining: 5, relaunched: true },
    ]);
    expect(workerLossText(w[0]!, 5)).toBe('relaunched in the other zones: 5 of 5 back once the group replaces them');
  });

  it('per zone: the zone\'s nodes are lost until it returns; a zone without nodes loses none', () => {
    const w = analyzeWorkers('perZone', 4, zones);
    expect(w.map((x) => [x.nodes, x.remaining, x.relaunched])).toEqual([[2, 2, false], [1, 3, false], [1, 3, false]]);
    expect(workerLossText(w[0]!, 4)).toBe('lost until the zone returns: 2 of 4 remain');
    const few = analyzeWorkers('perZone', 2, zones);
    expect(few[2]).toEqual({ zone: 'c', nodes: 0, remaining: 2, relaunched: false });
    expect(workerLossText(few[2]!, 2)).toBe('no nodes there: 2 of 2 remain');
  });

  it('spread over one zone: nowhere to relaunch', () => {
    expect(analyzeWorkers('spread', 3, ['a'])).toEqual([{ zone: 'a', nodes: 3, remaining: 0, relaunched: false }]);
  });
});

describe('the guard on removals', () => {
  const inv = (f: string) => statefulInventory(planOf(`fixtures/day2/${f}.yaml`));

  it('a zone dropped with its master: the subnet is destroyed while the master runs in it, and only volumes and interfaces are forgotten', () => {
    const before = inv('three-masters');
    const g = guardStatefulChanges(before, before.filter((r) => !/us-east-1c|master_c\./.test(r.address)));
    const subnet = g.destructions.find((d) => d.address === 'module.network.aws_subnet.public["us-east-1c"]')!;
    expect(subnet.reason).toBe('would be destroyed while masters c run in it');
    expect(g.forgets.some((f) => f.includes('aws_subnet'))).toBe(false);
    expect(g.forgets.length).toBeGreaterThan(0);
    for (const f of g.forgets) expect(f).toMatch(/aws_ebs_volume|aws_network_interface/);
  });

  it('a VPC dropped: destroyed, not forgotten; an address reused by another resource is a destruction', () => {
    const before = inv('three-masters');
    const vpc = before.find((r) => r.kind === 'vpc')!;
    expect(guardStatefulChanges([vpc], [])).toEqual({ destructions: [{ address: vpc.address, reason: 'would be destroyed' }], moves: [], forgets: [] });
    const vol = before.find((r) => r.kind === 'etcd-volume')!;
    const g = guardStatefulChanges([vol], [{ ...vol, identity: 'etcd-main/z' }]);
    expect(g.destructions).toHaveLength(1);
    expect(g.forgets).toEqual([]);
  });

  it('a subnet without masters leaves with its zone, unrefused (#25); one with two masters names both when they would move', () => {
    const before = inv('three-masters-private');
    const utility = before.find((r) => r.identity === 'utility-subnet/us-east-1a')!;
    expect(guardStatefulChanges([utility], []).destructions).toEqual([]);
    const twoMasters = statefulInventory(planOf('fixtures/examples/same-az.yaml')).find((r) => r.identity === 'subnet/cn-north-1a')!;
    expect(twoMasters.holdsMasters).toEqual(['a', 'a2']);
    expect(guardStatefulChanges([twoMasters], [{ ...twoMasters, attributes: { ...twoMasters.attributes, role: 'private' } }]).destructions[0]!.reason).toMatch(/^masters a, a2 would move/);
    const existing = statefulInventory(planOf('fixtures/valid/existing-subnets.yaml'));
    expect(new Set(existing.map((r) => r.kind))).toEqual(new Set(['backup-bucket', 'member-interface', 'etcd-volume']));
  });

  it('a renamed cluster: its VPC is the same VPC, its backup bucket a new one (the old goes with the backups)', () => {
    const before = inv('three-masters');
    const { spec } = loadClusterText('r.yaml', readFileSync('fixtures/day2/three-masters.yaml', 'utf8').replace(/name: \S+/, 'name: renamed.k8s.local'));
    const after = statefulInventory(buildPlan(spec!));
    const g = guardStatefulChanges(before, after);
    expect(g.destructions).toEqual([{ address: 'module.bucket.aws_s3_bucket.this', reason: 'bucket_prefix would change from "day2-k8s-local-" to "renamed-k8s-local-", which forces replacement and deletes the etcd backups with the old bucket' }]);
    expect(after.find((r) => r.kind === 'backup-bucket')).toEqual({ address: 'module.bucket.aws_s3_bucket.this', identity: 'backup-bucket', kind: 'backup-bucket', attributes: { bucket_prefix: 'renamed-k8s-local-' } });
    const bucket = before.find((r) => r.kind === 'backup-bucket')!;
    expect(guardStatefulChanges([bucket], []).destructions[0]!.reason).toBe('would be destroyed with the etcd backups in it');
    const twoMasters = statefulInventory(planOf('fixtures/examples/same-az.yaml')).find((r) => r.identity === 'subnet/cn-north-1a')!;
    expect(guardStatefulChanges([twoMasters], []).destructions[0]!.reason).toBe('would be destroyed while masters a, a2 run in it');
  });

  it('sizes: growing is fine, shrinking is refused; a role change moves no master when none runs there', () => {
    const before = inv('three-masters-private');
    const vol = before.find((r) => r.kind === 'etcd-volume')!;
    const grow = guardStatefulChanges([vol], [{ ...vol, attributes: { ...vol.attributes, size: 21 } }]);
    expect(grow.destructions).toEqual([]);
    const same = guardStatefulChanges([vol], [{ ...vol, attributes: { ...vol.attributes, size: 20 } }]);
    expect(same.destructions).toEqual([]);
    expect(guardStatefulChanges([vol], [{ ...vol, attributes: { ...vol.attributes, size: 19 } }]).destructions[0]!.reason).toBe('size would shrink from 20 to 19 GiB: EBS volumes cannot shrink, terraform would replace it and lose its data');
    const utility = before.find((r) => r.identity === 'utility-subnet/us-east-1a')!;
    expect(guardStatefulChanges([utility], [{ ...utility, attributes: { ...utility.attributes, role: 'public' } }]).destructions).toEqual([]);
    const main = before.find((r) => r.identity === 'subnet/us-east-1a')!;
    expect(guardStatefulChanges([main], [{ ...main, attributes: { ...main.attributes, role: 'public' } }]).destructions[0]!.reason).toBe('masters a would move from a private to a public subnet: their instances must be replaced, one at a time');
    expect(guardStatefulChanges([main], [{ ...main, attributes: { ...main.attributes, availability_zone: 'us-east-1b' } }]).destructions[0]!.reason).toBe('availability_zone would change from "us-east-1a" to "us-east-1b", which forces replacement');
  });
});

describe('small model helpers', () => {
  it('minorOf, cniPlan and defaultSubnetCidrs at their edges', () => {
    expect(minorOf('v1.31.4')).toBe('1.31');
    expect(minorOf('1.30')).toBe('1.30');
    expect(cniPlan('cni')).toEqual({ manifest: '', podSubnet: '100.96.0.0/11' });
    expect(() => cniPlan('nope')).toThrow('internal: no CNI plan for networking nope');
    expect(defaultSubnetCidrs('10.0.0.0/16', [], false)).toBeUndefined();
    expect(defaultSubnetCidrs('nope', ['a'], false)).toBeUndefined();
  });

  const cluster = (extra: string) =>
    `apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: s.k8s.local\nspec:\n  zones: [eu-west-1a, eu-west-1b, eu-west-1c]\n  masterCount: 3\n  kubernetesVersion: 1.36.5\n${extra}`;

  it('a size range per zone: min, size and max spread alike, so each group holds min <= size <= max', () => {
    const { spec, problems } = loadClusterText('s.yaml', cluster('  nodeCount: 4\n  nodeGroups: perZone\n  nodes: { minSize: 3, maxSize: 10 }\n  clusterAutoscaler: { enabled: true }\n'));
    expect(problems.map((x) => x.rule)).toEqual(['api-open-world']);
    const p = buildPlan(spec!);
    expect(p.nodeGroups.map((g) => [g.minSize, g.size, g.maxSize])).toEqual([[1, 2, 4], [1, 1, 3], [1, 1, 3]]);
    expect(p.nodeGroups.every((g) => g.minSize <= g.size && g.size <= g.maxSize)).toBe(true);
    expect(p.nodesScale).toBe(true);
    // Scaling groups carry both discovery tags; none may be at zero, so no node template.
    expect(p.nodeGroups[0]!.groupTags).toEqual({ 'k8s.io/cluster-autoscaler/enabled': 'true', 'k8s.io/cluster-autoscaler/s.k8s.local': 'owned' });
    expect(p.clusterAutoscaler).toEqual({ version: 'v1.36.1', expander: 'least-waste', balanceSimilarNodeGroups: true, discoveryTags: ['k8s.io/cluster-autoscaler/enabled', 'k8s.io/cluster-autoscaler/s.k8s.local'] });
  });

  it('a group that may be at zero tells the autoscaler its storage; a fixed group carries no autoscaler tag', () => {
    const p = buildPlan(loadClusterText('s.yaml', cluster('  nodeCount: 2\n  nodes: { minSize: 0, maxSize: 6 }\n')).spec!);
    expect(p.nodeGroups).toHaveLength(1);
    expect(p.nodeGroups[0]!.groupTags['k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage']).toBe('56Gi');
    expect(p.clusterAutoscaler).toBeUndefined();
    // perZone with max 4 over 3 zones: the first zone's group scales (1..2), the others are fixed at 1.
    const q = buildPlan(loadClusterText('s.yaml', cluster('  nodeCount: 3\n  nodeGroups: perZone\n  nodes: { minSize: 3, maxSize: 4 }\n')).spec!);
    expect(q.nodeGroups.map((g) => Object.keys(g.groupTags).length)).toEqual([2, 0, 0]);
    const fixed = buildPlan(loadClusterText('s.yaml', cluster('  nodeCount: 3\n')).spec!);
    expect([fixed.nodesScale, fixed.nodeGroups[0]!.groupTags, fixed.nodeInstances]).toEqual([false, {}, undefined]);
  });

  it('maxPrice alone makes every node spot, of nodeSize; a mixed policy keeps AWS\'s on-demand default', () => {
    const spot = buildPlan(loadClusterText('s.yaml', cluster('  nodeSize: m6i.large\n  nodes: { maxPrice: "0.05" }\n')).spec!);
    expect(spot.nodeInstances).toEqual({ instances: ['m6i.large'], onDemandBase: 0, onDemandAboveBase: 0, spotAllocationStrategy: 'price-capacity-optimized', maxPrice: '0.05' });
    const mixed = buildPlan(loadClusterText('s.yaml', cluster('  nodes:\n    mixedInstancesPolicy: { instances: [m6i.large, m5.large] }\n')).spec!);
    expect(mixed.nodeInstances).toEqual({ instances: ['m6i.large', 'm5.large'], onDemandBase: 0, onDemandAboveBase: 100, spotAllocationStrategy: 'price-capacity-optimized', maxPrice: undefined });
  });
});
