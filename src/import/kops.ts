import { Document, parseAllDocuments } from 'yaml';
import { defaultSubnetCidrs } from '../model/subnets.js';
import { placeMasters } from '../model/placement.js';
import { GOSSIP_SUFFIX } from '../spec/defaults.js';
import type { RawCluster } from '../spec/types.js';

/**
 * kops's Cluster and InstanceGroup manifests (kops.k8s.io/v1alpha2, as `kops get cluster -o yaml` and
 * `kops get ig -o yaml` print them) read into a haform cluster YAML. What haform cannot express is
 * returned as notes, one per dropped or changed setting, never dropped silently.
 */
export interface KopsImport {
  readonly raw: RawCluster;
  /** Settings not carried over, or carried with a change, in the user's terms. */
  readonly notes: readonly string[];
}

export class KopsImportError extends Error {}

type Obj = Record<string, any>;

/** Networking providers by kops's key; haform's names where they differ. */
const NETWORKING: Record<string, string> = {
  kubenet: 'kubenet', calico: 'calico', cilium: 'cilium', flannel: 'flannel', canal: 'canal', kindnet: 'kindnet',
  amazonvpc: 'amazonvpc', kuberouter: 'kube-router', weave: 'weave', cni: 'cni',
};

/** The manifests of one cluster: every document of every file, Cluster and InstanceGroups by kind. */
export function readKopsManifests(files: readonly { name: string; text: string }[]): { cluster: Obj; groups: Obj[] } {
  const clusters: Obj[] = [];
  const groups: Obj[] = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(f.text)) {
      if (doc.errors.length) throw new KopsImportError(`${f.name}: ${doc.errors[0]!.message}`);
      const o = doc.toJSON() as Obj | null;
      if (!o) continue;
      if (!String(o.apiVersion ?? '').startsWith('kops.k8s.io/')) throw new KopsImportError(`${f.name}: apiVersion ${o.apiVersion} is not kops's (kops.k8s.io/v1alpha2): export with kops get cluster -o yaml and kops get ig -o yaml`);
      if (o.kind === 'Cluster') clusters.push(o);
      else if (o.kind === 'InstanceGroup') groups.push(o);
      else throw new KopsImportError(`${f.name}: kind ${o.kind} is neither Cluster nor InstanceGroup`);
    }
  }
  if (clusters.length !== 1) throw new KopsImportError(`expected one kops Cluster manifest, found ${clusters.length}: pass the output of kops get cluster NAME -o yaml`);
  const name = clusters[0]!.metadata?.name;
  const mine = groups.filter((g) => (g.metadata?.labels?.['kops.k8s.io/cluster'] ?? name) === name);
  if (!mine.some(isControlPlane)) throw new KopsImportError(`no control-plane InstanceGroup of ${name}: pass the output of kops get ig --name ${name} -o yaml too`);
  return { cluster: clusters[0]!, groups: mine };
}

function isControlPlane(ig: Obj): boolean {
  return ['Master', 'ControlPlane'].includes(ig.spec?.role);
}

