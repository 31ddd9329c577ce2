import { formatCidr, parseCidr } from '../net/cidr.js';
import { daysOfSupport, DEFAULT_KUBERNETES_VERSION, minorOf, minorRelease, patchOf, SUPPORTED_MINORS, VERSIONS_READ } from '../model/versions.js';
import { today } from './today.js';
import { analyzeQuorum, placeMasters, quorumSize } from '../model/placement.js';
import { checkNameLengths, checkTags } from './aws-limits.js';
import { network } from './network-rules.js';
import { DEFAULTS, isGossip, parentDomain, regionOfZone, resolveMasters, resolveNodeSizes } from './defaults.js';
import { KNOWN_ZONES_AS_OF, zonesOf, zoneStatus } from './known-zones.js';
import { CONTROL_PLANE_MIN, INSTANCE_TYPES_AS_OF, lookupInstanceType } from './instance-types.js';
import type { RawCluster, Severity, YamlPath } from './types.js';

/** Records one finding; rules never stop at the first. */
export type Report = (path: YamlPath, severity: Severity, rule: string, message: string, hint: string) => void;
type Rule = (c: RawCluster, report: Report) => void;

const SPEC = ['spec'] as const;
const at = (...p: (string | number)[]): YamlPath => [...SPEC, ...p];

const clusterName: Rule = (c, report) => {
  const name = c.metadata.name;
  const labels = name.split('.');
  const ok = labels.length >= 2 && labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
  if (!ok) {
    report(['metadata', 'name'], 'error', 'cluster-name-invalid', `cluster name "${name}" is not a DNS name`, 'use lowercase letters, digits and hyphens in dot-separated labels, e.g. hacluster.example.com (or hacluster.k8s.local for a cluster without Route53)');
  }
};

const zones: Rule = (c, report) => {
  const seen = new Map<string, number>();
  const regions = new Map<string, number>();
  c.spec.zones.forEach((zone, i) => {
    const region = regionOfZone(zone);
    if (!region) {
      report(at('zones', i), 'error', 'zone-name-invalid', `"${zone}" is not an Availability Zone name`, 'write <region><letter>, e.g. us-west-2a');
      return;
    }
    const known = zoneStatus(region, zone);
    if (known === 'unknown-zone') {
      report(at('zones', i), 'error', 'zone-unknown', `${region} has no zone ${zone} (AWS's list of ${KNOWN_ZONES_AS_OF})`, `use one of ${zonesOf(region).join(', ')}`);
    } else if (known === 'unknown-region' && !regions.has(region)) {
      report(at('zones', i), 'warning', 'region-unknown', `region ${region} is not in haform's list of regions (${KNOWN_ZONES_AS_OF}): its zones are not checked`, 'check the zone names against the AWS console or aws ec2 describe-availability-zones');
    }
    if (seen.has(zone)) {
      report(at('zones', i), 'error', 'zone-duplicate', `zone ${zone} is listed twice`, 'list each zone once');
    }
    seen.set(zone, i);
    if (!regions.has(region)) regions.set(region, i);
  });
  const first = [...regions.keys()][0];
  for (const [region, i] of [...regions].slice(1)) {
    report(at('zones', i), 'error', 'zone-region-mismatch', `zone ${c.spec.zones[i]} is in ${region}, but ${c.spec.zones[0]} is in ${first}: a cluster lives in one region`, `use zones of one region only`);
  }
  if (c.spec.region && first && regions.size === 1 && c.spec.region !== first) {
    report(at('region'), 'error', 'zone-region-mismatch', `region ${c.spec.region} does not hold the zones, which are in ${first}`, `set region: ${first}, or remove it (it is derived from the zones)`);
  }
};

