import { defaultSubnetCidrs } from '../model/subnets.js';
import { DEFAULT_KUBERNETES_VERSION } from '../model/versions.js';
import type { ClusterSpec, EtcdSpec, MixedInstancesSpec, RawCluster } from './types.js';

/** Defaults as kops applies them; named so that the schema, README and code agree. */
export const DEFAULTS = {
  nodeCount: 2,
  nodeGroups: 'spread',
  /** kops's etcd-manager keeps 90 days of backups. */
  backupRetentionDays: 90,
  topology: 'public',
  networking: 'kubenet',
  networkCIDR: '172.20.0.0/16',
  masterSize: 't3.medium',
  nodeSize: 't3.medium',
  kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
  image: '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id',
  etcdVolumeSize: 20,
  etcdVolumeType: 'gp3',
  /** gp3's free baseline: asking for less saves nothing. */
  gp3Iops: 3000,
  gp3Throughput: 125,
  apiAllowedCIDRs: ['0.0.0.0/0'],
  /** AWS's default for a mixed instances policy: on-demand above the base, unless told otherwise. */
  onDemandAboveBase: 100,
  /** AWS's recommended spot strategy: the cheapest pools among those least likely to be interrupted. */
  spotAllocationStrategy: 'price-capacity-optimized',
  clusterAutoscalerExpander: 'least-waste',
  /** A year of flow logs: what CIS and checkov (CKV_AWS_338) ask of a log group. */
  flowLogRetentionDays: 365,
  /**
   * etcd's quota, set explicitly: etcd's own default is 2 GiB (server/storage/quota.go,
   * DefaultQuotaBytes), where kops clusters met NOSPACE (kops #4005); 8 GiB is etcd's suggested
   * maximum (MaxQuotaBytes) and EKS's limit.
   */
  etcdQuotaBackendBytes: 8 * 1024 ** 3,
  /** etcd compacts history older than this itself (the apiservers compact every 5 minutes too). */
  etcdCompactionRetention: '1h',
  /** Alarms are on unless alarms.enabled is false: the failures they report are silent otherwise. */
  alarmsEnabled: true,
} as const;

export const GOSSIP_SUFFIX = '.k8s.local';

/** `us-west-2a` -> `us-west-2`; undefined when the name is not `<region><letter>`. */
export function regionOfZone(zone: string): string | undefined {
  return /^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$/.exec(zone)?.[1];
}

/** kops: one master in the first zone by default; all zones when only a count above one is given. */
export function resolveMasters(spec: RawCluster['spec']): { masterZones: string[]; masterCount: number } {
  const masterCount = spec.masterCount ?? spec.masterZones?.length ?? 1;
  const masterZones = spec.masterZones ?? (masterCount > 1 ? [...spec.zones] : spec.zones.slice(0, 1));
  return { masterZones, masterCount };
}

/**
 * The node groups' desired, minimum and maximum size for the whole cluster, as kops sizes an
 * instance group: nodeCount is the desired size at creation; minSize and maxSize default to it, and
 * nodeCount to minSize (or 2, within maxSize) when only the range is given.
 */
export function resolveNodeSizes(spec: RawCluster['spec']): { count: number; min: number; max: number } {
  const n = spec.nodes ?? {};
  const count = spec.nodeCount ?? n.minSize ?? Math.min(DEFAULTS.nodeCount, n.maxSize ?? DEFAULTS.nodeCount);
  return { count, min: n.minSize ?? count, max: n.maxSize ?? count };
}

export function isGossip(name: string): boolean {
  return name.endsWith(GOSSIP_SUFFIX);
}

/** The parent domain: the hosted zone looked up when the YAML names none. */
export function parentDomain(name: string): string {
  return name.slice(name.indexOf('.') + 1);
}

