import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/spec/rules.js';
import type { RawCluster } from '../../src/spec/types.js';

/**
 * Every rule, branch by branch, in-process (so that mutation testing reaches it): each case names
 * the exact findings a YAML gets (severity, rule, field) and what its message and hint must say.
 * A rule that fires too often, too rarely, at the wrong field or with an empty text fails here.
 */
interface Finding {
  severity: string;
  rule: string;
  at: string;
  message: string;
  hint: string;
}

const BASE: RawCluster['spec'] = { zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], masterCount: 3, api: { allowedCIDRs: ['10.0.0.0/8'] } };

function check(patch: Partial<RawCluster['spec']>, name = 'c.example.com'): Finding[] {
  const spec = { ...BASE, ...patch } as RawCluster['spec'];
  for (const k of Object.keys(spec) as (keyof typeof spec)[]) if (spec[k] === undefined) delete spec[k];
  const raw: RawCluster = { apiVersion: 'haform.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec };
  const found: Finding[] = [];
  for (const rule of RULES) rule(raw, (path, severity, id, message, hint) => found.push({ severity, rule: id, at: path.join('.'), message, hint }));
  return found;
}

/** `error cidr-invalid spec.networkCIDR`, and fragments its message and hint must contain. */
type Expect = [string, string?, string?];
process.env.HAFORM_TODAY = '2026-12-02';
const E = (what: string, message?: string, hint?: string): Expect => [what, message, hint];

function expectFindings(found: Finding[], expected: Expect[]): void {
  expect(found.map((f) => `${f.severity} ${f.rule} ${f.at}`)).toEqual(expected.map(([w]) => w));
  expected.forEach(([, message, hint], i) => {
    expect(found[i]!.message.length).toBeGreaterThan(15);
    expect(found[i]!.hint.length).toBeGreaterThan(8);
    if (message) expect(found[i]!.message).toContain(message);
    if (hint) expect(found[i]!.hint).toContain(hint);
  });
}

const cases: [string, Partial<RawCluster['spec']>, Expect[], string?][] = [
  ['the base cluster is clean', {}, []],
  // names
  ['a single label is no DNS name', {}, [E('error cluster-name-invalid metadata.name', 'cluster name "single"', 'hacluster.example.com')], 'single'],
  ['upper case is no DNS name', {}, [E('error cluster-name-invalid metadata.name', 'Bad.example.com')], 'Bad.example.com'],
  ['a label may not start with a hyphen', {}, [E('error cluster-name-invalid metadata.name')], '-a.example.com'],
  ['a label may not end with a hyphen', {}, [E('error cluster-name-invalid metadata.name')], 'a-.example.com'],
  ['two short labels are a name', {}, [], 'a.b'],
  // zones
  ['a zone name without a letter', { zones: ['eu-west-1', 'eu-west-1b', 'eu-west-1c'] }, [E('error zone-name-invalid spec.zones.0', '"eu-west-1"', 'us-west-2a')]],
  ['a zone its region lacks', { zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1q'] }, [E('error zone-unknown spec.zones.2', 'eu-west-1 has no zone eu-west-1q', 'eu-west-1a, eu-west-1b, eu-west-1c')]],
  ['an unknown region warns once, at its first zone', { zones: ['xx-moon-1a', 'xx-moon-1b', 'xx-moon-1c'] }, [E('warning region-unknown spec.zones.0', 'region xx-moon-1 is not in', 'describe-availability-zones')]],
  ['a zone listed twice', { zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1a'], masterZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }, [E('error zone-duplicate spec.zones.3', 'zone eu-west-1a is listed twice', 'list each zone once')]],
  ['zones of two regions: reported at the first zone of the second region', { zones: ['eu-west-1a', 'us-east-1a', 'us-east-1b'] }, [E('error zone-region-mismatch spec.zones.1', 'zone us-east-1a is in us-east-1, but eu-west-1a is in eu-west-1')]],
  ['a region that does not hold the zones', { region: 'us-east-1' }, [E('error zone-region-mismatch spec.region', 'region us-east-1 does not hold the zones, which are in eu-west-1', 'set region: eu-west-1')]],
  ['the region of the zones', { region: 'eu-west-1' }, []],
  ['zones of two regions and a region: the zones are what is wrong', { zones: ['eu-west-1a', 'us-east-1a', 'us-east-1b'], region: 'us-east-1' }, [E('error zone-region-mismatch spec.zones.1')]],
  // masters
  ['a master zone outside the zones', { masterZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-2a'] }, [E('error master-zone-unknown spec.masterZones.2', 'master zone eu-west-2a is not among the zones (eu-west-1a, eu-west-1b, eu-west-1c)', 'add eu-west-2a to spec.zones')]],
  ['a master zone listed twice', { masterCount: 5, masterZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1a'] }, [E('error zone-duplicate spec.masterZones.3', 'master zone eu-west-1a is listed twice', 'masterCount')]],
  ['fewer masters than master zones', { masterCount: 1, masterZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }, [E('error master-count-below-zones spec.masterCount', 'masterCount 1 is below the 3 master zones', 'at least 3'), E('warning single-master spec.masterCount', 'not highly available')]],
  ['4 masters: even', { masterCount: 4 }, [E('error etcd-even-members spec.masterCount', '4 masters make 4 etcd members: quorum is 3, so it tolerates 1 failed member(s), no more than 3 members would', '(3 or 5)')]],
  ['2 masters: even, counted at masterZones when that is what the YAML gives', { masterCount: undefined, masterZones: ['eu-west-1a', 'eu-west-1b'] }, [E('error etcd-even-members spec.masterZones', 'quorum is 2, so it tolerates 0 failed member(s), no more than 1 members would', '(1 or 3)')]],
  ['9 masters: many members', { masterCount: 9 }, [E('warning etcd-many-members spec.masterCount', '9 etcd members: every write waits for 5 of them', 'at most')]],
  ['7 masters: the most etcd recommends', { masterCount: 7 }, []],
  ['no nodes', { nodeCount: 0 }, [E('warning no-nodes spec.nodeCount', 'no worker nodes', 'at least 2')]],
  ['one node', { nodeCount: 1 }, []],
  ['one master, nothing else given: warned at the zones', { zones: ['eu-west-1a'], masterCount: undefined }, [E('warning single-master spec.zones', 'one master is not highly available', '3 masters in 3 zones')]],
  ['3 masters in 2 zones: only the zone with two members breaks quorum', { zones: ['eu-west-1a', 'eu-west-1b'] }, [E('warning az-loss-breaks-quorum spec.masterCount', 'zone eu-west-1a holds 2 of 3 etcd members (a, a2): losing it leaves 1, below the quorum of 2', 'at least 3 zones')]],
  ['5 masters in 3 zones: no zone holds a majority', { masterCount: 5 }, []],
  ['3 masters for 5 master zones: the count error only, no zone analysis', { zones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e'], masterZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e'] }, [E('error master-count-below-zones spec.masterCount', 'masterCount 3 is below the 5 master zones')]],
  // networking, bastion
  ['private topology with the default networking', { topology: 'private' }, [E('error private-kubenet spec.topology', 'kubenet', 'calico')]],
  ['private topology with kubenet named', { topology: 'private', networking: 'kubenet' }, [E('error private-kubenet spec.networking')]],
  ['private topology with kindnet', { topology: 'private', networking: 'kindnet' }, [E('error private-kindnet spec.networking', 'one per zone', 'calico')]],
  ['private topology with calico', { topology: 'private', networking: 'calico' }, []],
  ['weave, archived upstream', { networking: 'weave' }, [E('error networking-archived spec.networking', 'archived upstream', 'calico or flannel')]],
  ['a bastion in public topology', { bastion: true }, [E('error bastion-requires-private spec.bastion', 'private topology', 'topology: private')]],
  ['a bastion nobody may reach', { topology: 'private', networking: 'calico', bastion: true }, [E('warning bastion-without-ssh-access spec.bastion', 'accepts no SSH', 'spec.sshAccess')]],
  ['a bastion with SSH access', { topology: 'private', networking: 'calico', bastion: true, sshAccess: ['10.0.0.0/8'] }, []],
  ['a Kubernetes minor without pinned controllers', { kubernetesVersion: '1.29.0' }, [E('error kubernetes-version-unsupported spec.kubernetesVersion', "Kubernetes 1.29 is not in haform's version table", 'use 1.37.2')]],
  ['a Kubernetes minor kubeadm v1beta4 cannot configure', { kubernetesVersion: '1.30.14' }, [E('error kubernetes-version-unsupported spec.kubernetesVersion', '1.31 to 1.37')]],
  ['a minor newer than the table', { kubernetesVersion: '1.38.0' }, [E('error kubernetes-version-unsupported spec.kubernetesVersion')]],
  ['a patch that was never released', { kubernetesVersion: '1.34.999' }, [E('error kubernetes-patch-unknown spec.kubernetesVersion', 'the newest 1.34 patch is 1.34.12', 'use 1.34.12')]],
  ['an end-of-life minor: allowed, to step off it', { kubernetesVersion: '1.34.12' }, [E('warning kubernetes-end-of-life spec.kubernetesVersion', '1.34 reached its end of life on 2026-10-27', 'next: 1.35.9')]],
  ['a supported Kubernetes version', { kubernetesVersion: '1.37.2' }, []],
  ['a supported version with a leading v', { kubernetesVersion: 'v1.36.5' }, []],
  // DNS
  ['a hosted zone for a gossip name', { dns: { zoneName: 'k8s.local' } }, [E('error gossip-with-dns spec.dns', 'c.k8s.local ends in .k8s.local', 'remove spec.dns')], 'c.k8s.local'],
  ['a hosted zone id for a gossip name', { dns: { zoneId: 'Z0123456789ABCDEFGHIJ' } }, [E('error gossip-with-dns spec.dns')], 'c.k8s.local'],
  ['dns none for a gossip name is redundant, not wrong', { dns: { none: true } }, [], 'c.k8s.local'],
  ['a hosted zone that is not a suffix of the name', { dns: { zoneName: 'other.com' } }, [E('error dns-zone-mismatch spec.dns.zoneName', 'api.c.example.com cannot live in the hosted zone other.com', 'e.g. example.com')]],
  ['a suffix that does not end at a label', { dns: { zoneName: 'ample.com' } }, [E('error dns-zone-mismatch spec.dns.zoneName')]],
  ['the parent zone, with its trailing dot', { dns: { zoneName: 'example.com.' } }, []],
  // access lists
  ['an API range with host bits', { api: { allowedCIDRs: ['10.0.0.1/8'] } }, [E('error access-cidr-invalid spec.api.allowedCIDRs.0', '10.0.0.1/8 has host bits set', 'write 10.0.0.0/8, or 10.0.0.1/32')]],
  ['an SSH entry that is no CIDR', { sshAccess: ['nope'] }, [E('error access-cidr-invalid spec.sshAccess.0', '"nope" is not an IPv4 CIDR', 'a.b.c.d/32')]],
  ['SSH open to the world, public topology', { sshAccess: ['10.0.0.0/8', '0.0.0.0/0'] }, [E('warning ssh-open-world spec.sshAccess.1', 'SSH to the masters and nodes is open', 'Session Manager')]],
  ['SSH open to the world, through the bastion', { topology: 'private', networking: 'calico', bastion: true, sshAccess: ['0.0.0.0/0'] }, [E('warning ssh-open-world spec.sshAccess.0', 'SSH to the bastion is open')]],
  ['the API open by default: warned at the spec', { api: undefined }, [E('warning api-open-world spec', 'whole internet', 'spec.api.allowedCIDRs')]],
  ['the API opened explicitly', { api: { allowedCIDRs: ['0.0.0.0/0'] } }, [E('warning api-open-world spec.api.allowedCIDRs')]],
  ['an internal API load balancer open to its VPC peers', { api: { loadBalancerType: 'internal', allowedCIDRs: ['0.0.0.0/0'] } }, []],
  ['an internal API load balancer by default ranges', { api: { loadBalancerType: 'internal' } }, []],
  // etcd volumes
  ['throughput on gp2', { etcd: { volumeType: 'gp2', volumeThroughput: 200 } }, [E('error etcd-volume-options spec.etcd.volumeThroughput', 'volumeType is gp2', 'volumeType: gp3'), E('warning etcd-gp2 spec.etcd.volumeType')]],
  ['throughput on gp3', { etcd: { volumeThroughput: 200 } }, []],
  ['IOPS on gp2', { etcd: { volumeType: 'gp2', volumeIops: 3000 } }, [E('error etcd-volume-options spec.etcd.volumeIops', 'gp2 volumes take no provisioned IOPS'), E('warning etcd-gp2 spec.etcd.volumeType')]],
  ['gp2 alone: its baseline at the default size', { etcd: { volumeType: 'gp2' } }, [E('warning etcd-gp2 spec.etcd.volumeType', 'gp2 volumes of 20 GiB have a baseline of 100 IOPS', 'volumeType: gp3')]],
  ['gp2 of 200 GiB: 600 IOPS, still credits', { etcd: { volumeType: 'gp2', volumeSize: 200 } }, [E('warning etcd-gp2 spec.etcd.volumeType', 'baseline of 600 IOPS')]],
  ['io1 without IOPS', { etcd: { volumeType: 'io1' } }, [E('error etcd-volume-options spec.etcd.volumeType', 'io1 volumes need volumeIops', 'add volumeIops')]],
  ['io2 without IOPS', { etcd: { volumeType: 'io2' } }, [E('error etcd-volume-options spec.etcd.volumeType', 'io2 volumes need volumeIops')]],
  ['io2 with fewer IOPS than etcd asks for', { etcd: { volumeType: 'io2', volumeIops: 100 } }, [E('warning etcd-slow-disk spec.etcd.volumeIops', '100 IOPS is below the 500', 'volumeIops to 500 or more')]],
  ['io1 at 500 IOPS', { etcd: { volumeType: 'io1', volumeIops: 500 } }, []],
  ['gp3 under its baseline', { etcd: { volumeIops: 2999 } }, [E('error etcd-volume-options spec.etcd.volumeIops', 'got 2999', '3000 or more')]],
  ['gp3 at its baseline', { etcd: { volumeIops: 3000 } }, []],
  // etcd's quota against its main volume: the database, a copy of it, the WAL
  ['the default 8 GiB quota on the default 20 GiB volume', { etcd: { volumeSize: 20 } }, []],
  ['the default quota on a volume of 16 GiB: warned at the size', { etcd: { volumeSize: 16 } }, [E('warning etcd-quota-volume spec.etcd.volumeSize', 'a quota of 8 GiB does not fit a main volume of 16 GiB', 'set volumeSize to 17 or more, or quotaBackendBytes to 7516192768 or less')]],
  ['an explicit quota too large: warned at the quota', { etcd: { quotaBackendBytes: 12 * 1024 ** 3 } }, [E('warning etcd-quota-volume spec.etcd.quotaBackendBytes', 'a quota of 12 GiB', 'set volumeSize to 25 or more')]],
  ['a small quota on a small volume', { etcd: { volumeSize: 5, quotaBackendBytes: 2 * 1024 ** 3 } }, []],
  // alarms
  ['alarms to a topic of the cluster\'s region', { alarms: { topicArn: 'arn:aws:sns:eu-west-1:111122223333:ops' } }, []],
  ['alarms to a topic of another region', { alarms: { topicArn: 'arn:aws:sns:us-east-1:111122223333:ops' } }, [E('error alarms-topic-region spec.alarms.topicArn', 'the topic is in us-east-1, the cluster in eu-west-1', 'use a topic in eu-west-1')]],
  ['a topic with the alarms off', { alarms: { enabled: false, topicArn: 'arn:aws:sns:eu-west-1:111122223333:ops' } }, [E('warning alarms-topic-unused spec.alarms.topicArn', 'alarms.enabled is false')]],
  ['alarms off', { alarms: { enabled: false } }, []],
  // instance types
  ['a mistyped size of a known family', { masterSize: 't3.mediun' }, [E('error instance-type-unknown spec.masterSize', 'masterSize t3.mediun is not an EC2 instance type: t3 comes in nano, micro, small, medium', 'did you mean t3.medium?')]],
  ['a master below kubeadm\'s minimum', { masterSize: 't3.micro' }, [E('error master-too-small spec.masterSize', 'masterSize t3.micro has 2 vCPU and 1 GiB', 't3.medium')]],
  ['a master of one vCPU', { masterSize: 't2.small' }, [E('error master-too-small spec.masterSize', '1 vCPU and 2 GiB')]],
  ['a master at the minimum', { masterSize: 't3.small' }, []],
  ['a node of half a GiB warns', { nodeSize: 't3.nano' }, [E('warning node-too-small spec.nodeSize', 'nodeSize t3.nano has 0.5 GiB')]],
  ['a Graviton type with the default amd64 image', { nodeSize: 'm7g.large' }, [E('error instance-arch-mismatch spec.nodeSize', 'nodeSize m7g.large is arm64, but the image is amd64', '/arm64/')]],
  // node capacity: kops's minSize <= nodeCount <= maxSize, and what scales it
  ['a range around nodeCount, scaled by the cluster-autoscaler of 1.36', { kubernetesVersion: '1.36.5', nodeCount: 3, nodes: { minSize: 2, maxSize: 10 }, clusterAutoscaler: { enabled: true } }, []],
  ['minSize above maxSize: reported at minSize', { nodes: { minSize: 5, maxSize: 3 } }, [E('error node-size-range spec.nodes.minSize', 'nodes.minSize 5 is above nodes.maxSize 3', 'at most 3')]],
  ['nodeCount below minSize: reported at nodeCount', { nodeCount: 1, nodes: { minSize: 2, maxSize: 4 } }, [E('error node-size-range spec.nodeCount', 'nodeCount 1 is below nodes.minSize 2', 'set nodeCount to at least 2'), E('warning node-range-unscaled spec.nodes')]],
  ['nodeCount above maxSize: reported at nodeCount', { nodeCount: 5, nodes: { maxSize: 4 } }, [E('error node-size-range spec.nodeCount', 'nodeCount 5 is above nodes.maxSize 4', 'at most 4')]],
  ['the default nodeCount (2) above maxSize 1: nodeCount follows the range, no error', { nodes: { maxSize: 1 } }, []],
  ['only minSize: nodeCount and maxSize follow it, a fixed group', { nodes: { minSize: 4 } }, []],
  ['a range without nodeCount: nodeCount is minSize; nothing scales the range', { nodes: { minSize: 3, maxSize: 6 } }, [E('warning node-range-unscaled spec.nodes', 'may scale from 3 to 6, but nothing in this cluster scales them', 'clusterAutoscaler.enabled: true')]],
  ['the autoscaler with nothing to scale', { kubernetesVersion: '1.36.5', nodeCount: 3, clusterAutoscaler: { enabled: true } }, [E('warning autoscaler-without-range spec.clusterAutoscaler.enabled', 'fixed at 3 node(s)', 'nodes.minSize and nodes.maxSize')]],
  ['the autoscaler of a minor upstream has not released (1.37, the default)', { nodes: { minSize: 1, maxSize: 5 }, clusterAutoscaler: { enabled: true } }, [E('error cluster-autoscaler-unreleased spec.clusterAutoscaler.enabled', 'no cluster-autoscaler 1.37 release', 'run Kubernetes 1.36')]],
  ['the autoscaler switched off is no autoscaler', { nodes: { minSize: 1, maxSize: 5 }, clusterAutoscaler: { enabled: false } }, [E('warning node-range-unscaled spec.nodes')]],
  ['no nodes, but an autoscaler that may add them: no warning', { kubernetesVersion: '1.36.5', nodeCount: 0, nodes: { minSize: 0, maxSize: 5 }, clusterAutoscaler: { enabled: true } }, []],
  ['no nodes and no autoscaler: still warned', { nodeCount: 0, nodes: { minSize: 0, maxSize: 5 } }, [E('warning no-nodes spec.nodeCount'), E('warning node-range-unscaled spec.nodes')]],
  // mixed instances: each type checked as nodeSize is, and one shape
  ['mixed instances of one shape', { nodes: { mixedInstancesPolicy: { instances: ['m6i.large', 'm5.large', 'm5a.large'], onDemandAboveBase: 0 } } }, []],
  ['a mixed instance mistyped', { nodes: { mixedInstancesPolicy: { instances: ['m6i.large', 'm5.lrage'] } } }, [E('error instance-type-unknown spec.nodes.mixedInstancesPolicy.instances.1', 'instance m5.lrage is not an EC2 instance type', 'did you mean m5.large?')]],
  ['a Graviton mixed instance with the amd64 image', { nodes: { mixedInstancesPolicy: { instances: ['m6i.large', 'm7g.large'] } } }, [E('error instance-arch-mismatch spec.nodes.mixedInstancesPolicy.instances.1', 'instance m7g.large is arm64, but the image is amd64', '/arm64/')]],
  ['mixed instances of different shapes', { nodes: { mixedInstancesPolicy: { instances: ['m6i.large', 'm6i.xlarge'] } } }, [E('warning mixed-instances-unequal spec.nodes.mixedInstancesPolicy.instances.1', 'm6i.xlarge has 4 vCPU and 16 GiB, m6i.large 2 vCPU and 8 GiB', '2 vCPU and 8 GiB')]],
  ['a mixed instance haform does not list', { nodes: { mixedInstancesPolicy: { instances: ['m6i.large', 'm9z.large'] } } }, [E('warning instance-type-unlisted spec.nodes.mixedInstancesPolicy.instances.1', 'instance m9z.large')]],
  ['the cluster-autoscaler\'s tags are haform\'s to set', { tags: { 'k8s.io/cluster-autoscaler/enabled': 'true' } }, [E('error tag-key-reserved spec.tags.k8s.io/cluster-autoscaler/enabled', 'the masters\' groups too', 'nodes.minSize < nodes.maxSize')]],
  ['a Graviton type with the arm64 image', { masterSize: 'm7g.large', nodeSize: 't4g.medium', image: '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id' }, []],
  ['a Graviton type with an AMI id: its architecture is not known here', { masterSize: 'm7g.large', image: 'ami-0123456789abcdef0' }, []],
  ['a type newer than the table warns, names the table\'s date', { masterSize: 'm9i.large' }, [E('warning instance-type-unlisted spec.masterSize', 'not in haform\'s instance-type table (', 'describe-instance-types')]],
  ['a size the table lacks in a known family warns, not refused', { nodeSize: 'm6i.metal' }, [E('warning instance-type-unlisted spec.nodeSize')]],
  // the VPC's ranges
  ['a networkCIDR that is no CIDR', { networkCIDR: 'x' }, [E('error cidr-invalid spec.networkCIDR', 'networkCIDR "x" is not an IPv4 CIDR', 'a.b.c.d/n')]],
  ['a networkCIDR with host bits', { networkCIDR: '10.0.0.1/16' }, [E('error cidr-invalid spec.networkCIDR', 'networkCIDR 10.0.0.1/16 has host bits set', 'write the network address: 10.0.0.0/16')]],
  ['a /15 VPC', { networkCIDR: '10.0.0.0/15' }, [E('error network-cidr-too-small spec.networkCIDR', 'got /15', '/16 to /20')]],
  ['a /29 VPC', { networkCIDR: '10.0.0.0/29' }, [E('error network-cidr-too-small spec.networkCIDR', 'got /29')]],
  ['a /16 VPC', { networkCIDR: '10.0.0.0/16' }, []],
  ['a /28 VPC for one public zone', { zones: ['eu-west-1a'], masterCount: 1, networkCIDR: '10.0.0.0/28' }, [E('warning single-master spec.masterCount')]],
  ['a /28 VPC for three zones', { networkCIDR: '10.0.0.0/28' }, [E('error network-cidr-too-small spec.networkCIDR', 'too small to split into subnets for 3 zone(s)', 'larger networkCIDR')]],
  ['a /28 VPC for one private zone', { zones: ['eu-west-1a'], masterCount: 1, topology: 'private', networking: 'calico', networkCIDR: '10.0.0.0/28' }, [E('warning single-master spec.masterCount'), E('error network-cidr-too-small spec.networkCIDR')]],
  ['an additional CIDR that is no CIDR', { network: { additionalCIDRs: ['x'] } }, [E('error cidr-invalid spec.network.additionalCIDRs.0', 'additional CIDR "x"')]],
  ['an additional CIDR with host bits', { network: { additionalCIDRs: ['10.1.0.1/16'] } }, [E('error cidr-invalid spec.network.additionalCIDRs.0', 'additional CIDR 10.1.0.1/16 has host bits set')]],
  ['an additional /8', { network: { additionalCIDRs: ['10.0.0.0/8'] } }, [E('error network-cidr-too-small spec.network.additionalCIDRs.0', 'got /8')]],
  ['an additional CIDR inside the VPC\'s', { networkCIDR: '10.0.0.0/16', network: { additionalCIDRs: ['10.1.0.0/16', '10.0.128.0/17'] } }, [E('error network-cidr-overlap spec.network.additionalCIDRs.1', '10.0.128.0/17 overlaps 10.0.0.0/16', 'own addresses')]],
  ['an additional CIDR beside the VPC\'s', { networkCIDR: '10.0.0.0/16', network: { additionalCIDRs: ['10.1.0.0/16'] } }, []],
  ['an internet gateway without the VPC', { network: { internetGatewayId: 'igw-0a1b2c3d4e5f60718' } }, [E('error network-gateway-without-vpc spec.network.internetGatewayId', 'network.vpcId', 'remove internetGatewayId')]],
  ['an existing VPC with created subnets and no networkCIDR', { network: { vpcId: 'vpc-0a1b2c3d4e5f60718' } }, [E('error network-cidr-required spec.network.vpcId', 'networkCIDR is not set', "VPC's CIDR")]],
  ['an existing VPC with its CIDR', { network: { vpcId: 'vpc-0a1b2c3d4e5f60718' }, networkCIDR: '10.0.0.0/16' }, []],
];

const Z = (zone: string, extra: Record<string, string> = {}) => ({ zone: `eu-west-1${zone}`, ...extra });
const VPC = { vpcId: 'vpc-0a1b2c3d4e5f60718' };
const ids = (n: number) => ({ id: `subnet-0a00000000000000${n}` });

const subnetCases: [string, Partial<RawCluster['spec']>, Expect[]][] = [
  ['explicit subnets, one per zone', { subnets: [Z('a', { cidr: '172.20.0.0/18' }), Z('b', { cidr: '172.20.64.0/18' }), Z('c', { cidr: '172.20.128.0/28' })] }, []],
  ['a subnet zone outside the zones', { subnets: [Z('a', { cidr: '172.20.0.0/18' }), Z('b', { cidr: '172.20.64.0/18' }), Z('c', { cidr: '172.20.128.0/18' }), Z('d', { cidr: '172.20.192.0/18' })] }, [E('error subnet-zone-unknown spec.subnets.3.zone', 'subnet zone eu-west-1d is not among the zones', 'eu-west-1a, eu-west-1b, eu-west-1c')]],
  ['a zone with two subnets, another with none', { subnets: [Z('a', { cidr: '172.20.0.0/18' }), Z('b', { cidr: '172.20.64.0/18' }), Z('b', { cidr: '172.20.128.0/18' })] }, [E('error subnet-zone-duplicate spec.subnets.2.zone', 'zone eu-west-1b has two subnet entries'), E('error subnet-missing spec.subnets', 'leave zone(s) eu-west-1c without a subnet', 'list a subnet for every zone')]],
  ['a subnet CIDR that is no CIDR', { subnets: [Z('a', { cidr: 'x' }), Z('b', { cidr: '172.20.64.0/18' }), Z('c', { cidr: '172.20.128.0/18' })] }, [E('error cidr-invalid spec.subnets.0.cidr', '"x" is not an IPv4 CIDR')]],
  ['a subnet CIDR with host bits', { subnets: [Z('a', { cidr: '172.20.0.1/18' }), Z('b', { cidr: '172.20.64.0/18' }), Z('c', { cidr: '172.20.128.0/18' })] }, [E('error cidr-invalid spec.subnets.0.cidr', '172.20.0.1/18 has host bits set', 'write the network address: 172.20.0.0/18')]],
  ['a /29 subnet', { subnets: [Z('a', { cidr: '172.20.0.0/29' }), Z('b', { cidr: '172.20.64.0/18' }), Z('c', { cidr: '172.20.128.0/18' })] }, [E('error cidr-invalid spec.subnets.0.cidr', "smaller than AWS's smallest subnet, /28")]],
  ['a subnet outside the VPC', { subnets: [Z('a', { cidr: '10.0.0.0/18' }), Z('b', { cidr: '172.20.64.0/18' }), Z('c', { cidr: '172.20.128.0/18' })] }, [E('error subnet-outside-network spec.subnets.0.cidr', 'subnet 10.0.0.0/18 is not inside networkCIDR 172.20.0.0/16', 'pick a subnet of 172.20.0.0/16')]],
  ['a subnet outside every range of the VPC', { network: { additionalCIDRs: ['10.1.0.0/16'] }, subnets: [Z('a', { cidr: '10.1.0.0/18' }), Z('b', { cidr: '10.2.0.0/18' }), Z('c', { cidr: '172.20.128.0/18' })] }, [E('error subnet-outside-network spec.subnets.1.cidr', "is not inside the VPC's ranges 172.20.0.0/16, 10.1.0.0/16")]],
  ['overlapping subnets', { subnets: [Z('a', { cidr: '172.20.0.0/18' }), Z('b', { cidr: '172.20.32.0/19' }), Z('c', { cidr: '172.20.128.0/18' })] }, [E('error subnet-overlap spec.subnets.1.cidr', 'subnet 172.20.32.0/19 overlaps 172.20.0.0/18 (spec.subnets.0.cidr)', 'own address range')]],
  ['private subnets without utility subnets', { topology: 'private', networking: 'calico', subnets: [Z('a', { cidr: '172.20.0.0/18' }), Z('b', { cidr: '172.20.64.0/18', utilityCidr: '172.20.192.0/22' }), Z('c', { cidr: '172.20.128.0/18', utilityCidr: '172.20.196.0/22' })] }, [E('error subnet-utility-missing spec.subnets.0', 'private topology needs a utility subnet in eu-west-1a', 'utilityCidr')]],
  ['a utility subnet overlapping a private one', { topology: 'private', networking: 'calico', subnets: [Z('a', { cidr: '172.20.0.0/18', utilityCidr: '172.20.0.0/22' }), Z('b', { cidr: '172.20.64.0/18', utilityCidr: '172.20.192.0/22' }), Z('c', { cidr: '172.20.128.0/18', utilityCidr: '172.20.196.0/22' })] }, [E('error subnet-overlap spec.subnets.0.utilityCidr')]],
  ['a subnet with neither CIDR nor ID', { subnets: [Z('a'), Z('b', { cidr: '172.20.64.0/18' }), Z('c', { cidr: '172.20.128.0/18' })] }, [E('error subnet-cidr-missing spec.subnets.0', 'eu-west-1a has neither a cidr nor an existing id', 'add cidr')]],
  ['egress in public topology', { subnets: [Z('a', { cidr: '172.20.0.0/18', egress: 'external' }), Z('b', { cidr: '172.20.64.0/18' }), Z('c', { cidr: '172.20.128.0/18' })] }, [E('error subnet-egress-public spec.subnets.0.egress', 'internet gateway', 'remove egress')]],
  ['egress of a private subnet haform creates', { topology: 'private', networking: 'calico', subnets: [Z('a', { cidr: '172.20.64.0/18', utilityCidr: '172.20.0.0/22', egress: 'nat-0a1b2c3d4e5f60718' }), Z('b', { cidr: '172.20.128.0/18', utilityCidr: '172.20.4.0/22' }), Z('c', { cidr: '172.20.192.0/18', utilityCidr: '172.20.8.0/22' })] }, []],
  ['existing subnets without their VPC', { subnets: [Z('a', ids(1)), Z('b', ids(2)), Z('c', ids(3))] }, [E('error subnet-id-without-vpc spec.subnets.0.id', 'existing subnet subnet-0a000000000000001', 'spec.network.vpcId'), E('error subnet-id-without-vpc spec.subnets.1.id'), E('error subnet-id-without-vpc spec.subnets.2.id')]],
  ['an existing utility subnet alone, without the VPC', { topology: 'private', networking: 'calico', subnets: [Z('a', { utilityId: 'subnet-0b000000000000001' }), Z('b', ids(2)), Z('c', ids(3))] }, [
    E('error subnet-id-without-vpc spec.subnets.0.utilityId', 'existing subnet subnet-0b000000000000001'), E('error subnet-ids-partial spec.subnets.0', 'zone eu-west-1a has no subnet id', 'every zone, or none'),
    E('error subnet-id-without-vpc spec.subnets.1.id'), E('error subnet-utility-missing spec.subnets.1', 'utility (public) subnet in eu-west-1b', 'utilityId'),
    E('error subnet-id-without-vpc spec.subnets.2.id'), E('error subnet-utility-missing spec.subnets.2')]],
  ['existing subnets in the existing VPC, no networkCIDR needed, no range checked', { network: VPC, subnets: [Z('a', { ...ids(1), cidr: '10.9.0.0/24' }), Z('b', ids(2)), Z('c', ids(3))] }, []],
  ['existing subnets held to a networkCIDR that is given', { network: VPC, networkCIDR: '10.0.0.0/16', subnets: [Z('a', { ...ids(1), cidr: '10.9.0.0/24' }), Z('b', ids(2)), Z('c', ids(3))] }, [E('error subnet-outside-network spec.subnets.0.cidr')]],
  ['existing and created subnets mixed', { network: VPC, subnets: [Z('a', ids(1)), Z('b', { cidr: '172.20.64.0/18' }), Z('c', ids(3))] }, [E('error subnet-ids-partial spec.subnets.1')]],
  ['two zones without a subnet', { subnets: [Z('a', { cidr: '172.20.0.0/18' })] }, [E('error subnet-missing spec.subnets', 'leave zone(s) eu-west-1b, eu-west-1c without a subnet')]],
  ['created subnets in an existing VPC without networkCIDR: asked for the range, not held to the default one', { network: VPC, subnets: [Z('a', { cidr: '10.9.0.0/18' }), Z('b', { cidr: '10.9.64.0/18' }), Z('c', { cidr: '10.9.128.0/18' })] }, [E('error network-cidr-required spec.network.vpcId')]],
  ['an existing subnet missing a zone', { network: VPC, subnets: [Z('a', ids(1)), Z('b', ids(2))] }, [E('error subnet-missing spec.subnets', 'eu-west-1c', 'existing subnet (id)')]],
  ['egress of an existing subnet', { network: VPC, subnets: [Z('a', { ...ids(1), egress: 'external' }), Z('b', ids(2)), Z('c', ids(3))] }, [E('error subnet-egress-existing spec.subnets.0.egress', 'subnet-0a000000000000001 are yours')]],
  ['a utility subnet in public topology', { network: VPC, subnets: [Z('a', { ...ids(1), utilityId: 'subnet-0b000000000000001' }), Z('b', ids(2)), Z('c', ids(3))] }, [E('error subnet-utility-public spec.subnets.0.utilityId', 'only in private topology')]],
];

describe('every rule, branch by branch', () => {
  it.each(cases)('%s', (_, patch, expected, name) => expectFindings(check(patch, name), expected));
  it.each(subnetCases)('%s', (_, patch, expected) => expectFindings(check(patch), expected));
});