const masters: Rule = (c, report) => {
  const s = c.spec;
  const { masterZones, masterCount } = resolveMasters(s);
  const seen = new Set<string>();
  (s.masterZones ?? []).forEach((z, i) => {
    if (!s.zones.includes(z)) {
      report(at('masterZones', i), 'error', 'master-zone-unknown', `master zone ${z} is not among the zones (${s.zones.join(', ')})`, `add ${z} to spec.zones, or pick a master zone from them`);
    }
    if (seen.has(z)) report(at('masterZones', i), 'error', 'zone-duplicate', `master zone ${z} is listed twice`, 'list each zone once; use masterCount for several masters per zone');
    seen.add(z);
  });
  const countPath = s.masterCount !== undefined ? at('masterCount') : s.masterZones ? at('masterZones') : at('zones');
  if (masterCount < masterZones.length) {
    report(countPath, 'error', 'master-count-below-zones', `masterCount ${masterCount} is below the ${masterZones.length} master zones: some zone would get no master`, `set masterCount to at least ${masterZones.length}, or list fewer masterZones`);
  }
  if (masterCount % 2 === 0) {
    const q = quorumSize(masterCount);
    report(countPath, 'error', 'etcd-even-members', `${masterCount} masters make ${masterCount} etcd members: quorum is ${q}, so it tolerates ${masterCount - q} failed member(s), no more than ${masterCount - 1} members would`, `use an odd number of masters (${masterCount - 1} or ${masterCount + 1}): etcd needs a majority, and an even member adds cost without adding fault tolerance`);
  }
  if (masterCount > 7) {
    report(countPath, 'warning', 'etcd-many-members', `${masterCount} etcd members: every write waits for ${quorumSize(masterCount)} of them, and etcd recommends at most 7`, 'use 3 or 5 masters (7 at most); add worker nodes for capacity');
  }
  if (c.spec.nodeCount === 0 && !(c.spec.clusterAutoscaler?.enabled && (c.spec.nodes?.maxSize ?? 0) > 0)) {
    report(at('nodeCount'), 'warning', 'no-nodes', 'no worker nodes: workloads have nowhere to run (the masters are tainted)', 'set nodeCount to at least 2, in two zones');
  }
  if (masterCount === 1) {
    report(countPath, 'warning', 'single-master', 'one master is not highly available: while it is down the Kubernetes API is unavailable', 'for production, run 3 masters in 3 zones (masterZones with three zones)');
  } else if (masterCount % 2 === 1 && masterCount >= masterZones.length && new Set(masterZones).size === masterZones.length) {
    // (A zone listed twice is an error already; counting it twice would warn about it twice.)
    const analysis = analyzeQuorum(placeMasters(masterZones, masterCount), masterZones);
    for (const z of analysis.zones.filter((l) => !l.quorumKept)) {
      report(countPath, 'warning', 'az-loss-breaks-quorum', `zone ${z.zone} holds ${z.members.length} of ${analysis.members} etcd members (${z.members.join(', ')}): losing it leaves ${z.remaining}, below the quorum of ${analysis.quorum}, and the API stops`, 'spread the masters over at least 3 zones so that no zone holds a majority; with fewer zones, upgrades stay graceful but a zone outage means downtime');
    }
  }
};

const networking: Rule = (c, report) => {
  const s = c.spec;
  if (s.topology === 'private' && (s.networking ?? 'kubenet') === 'kubenet') {
    report(s.networking ? at('networking') : at('topology'), 'error', 'private-kubenet', 'the kubenet networking provider does not support private topology', 'set networking to a CNI provider, e.g. calico or cilium');
  }
  if (s.topology === 'private' && s.networking === 'kindnet') {
    report(at('networking'), 'error', 'private-kindnet', "kindnet routes pod ranges through the VPC: the cloud controller writes a route per node into the cluster's one route table, and private topology has one per zone", 'use public topology, or a CNI that encapsulates, e.g. calico or cilium');
  }
  if (s.networking === 'weave') {
    report(at('networking'), 'error', 'networking-archived', 'Weave Net is archived upstream (weaveworks/weave: no release since 2.8.1, no fixes for current Kubernetes)', 'choose a maintained CNI, e.g. calico or flannel; a running weave cluster migrates to it before upgrading');
  }
  if (s.bastion && s.topology !== 'private') {
    report(at('bastion'), 'error', 'bastion-requires-private', 'a bastion needs private topology: in public topology the instances are reachable directly', 'set topology: private, or remove bastion');
  } else if (s.bastion && !s.sshAccess?.length) {
    report(at('bastion'), 'warning', 'bastion-without-ssh-access', 'the bastion accepts no SSH: sshAccess lists no CIDRs, and haform opens none by default', 'list the CIDRs allowed to SSH in spec.sshAccess');
  }
};