/** Builds the ClusterSpec; only called once the schema and the semantic rules found no error. */
export function applyDefaults(raw: RawCluster, source: string): ClusterSpec {
  const s = raw.spec;
  const { masterZones, masterCount } = resolveMasters(s);
  const networkCIDR = s.networkCIDR ?? DEFAULTS.networkCIDR;
  const defaults = defaultSubnetCidrs(networkCIDR, s.zones, (s.topology ?? DEFAULTS.topology) === 'private') ?? [];
  const subnets = s.zones.map((zone, i) => {
    const explicit = s.subnets?.find((x) => x.zone === zone);
    if (!explicit) return { zone, cidr: defaults[i]!.cidr, utilityCidr: defaults[i]!.utilityCidr };
    return {
      zone,
      cidr: explicit.cidr ?? '',
      utilityCidr: explicit.utilityCidr ?? '',
      ...(explicit.id ? { id: explicit.id } : {}),
      ...(explicit.utilityId ? { utilityId: explicit.utilityId } : {}),
      ...(explicit.egress ? { egress: explicit.egress } : {}),
    };
  });
  const name = raw.metadata.name;
  const image = s.image ?? DEFAULTS.image;
  const nodeSizes = resolveNodeSizes(s);
  return {
    source,
    name,
    region: s.region ?? regionOfZone(s.zones[0]!)!,
    zones: s.zones,
    masterZones,
    masterCount,
    nodeCount: nodeSizes.count,
    nodeGroups: s.nodeGroups ?? DEFAULTS.nodeGroups,
    nodeCapacity: { minSize: nodeSizes.min, maxSize: nodeSizes.max, mixed: mixedInstances(s, s.nodeSize ?? DEFAULTS.nodeSize) },
    clusterAutoscaler: s.clusterAutoscaler?.enabled
      ? {
          expander: s.clusterAutoscaler.expander ?? DEFAULTS.clusterAutoscalerExpander,
          balanceSimilarNodeGroups: s.clusterAutoscaler.balanceSimilarNodeGroups ?? (s.nodeGroups ?? DEFAULTS.nodeGroups) === 'perZone',
        }
      : undefined,
    topology: s.topology ?? DEFAULTS.topology,
    networking: s.networking ?? DEFAULTS.networking,
    networkCIDR,
    additionalCIDRs: s.network?.additionalCIDRs ?? [],
    existingVpc: s.network?.vpcId ? { id: s.network.vpcId, internetGatewayId: s.network.internetGatewayId } : undefined,
    subnets,
    masterSize: s.masterSize ?? DEFAULTS.masterSize,
    nodeSize: s.nodeSize ?? DEFAULTS.nodeSize,
    kubernetesVersion: (s.kubernetesVersion ?? DEFAULTS.kubernetesVersion).replace(/^v/, ''),
    image: image.startsWith('ami-') ? { kind: 'ami', id: image } : { kind: 'ssm', parameter: image },
    etcd: etcdDefaults(s.etcd ?? {}),
    api: {
      loadBalancerType: s.api?.loadBalancerType ?? 'public',
      allowedCIDRs: s.api?.allowedCIDRs ?? [...DEFAULTS.apiAllowedCIDRs],
    },
    dns: isGossip(name) || s.dns?.none
      ? undefined
      : s.dns?.zoneId
        ? { zoneId: s.dns.zoneId }
        : { zoneName: s.dns?.zoneName ?? parentDomain(name) },
    sshAccess: s.sshAccess ?? [],
    sshKeyName: s.sshKeyName,
    bastion: s.bastion ?? false,
    tags: s.tags ?? {},
    additionalSecurityGroups: { masters: s.additionalSecurityGroups?.masters ?? [], nodes: s.additionalSecurityGroups?.nodes ?? [] },
    provider: s.terraform?.provider ?? 'generated',
    assets: { containerProxy: s.assets?.containerProxy, fileRepository: s.assets?.fileRepository },
    breakGlassRoleArn: s.encryption?.breakGlassRoleArn,
    flowLogRetentionDays: s.flowLogs?.retentionDays ?? DEFAULTS.flowLogRetentionDays,
    alarms: (s.alarms?.enabled ?? DEFAULTS.alarmsEnabled) ? { topicArn: s.alarms?.topicArn } : undefined,
  };
}

/** kops's mixedInstancesPolicy; maxPrice alone makes every node a spot instance of nodeSize, as in kops. */
function mixedInstances(s: RawCluster['spec'], nodeSize: string): MixedInstancesSpec | undefined {
  const m = s.nodes?.mixedInstancesPolicy;
  const maxPrice = s.nodes?.maxPrice;
  if (!m && maxPrice === undefined) return undefined;
  return {
    instances: m?.instances ?? [nodeSize],
    onDemandBase: m?.onDemandBase ?? 0,
    onDemandAboveBase: m ? (m.onDemandAboveBase ?? DEFAULTS.onDemandAboveBase) : 0,
    spotAllocationStrategy: m?.spotAllocationStrategy ?? DEFAULTS.spotAllocationStrategy,
    maxPrice,
  };
}

function etcdDefaults(e: NonNullable<RawCluster['spec']['etcd']>): EtcdSpec {
  const volumeType = e.volumeType ?? DEFAULTS.etcdVolumeType;
  const gp3 = volumeType === 'gp3';
  return {
    volumeSize: e.volumeSize ?? DEFAULTS.etcdVolumeSize,
    volumeType,
    volumeIops: e.volumeIops ?? (gp3 ? DEFAULTS.gp3Iops : undefined),
    volumeThroughput: e.volumeThroughput ?? (gp3 ? DEFAULTS.gp3Throughput : undefined),
    kmsKeyId: e.kmsKeyId,
    preventDestroy: e.preventDestroy ?? true,
    backupRetentionDays: e.backupRetentionDays ?? DEFAULTS.backupRetentionDays,
    quotaBackendBytes: e.quotaBackendBytes ?? DEFAULTS.etcdQuotaBackendBytes,
    compactionRetention: e.compactionRetention ?? DEFAULTS.etcdCompactionRetention,
  };
}