export function importKops(cluster: Obj, groups: readonly Obj[]): KopsImport {
  const notes: string[] = [];
  const c = cluster.spec ?? {};
  const net = { ...c, ...(c.networking ?? {}) } as Obj; // kops 1.26+ may nest network settings under networking
  const name = String(cluster.metadata?.name);

  // Subnets: instance subnets give the zones, Utility subnets their public counterparts.
  const subnets: Obj[] = net.subnets ?? [];
  const zoneOfSubnet = new Map<string, string>(subnets.map((s) => [s.name, s.zone]));
  const main = subnets.filter((s) => s.type === 'Public' || s.type === 'Private');
  const utility = subnets.filter((s) => s.type === 'Utility');
  for (const s of subnets.filter((s) => !['Public', 'Private', 'Utility'].includes(s.type))) notes.push(`subnet ${s.name} of type ${s.type}: haform has public, private and utility subnets only; not carried`);
  if (!main.length) throw new KopsImportError(`${name} has no Public or Private subnet: nothing to place instances in`);
  const zones = main.map((s) => s.zone as string);
  const privateTopology = main.some((s) => s.type === 'Private');
  if (privateTopology && main.some((s) => s.type === 'Public')) notes.push('public and private instance subnets mixed: haform takes one topology; private used');

  const spec: RawCluster['spec'] = { zones };

  // Control plane: one InstanceGroup of one per master, in etcd member order.
  const members: Obj[] = (c.etcdClusters ?? []).find((e: Obj) => e.name === 'main')?.etcdMembers ?? [];
  const cps = groups.filter(isControlPlane);
  const ordered = members.length ? members.map((m) => cps.find((g) => g.metadata?.name === m.instanceGroup)).filter(Boolean) as Obj[] : cps;
  const cpZone = (g: Obj) => zoneOfSubnet.get(g.spec?.subnets?.[0]) ?? g.spec?.zones?.[0];
  const masterZones = [...new Set(ordered.map(cpZone))] as string[];
  spec.masterZones = masterZones;
  spec.masterCount = ordered.length;
  for (const g of ordered) if (g.spec?.minSize !== 1 || g.spec?.maxSize !== 1) notes.push(`control-plane group ${g.metadata.name} has min/max ${g.spec?.minSize}/${g.spec?.maxSize}: haform runs every master in its own group of exactly one`);
  const placed = placeMasters(masterZones, ordered.length);
  const perZone = (zs: string[]) => JSON.stringify(masterZones.map((z) => zs.filter((x) => x === z).length));
  if (perZone(ordered.map(cpZone)) !== perZone(placed.map((m) => m.zone))) {
    notes.push(`masters per zone: kops has ${masterZones.map((z) => `${ordered.filter((g) => cpZone(g) === z).length} in ${z}`).join(', ')}; haform places them round-robin: ${masterZones.map((z) => `${placed.filter((m) => m.zone === z).length} in ${z}`).join(', ')}`);
  }
  const renamed = members.map((m, i) => [m.name, placed[i]?.name]).filter(([a, b]) => a !== b);
  if (renamed.length) {
    notes.push(`etcd member names: haform names members by zone letter (${renamed.map(([a, b]) => `${a} becomes ${b}`).join(', ')}); etcd data moves by snapshot and restore, which names the members anew`);
  }
  const sizes = new Set(ordered.map((g) => g.spec?.machineType).filter(Boolean));
  if (sizes.size) spec.masterSize = [...sizes][0];
  if (sizes.size > 1) notes.push(`control-plane machine types ${[...sizes].join(', ')}: haform runs one type for all masters; ${spec.masterSize} used`);

  // Workers: one group across the zones (spread) or one per zone (perZone).
  const nodes = groups.filter((g) => g.spec?.role === 'Node');
  spec.nodeCount = nodes.reduce((n, g) => n + Number(g.spec?.minSize ?? 0), 0);
  const nodeZones = nodes.map((g) => (g.spec?.subnets ?? []).map((s: string) => zoneOfSubnet.get(s) ?? s));
  spec.nodeGroups = nodes.length === 1 && nodeZones[0]!.length > 1 ? 'spread' : 'perZone';
  if (spec.nodeGroups === 'perZone' && nodes.length !== zones.length) notes.push(`node groups: ${nodes.length} groups over ${zones.length} zones; haform makes one per zone, ${spec.nodeCount} nodes spread evenly`);
  importCapacity(spec, nodes, c.clusterAutoscaler, notes);
  const nodeSizes = new Set(nodes.map((g) => g.spec?.machineType).filter(Boolean));
  if (nodeSizes.size) spec.nodeSize = [...nodeSizes][0];
  if (nodeSizes.size > 1) notes.push(`node machine types ${[...nodeSizes].join(', ')}: haform runs one type for all nodes; ${spec.nodeSize} used`);

  spec.topology = privateTopology ? 'private' : 'public';
  const networking = Object.keys(c.networking ?? {}).filter((k) => k in NETWORKING);
  if (networking.length) spec.networking = NETWORKING[networking[0]!];
  else {
    const other = Object.keys(c.networking ?? {}).filter((k) => !['networkCIDR', 'networkID', 'subnets', 'topology', 'additionalNetworkCIDRs', 'nonMasqueradeCIDR', 'podCIDR', 'serviceClusterIPRange', 'egressProxy'].includes(k));
    if (other.length) notes.push(`networking ${other.join(', ')}: haform does not install it; networking cni used, install it yourself`);
    spec.networking = other.length ? 'cni' : 'kubenet';
  }

  // Network.
  if (net.networkCIDR) spec.networkCIDR = net.networkCIDR;
  if (net.networkID || net.additionalNetworkCIDRs?.length) {
    spec.network = { ...(net.networkID ? { vpcId: net.networkID } : {}), ...(net.additionalNetworkCIDRs?.length ? { additionalCIDRs: net.additionalNetworkCIDRs } : {}) };
  }
  const explicit = zones.map((zone) => {
    const m = main.find((s) => s.zone === zone)!;
    const u = utility.find((s) => s.zone === zone);
    return {
      zone,
      ...(m.id ? { id: m.id } : {}),
      ...(m.cidr && !m.id ? { cidr: m.cidr } : {}),
      ...(privateTopology && u?.id ? { utilityId: u.id } : {}),
      ...(privateTopology && u?.cidr && !u.id ? { utilityCidr: u.cidr } : {}),
      ...(m.egress && !m.id ? { egress: String(m.egress).toLowerCase() === 'external' ? 'external' : m.egress } : {}),
    };
  });
  const defaults = defaultSubnetCidrs(spec.networkCIDR ?? '172.20.0.0/16', zones, privateTopology);
  const isDefault = !!defaults && explicit.every((e, i) => !('id' in e) && !('egress' in e) && e.cidr === defaults[i]!.cidr && (!privateTopology || e.utilityCidr === defaults[i]!.utilityCidr));
  if (!isDefault) spec.subnets = explicit;

  if (c.kubernetesVersion) spec.kubernetesVersion = String(c.kubernetesVersion).replace(/^v/, '');
  const images = new Set([...ordered, ...nodes].map((g) => g.spec?.image).filter(Boolean));
  const image = [...images][0] as string | undefined;
  if (image?.startsWith('ami-')) spec.image = image;
  else if (image?.startsWith('ssm:')) spec.image = image.slice(4);
  else if (image) notes.push(`image ${image}: haform takes an AMI id or an SSM parameter, not an AMI name; haform's default (Ubuntu 24.04 from SSM) used`);
  if (images.size > 1) notes.push(`several images (${[...images].join(', ')}): haform runs one for every instance`);

  // etcd volumes and backups, from the main cluster's first member.
  const m0 = members[0] ?? {};
  const retention = (c.etcdClusters ?? []).find((e: Obj) => e.name === 'main')?.manager?.backupRetentionDays;
  const etcd: NonNullable<RawCluster['spec']['etcd']> = {};
  if (m0.volumeSize) etcd.volumeSize = m0.volumeSize;
  if (m0.volumeType) etcd.volumeType = m0.volumeType;
  if (m0.volumeIops) etcd.volumeIops = m0.volumeIops;
  if (m0.volumeThroughput) etcd.volumeThroughput = m0.volumeThroughput;
  if (m0.kmsKeyId) etcd.kmsKeyId = m0.kmsKeyId;
  if (retention !== undefined && retention !== 90) etcd.backupRetentionDays = retention;
  if (members.some((m) => m.encryptedVolume === false)) notes.push('unencrypted etcd volumes: haform always encrypts them');
  if (Object.keys(etcd).length) spec.etcd = etcd;

  // API and access.
  const v4 = (list: string[] | undefined, what: string) => {
    const six = (list ?? []).filter((x) => x.includes(':'));
    if (six.length) notes.push(`${what} ${six.join(', ')}: IPv6 ranges are not carried (haform's clusters are IPv4)`);
    return (list ?? []).filter((x) => !x.includes(':'));
  };
  const lb = c.api?.loadBalancer;
  if (!lb) notes.push('API without a load balancer (api.dns): haform always fronts the API with a network load balancer');
  if (lb?.class === 'Classic') notes.push('classic load balancer: haform uses a network load balancer');
  spec.api = { loadBalancerType: lb?.type === 'Internal' ? 'internal' : 'public', allowedCIDRs: v4(c.api?.access ?? c.kubernetesApiAccess ?? ['0.0.0.0/0'], 'API access') };
  const dnsType = net.topology?.dns?.type ?? net.topology?.dns;
  if (name.endsWith(GOSSIP_SUFFIX)) {
    // gossip: no DNS
  } else if (dnsType === 'None') spec.dns = { none: true };
  else if (dnsType === 'Private') notes.push('private DNS: haform writes api.<name> into a public hosted zone; set spec.dns to yours');
  if (c.dnsZone && !spec.dns && !name.endsWith(GOSSIP_SUFFIX)) spec.dns = /^Z[A-Z0-9]{1,31}$/.test(c.dnsZone) ? { zoneId: c.dnsZone } : { zoneName: c.dnsZone };
  const ssh = v4(c.sshAccess, 'SSH access');
  if (ssh.length) spec.sshAccess = ssh;
  if (c.sshKeyName) spec.sshKeyName = c.sshKeyName;
  if (net.topology?.bastion || groups.some((g) => g.spec?.role === 'Bastion')) spec.bastion = true;
  const sg = (gs: Obj[]) => [...new Set(gs.flatMap((g) => g.spec?.additionalSecurityGroups ?? []))] as string[];
  const sgs = { masters: sg(ordered), nodes: sg(nodes) };
  if (sgs.masters.length || sgs.nodes.length) spec.additionalSecurityGroups = { ...(sgs.masters.length ? { masters: sgs.masters } : {}), ...(sgs.nodes.length ? { nodes: sgs.nodes } : {}) };
  if (c.cloudLabels && Object.keys(c.cloudLabels).length) spec.tags = { ...c.cloudLabels };
  const igLabels = [...ordered, ...nodes].filter((g) => g.spec?.cloudLabels && Object.keys(g.spec.cloudLabels).length);
  if (igLabels.length) notes.push(`cloud labels of instance groups (${igLabels.map((g) => g.metadata.name).join(', ')}): haform tags every resource alike; add them to spec.tags if every resource should carry them`);
  return { raw: { apiVersion: 'haform.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec }, notes };
}

const SPOT_STRATEGIES = ['price-capacity-optimized', 'capacity-optimized', 'capacity-optimized-prioritized', 'lowest-price'];
const EXPANDERS = ['least-waste', 'random', 'most-pods'];

/**
 * The node groups' range (minSize, maxSize: haform's are the cluster's, spread evenly per zone as
 * nodeCount is), their mixed instances and spot price, and kops's clusterAutoscaler addon.
 */
function importCapacity(spec: RawCluster['spec'], nodes: readonly Obj[], autoscaler: Obj | undefined, notes: string[]): void {
  const sum = (k: 'minSize' | 'maxSize') => nodes.reduce((n, g) => n + Number(g.spec?.[k] ?? g.spec?.minSize ?? 0), 0);
  const [min, max] = [sum('minSize'), sum('maxSize')];
  const nodesSpec: NonNullable<RawCluster['spec']['nodes']> = {};
  if (max !== min) {
    nodesSpec.minSize = min;
    nodesSpec.maxSize = max;
    if (spec.nodeGroups === 'perZone' && nodes.length > 1 && new Set(nodes.map((g) => `${g.spec?.minSize}/${g.spec?.maxSize}`)).size > 1) {
      notes.push(`node groups scale ${nodes.map((g) => `${g.metadata.name} ${g.spec?.minSize} to ${g.spec?.maxSize}`).join(', ')}: haform's range is the cluster's, ${min} to ${max}, spread evenly over the zones`);
    }
  }
  // Mixed instances and spot price: one policy for every node group, from the first that has one.
  const mixedOf = nodes.filter((g) => g.spec?.mixedInstancesPolicy);
  const m: Obj | undefined = mixedOf[0]?.spec.mixedInstancesPolicy;
  if (m) {
    const policy: Obj = {};
    if (m.instances?.length) policy.instances = m.instances;
    if (m.onDemandBase !== undefined) policy.onDemandBase = Number(m.onDemandBase);
    if (m.onDemandAboveBase !== undefined) policy.onDemandAboveBase = Number(m.onDemandAboveBase);
    if (m.spotAllocationStrategy && SPOT_STRATEGIES.includes(m.spotAllocationStrategy)) policy.spotAllocationStrategy = m.spotAllocationStrategy;
    else if (m.spotAllocationStrategy) notes.push(`spotAllocationStrategy ${m.spotAllocationStrategy}: haform takes ${SPOT_STRATEGIES.join(', ')}; price-capacity-optimized used`);
    if (m.instanceRequirements) notes.push(`mixedInstancesPolicy.instanceRequirements of ${mixedOf[0]!.metadata.name}: haform names the instance types, not their attributes; list them in nodes.mixedInstancesPolicy.instances`);
    if (m.onDemandAllocationStrategy) notes.push(`onDemandAllocationStrategy ${m.onDemandAllocationStrategy}: haform leaves AWS's default (prioritized, in the order of the instances)`);
    if (m.spotInstancePools !== undefined) notes.push(`spotInstancePools ${m.spotInstancePools}: it applies to lowest-price only; haform does not set it`);
    if (policy.instances) nodesSpec.mixedInstancesPolicy = policy as NonNullable<typeof nodesSpec.mixedInstancesPolicy>;
    else notes.push(`mixedInstancesPolicy of ${mixedOf[0]!.metadata.name} lists no instances: not carried`);
  }
  const prices = [...new Set(nodes.map((g) => g.spec?.maxPrice).filter((p) => p !== undefined && p !== ''))].map(String);
  if (prices.length) nodesSpec.maxPrice = prices[0]!;
  const differ = (what: string, values: unknown[]) => {
    if (new Set(values.map((v) => JSON.stringify(v ?? null))).size > 1) notes.push(`${what} differ between the node groups (${nodes.map((g) => g.metadata.name).join(', ')}): haform has one for every group; ${mixedOf[0]?.metadata.name ?? nodes[0]?.metadata.name}'s used`);
  };
  if (nodes.length > 1) {
    differ('mixed instances policies', nodes.map((g) => g.spec?.mixedInstancesPolicy));
    differ('spot prices (maxPrice)', nodes.map((g) => g.spec?.maxPrice));
  }
  if (Object.keys(nodesSpec).length) spec.nodes = nodesSpec;

  if (autoscaler?.enabled) {
    const ca: NonNullable<RawCluster['spec']['clusterAutoscaler']> = { enabled: true };
    if (autoscaler.expander && EXPANDERS.includes(autoscaler.expander)) ca.expander = autoscaler.expander;
    else if (autoscaler.expander) notes.push(`clusterAutoscaler.expander ${autoscaler.expander}: haform takes ${EXPANDERS.join(', ')}; least-waste used`);
    if (autoscaler.balanceSimilarNodeGroups !== undefined) ca.balanceSimilarNodeGroups = Boolean(autoscaler.balanceSimilarNodeGroups);
    const other = Object.keys(autoscaler).filter((k) => !['enabled', 'expander', 'balanceSimilarNodeGroups', 'image'].includes(k));
    if (other.length) notes.push(`clusterAutoscaler ${other.join(', ')}: haform runs the autoscaler with upstream's defaults for these`);
    if (autoscaler.image) notes.push(`clusterAutoscaler.image ${autoscaler.image}: haform pins the release of the Kubernetes minor`);
    spec.clusterAutoscaler = ca;
  }
}

/** The haform YAML, headed by what was not carried, so that the notes travel with the file into review. */
export function renderImported(result: KopsImport, modeline: string, fieldOrder: readonly string[]): string {
  // The schema's field order, as create cluster and the README reference write them.
  const rank = (k: string) => (fieldOrder.includes(k) ? fieldOrder.indexOf(k) : fieldOrder.length);
  const spec = Object.fromEntries(Object.entries(result.raw.spec).sort(([a], [b]) => rank(a) - rank(b)));
  const doc = new Document({ ...result.raw, spec });
  const notes = result.notes.length ? ['', ' Not carried over from kops (or changed):', ...result.notes.map((n) => ` - ${n}`)] : [];
  doc.commentBefore = [` ${modeline}`, ' Imported from kops by haform import kops; check with: haform validate FILE', ...notes].join('\n');
  return doc.toString({ lineWidth: 0 });
}