/**
 * Only versions of the version table: a minor it pins components for, a patch upstream released. An
 * end-of-life minor is allowed with a warning: a cluster on it must still be able to step off it.
 */
const kubernetes: Rule = (c, report) => {
  const version = c.spec.kubernetesVersion?.replace(/^v/, '');
  if (!version) return;
  const release = minorRelease(version);
  const range = `${SUPPORTED_MINORS[0]} to ${SUPPORTED_MINORS[SUPPORTED_MINORS.length - 1]}`;
  if (!release) {
    report(at('kubernetesVersion'), 'error', 'kubernetes-version-unsupported', `Kubernetes ${minorOf(version)} is not in haform's version table (${range}, read ${VERSIONS_READ}): no pinned kubeadm configuration, etcd, cloud controller or CSI driver for it`, `use ${DEFAULT_KUBERNETES_VERSION}, or the newest patch of a minor from ${range}`);
    return;
  }
  const newest = `${release.minor}.${release.newestPatch}`;
  if (patchOf(version) > release.newestPatch) {
    report(at('kubernetesVersion'), 'error', 'kubernetes-patch-unknown', `Kubernetes ${version} is not a release: the newest ${release.minor} patch is ${newest} (version table read ${VERSIONS_READ})`, `use ${newest}`);
    return;
  }
  const days = daysOfSupport(release, today());
  if (days < 0) {
    report(at('kubernetesVersion'), 'warning', 'kubernetes-end-of-life', `Kubernetes ${release.minor} reached its end of life on ${release.endOfLife}: no more security fixes`, `upgrade one minor at a time towards ${DEFAULT_KUBERNETES_VERSION} (next: ${nextMinor(release.minor)}); see "Upgrade Kubernetes" in the generated README`);
  }
};

/** The newest patch of the minor after this one, or this minor's newest when it is the last. */
function nextMinor(minor: string): string {
  const i = SUPPORTED_MINORS.indexOf(minor);
  const next = minorRelease(SUPPORTED_MINORS[Math.min(i + 1, SUPPORTED_MINORS.length - 1)]!)!;
  return `${next.minor}.${next.newestPatch}`;
}

const dns: Rule = (c, report) => {
  if (isGossip(c.metadata.name) && (c.spec.dns?.zoneName || c.spec.dns?.zoneId)) {
    report(at('dns'), 'error', 'gossip-with-dns', `${c.metadata.name} ends in .k8s.local, which means no Route53 records, yet a hosted zone is set`, 'remove spec.dns, or rename the cluster to a name in your hosted zone');
  }
  const zoneName = c.spec.dns?.zoneName;
  if (zoneName && !`.${c.metadata.name}`.endsWith(`.${zoneName.replace(/\.$/, '')}`)) {
    report(at('dns', 'zoneName'), 'error', 'dns-zone-mismatch', `api.${c.metadata.name} cannot live in the hosted zone ${zoneName}`, `use a hosted zone that is a suffix of the cluster name, e.g. ${parentDomain(c.metadata.name)}`);
  }
};

const accessLists: Rule = (c, report) => {
  const lists: [YamlPath, string[] | undefined][] = [
    [at('api', 'allowedCIDRs'), c.spec.api?.allowedCIDRs],
    [at('sshAccess'), c.spec.sshAccess],
  ];
  for (const [path, list] of lists) {
    list?.forEach((text, i) => {
      const p = parseCidr(text);
      if (!p) report([...path, i], 'error', 'access-cidr-invalid', `"${text}" is not an IPv4 CIDR`, 'write a.b.c.d/n; a single address is a.b.c.d/32');
      else if (p.hostBits) report([...path, i], 'error', 'access-cidr-invalid', `${text} has host bits set`, `write ${formatCidr(p.cidr)}, or ${text.split('/')[0]}/32 for one address`);
    });
  }
  const ssh = c.spec.sshAccess ?? [];
  if (ssh.includes('0.0.0.0/0')) {
    report(at('sshAccess', ssh.indexOf('0.0.0.0/0')), 'warning', 'ssh-open-world', `SSH to the ${c.spec.topology === 'private' ? 'bastion' : 'masters and nodes'} is open to the whole internet (0.0.0.0/0)`, 'list your office or VPN ranges, or drop sshAccess and use SSM Session Manager (aws ssm start-session), which needs no open port');
  }
  const api = c.spec.api?.allowedCIDRs ?? ['0.0.0.0/0'];
  if (api.includes('0.0.0.0/0') && (c.spec.api?.loadBalancerType ?? 'public') === 'public') {
    report(c.spec.api?.allowedCIDRs ? at('api', 'allowedCIDRs') : ['spec'], 'warning', 'api-open-world', 'the Kubernetes API is reachable from the whole internet (0.0.0.0/0), as kops and EKS default to', 'list your office or VPN ranges in spec.api.allowedCIDRs');
  }
};

const etcdVolumes: Rule = (c, report) => {
  const e = c.spec.etcd;
  if (!e) return;
  const type = e.volumeType ?? 'gp3';
  if (e.volumeThroughput !== undefined && type !== 'gp3') {
    report(at('etcd', 'volumeThroughput'), 'error', 'etcd-volume-options', `volumeThroughput applies to gp3 volumes only; volumeType is ${type}`, 'remove volumeThroughput, or use volumeType: gp3');
  }
  if (e.volumeIops !== undefined && type === 'gp2') {
    report(at('etcd', 'volumeIops'), 'error', 'etcd-volume-options', 'gp2 volumes take no provisioned IOPS', 'remove volumeIops, or use volumeType: gp3');
  }
  if (e.volumeIops === undefined && (type === 'io1' || type === 'io2')) {
    report(at('etcd', 'volumeType'), 'error', 'etcd-volume-options', `${type} volumes need volumeIops`, 'add volumeIops, e.g. 3000');
  }
  if (type === 'gp3' && (e.volumeIops ?? 3000) < 3000) {
    report(at('etcd', 'volumeIops'), 'error', 'etcd-volume-options', `gp3 volumes have at least 3000 IOPS; got ${e.volumeIops}`, 'use 3000 or more, or remove volumeIops');
  }
  // etcd's hardware guide: 500 sequential IOPS for a loaded cluster; every write waits on an fsync.
  const size = e.volumeSize ?? 20;
  if (type === 'gp2') {
    const baseline = Math.max(100, 3 * size);
    report(at('etcd', 'volumeType'), 'warning', 'etcd-gp2', `gp2 volumes of ${size} GiB have a baseline of ${baseline} IOPS and burst to 3000 only while their credits last; etcd's write latency follows them down (kops #10438)`, 'use volumeType: gp3: 3000 IOPS and 125 MiB/s at any size, for less than gp2 costs');
  }
  if ((type === 'io1' || type === 'io2') && e.volumeIops !== undefined && e.volumeIops < 500) {
    report(at('etcd', 'volumeIops'), 'warning', 'etcd-slow-disk', `${e.volumeIops} IOPS is below the 500 sequential IOPS etcd's hardware guide asks for a loaded cluster`, 'set volumeIops to 500 or more, or use gp3 (3000 at any size)');
  }
  const quota = e.quotaBackendBytes ?? DEFAULTS.etcdQuotaBackendBytes;
  const needed = etcdVolumeNeededGiB(quota);
  if (size < needed) {
    const path = e.quotaBackendBytes !== undefined ? at('etcd', 'quotaBackendBytes') : at('etcd', 'volumeSize');
    report(path, 'warning', 'etcd-quota-volume', `a quota of ${gib(quota)} GiB does not fit a main volume of ${size} GiB: it holds the database, a copy of it while a snapshot or a defragmentation is written, and the write-ahead log (${needed} GiB); etcd would run out of disk before it reaches its quota`, `set volumeSize to ${needed} or more, or quotaBackendBytes to ${Math.floor((size - ETCD_WAL_GIB) / 2) * 1024 ** 3} or less`);
  }
};

/** What etcd's main volume holds besides the database: the write-ahead log and raft snapshots (5 of each kept, 64 MB WAL files). */
const ETCD_WAL_GIB = 1;
const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 100) / 100;

/** The main volume's size for a quota: the database, one copy of it (a snapshot's .part or a defragmentation's new file), the WAL. */
export function etcdVolumeNeededGiB(quotaBackendBytes: number): number {
  return Math.ceil(2 * gib(quotaBackendBytes) + ETCD_WAL_GIB);
}

/** CloudWatch alarm actions reach SNS topics of the alarm's own region only. */
const alarms: Rule = (c, report) => {
  const arn = c.spec.alarms?.topicArn;
  if (!arn) return;
  const region = c.spec.region ?? regionOfZone(c.spec.zones[0] ?? '');
  const topicRegion = arn.split(':')[3];
  if (region && topicRegion !== region) {
    report(at('alarms', 'topicArn'), 'error', 'alarms-topic-region', `the topic is in ${topicRegion}, the cluster in ${region}: CloudWatch alarms notify topics of their own region only`, `use a topic in ${region}`);
  }
  if (c.spec.alarms?.enabled === false) {
    report(at('alarms', 'topicArn'), 'warning', 'alarms-topic-unused', 'alarms.enabled is false: topicArn is not used', 'remove topicArn, or enable the alarms');
  }
};

/**
 * The instance types, before apply or boot finds them wrong: a known family's size that is no size
 * (t3.mediun), a master below kubeadm's control-plane preflight (2 CPUs, 1700 MB), an arm64 type
 * with the default amd64 image (or the reverse, for Canonical's SSM parameters).
 */
const instanceTypes: Rule = (c, report) => {
  const image = c.spec.image ?? DEFAULTS.image;
  const imageArch = /\/amd64\//.test(image) ? 'x86_64' : /\/arm64\//.test(image) ? 'arm64' : undefined;
  const check = (label: string, name: string, path: YamlPath, role: 'master' | 'node') => {
    const found = lookupInstanceType(name);
    if (found.kind === 'malformed') {
      report(path, 'error', 'instance-type-unknown', `${label} ${name} is not an EC2 instance type: ${name.split('.')[0]} comes in ${found.sizes.join(', ')}`, found.nearest ? `did you mean ${found.nearest}?` : `pick one of those sizes, e.g. ${name.split('.')[0]}.${found.sizes.includes('large') ? 'large' : found.sizes[0]}`);
      return undefined;
    }
    if (found.kind === 'unlisted') {
      report(path, 'warning', 'instance-type-unlisted', `${label} ${name} is not in haform's instance-type table (${INSTANCE_TYPES_AS_OF}): its size and architecture are not checked`, 'check the name against aws ec2 describe-instance-types --instance-types ' + name);
      return undefined;
    }
    const t = found.type;
    if (role === 'master' && (t.vcpu < CONTROL_PLANE_MIN.vcpu || t.memoryGiB < CONTROL_PLANE_MIN.memoryGiB)) {
      report(path, 'error', 'master-too-small', `masterSize ${name} has ${t.vcpu} vCPU and ${t.memoryGiB} GiB: kubeadm refuses a control-plane node below 2 CPUs or 1700 MB of memory`, 'use t3.medium (2 vCPU, 4 GiB) or larger, e.g. m6i.large');
    }
    if (role === 'node' && t.memoryGiB < 2) {
      report(path, 'warning', 'node-too-small', `${label} ${name} has ${t.memoryGiB} GiB: kubeadm asks for 2 GiB per machine, and kubelet, containerd and the CNI leave little of it to pods`, 'use t3.medium (2 vCPU, 4 GiB) or larger');
    }
    if (imageArch && t.arch !== imageArch) {
      report(path, 'error', 'instance-arch-mismatch', `${label} ${name} is ${t.arch}, but the image is ${imageArch === 'x86_64' ? 'amd64' : 'arm64'} (${image})`, imageArch === 'x86_64' ? `set image to ${image.replace('/amd64/', '/arm64/')}, or use an x86_64 type` : `set image to ${image.replace('/arm64/', '/amd64/')}, or use an arm64 type`);
    }
    return t;
  };
  for (const [field, role] of [['masterSize', 'master'], ['nodeSize', 'node']] as const) {
    check(field, c.spec[field] ?? DEFAULTS[field], c.spec[field] !== undefined ? at(field) : SPEC, role);
  }
  // The mixed instances: the same checks, and one shape (the cluster-autoscaler sizes a group by its first type).
  const instances = c.spec.nodes?.mixedInstancesPolicy?.instances ?? [];
  const types = instances.map((name, i) => check('instance', name, at('nodes', 'mixedInstancesPolicy', 'instances', i), 'node'));
  const first = types[0];
  types.forEach((t, i) => {
    if (!first || !t || i === 0 || (t.vcpu === first.vcpu && t.memoryGiB === first.memoryGiB)) return;
    report(at('nodes', 'mixedInstancesPolicy', 'instances', i), 'warning', 'mixed-instances-unequal', `${instances[i]} has ${t.vcpu} vCPU and ${t.memoryGiB} GiB, ${instances[0]} ${first.vcpu} vCPU and ${first.memoryGiB} GiB: the cluster-autoscaler sizes a group by its first instance type, and the scheduler's picture of a new node is then wrong`, `list instances of ${first.vcpu} vCPU and ${first.memoryGiB} GiB only, e.g. the same size of other families`);
  });
};

/**
 * The node groups' range, as kops's instance groups have one (minSize <= nodeCount <= maxSize), and
 * what scales it: the cluster-autoscaler of the cluster's Kubernetes minor, if upstream released one.
 */
const nodeCapacity: Rule = (c, report) => {
  const s = c.spec;
  const n = s.nodes ?? {};
  const { count, min, max } = resolveNodeSizes(s);
  const countPath = s.nodeCount !== undefined ? at('nodeCount') : undefined;
  if (n.minSize !== undefined && n.maxSize !== undefined && n.minSize > n.maxSize) {
    report(at('nodes', 'minSize'), 'error', 'node-size-range', `nodes.minSize ${n.minSize} is above nodes.maxSize ${n.maxSize}: no group size fits both`, `set minSize to at most ${n.maxSize}, or maxSize to at least ${n.minSize}`);
  } else if (count < min) {
    report(countPath ?? at('nodes', 'minSize'), 'error', 'node-size-range', `nodeCount ${count} is below nodes.minSize ${min}: the groups would be created below their minimum`, `set nodeCount to at least ${min} (the size the groups start at), or lower nodes.minSize`);
  } else if (count > max) {
    report(countPath ?? at('nodes', 'maxSize'), 'error', 'node-size-range', `nodeCount ${count} is above nodes.maxSize ${max}: the groups would be created above their maximum`, `set nodeCount to at most ${max}, or raise nodes.maxSize`);
  }
  const ca = s.clusterAutoscaler;
  const scales = min < max;
  if (ca?.enabled) {
    const release = minorRelease(s.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
    if (release && !release.clusterAutoscaler) {
      const released = SUPPORTED_MINORS.filter((m) => minorRelease(m)?.clusterAutoscaler);
      report(at('clusterAutoscaler', 'enabled'), 'error', 'cluster-autoscaler-unreleased', `kubernetes/autoscaler has no cluster-autoscaler ${release.minor} release in haform's version table (read ${VERSIONS_READ}): it is released per Kubernetes minor, and upstream tests no other pairing`, `run Kubernetes ${released[released.length - 1]} (kubernetesVersion), or leave clusterAutoscaler off until haform pins its ${release.minor} release`);
    }
    if (!scales) {
      report(at('clusterAutoscaler', 'enabled'), 'warning', 'autoscaler-without-range', `the node groups are fixed at ${count} node(s) (nodes.minSize = nodes.maxSize): the cluster-autoscaler finds no group to scale`, 'set nodes.minSize and nodes.maxSize, e.g. minSize: 2 and maxSize: 10');
    }
  } else if (scales) {
    report(at('nodes'), 'warning', 'node-range-unscaled', `the node groups may scale from ${min} to ${max}, but nothing in this cluster scales them: they stay at nodeCount ${count}`, 'set clusterAutoscaler.enabled: true, or run a cluster-autoscaler of your own (the groups carry its auto-discovery tags)');
  }
};

/** Every semantic rule, in the order their findings are listed. */
export const RULES: readonly Rule[] = [clusterName, checkNameLengths, zones, masters, networking, kubernetes, dns, network, accessLists, etcdVolumes, alarms, instanceTypes, nodeCapacity, checkTags];
