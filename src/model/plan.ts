import type { ClusterSpec, MixedInstancesSpec } from '../spec/types.js';
import { releaseOf } from './versions.js';
import * as names from './names.js';
import { analyzeQuorum, placeMasters, type QuorumAnalysis } from './placement.js';

/** Everything generation needs, decided once: generators read this and nothing else. */
export interface ClusterPlan {
  readonly name: string;
  readonly region: string;
  readonly topology: 'public' | 'private';
  readonly networking: string;
  readonly kubernetesVersion: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly network: NetworkPlan;
  readonly masters: readonly MasterPlan[];
  /** The zones the YAML asks masters for: what the emitted tests hold the placement to. */
  readonly masterZones: readonly string[];
  readonly etcd: EtcdPlan;
  readonly nodeGroups: readonly NodeGroupPlan[];
  /** What the YAML asks of the node groups: one across the zones, or one per zone. */
  readonly nodePlacement: 'spread' | 'perZone';
  /** A node group has a size range: the nodes module leaves its desired capacity to the autoscaler. */
  readonly nodesScale: boolean;
  /** Several instance types or spot capacity in every node group (a mixed instances policy). */
  readonly nodeInstances: MixedInstancesSpec | undefined;
  /** The cluster-autoscaler addon, pinned to the Kubernetes minor; undefined when not asked for. */
  readonly clusterAutoscaler: ClusterAutoscalerPlan | undefined;
  readonly api: ApiPlan;
  readonly ssh: { readonly cidrs: readonly string[]; readonly keyName: string | undefined };
  readonly bastion: { readonly groupName: string } | undefined;
  readonly image: ClusterSpec['image'];
  readonly masterSize: string;
  readonly nodeSize: string;
  readonly roles: { readonly masters: string; readonly nodes: string; readonly bastions: string };
  readonly securityGroups: { readonly masters: string; readonly nodes: string; readonly api: string; readonly bastion: string };
  /** The user's security groups added to the masters' and the nodes' own. */
  readonly additionalSecurityGroups: { readonly masters: readonly string[]; readonly nodes: readonly string[] };
  readonly parameterPath: string;
  readonly quorum: QuorumAnalysis;
  /** Whether the root configures the aws provider, or the user's own file does. */
  readonly provider: 'generated' | 'user';
  readonly assets: ClusterSpec['assets'];
  /** The cluster's KMS key: its alias (static, so the boot scripts name it), and who else may use it. */
  readonly kms: { readonly alias: string; readonly breakGlassRoleArn: string | undefined };
  /** Flow logs of the VPC haform creates; undefined in an existing VPC (its flow logs are the user's). */
  readonly flowLogs: { readonly logGroup: string; readonly roleName: string; readonly retentionDays: number } | undefined;
  /** The alarms on the masters' metrics; undefined when alarms.enabled is false. */
  readonly alarms: AlarmsPlan | undefined;
}

export interface AlarmsPlan {
  /** Where the masters publish (cloudwatch:namespace holds their IAM to it). */
  readonly namespace: string;
  /** The topic haform creates (name), or the user's (arn). */
  readonly topic: { readonly name: string } | { readonly arn: string };
  /** The alarms' names, by what they watch. */
  readonly names: { readonly snapshotAge: string; readonly certificates: string; readonly databaseQuota: string };
  /** One alarm per etcd volume of every master (EBS's own checks): the volume, by its master's module, and the alarm's name. */
  readonly volumes: readonly { readonly module: string; readonly kind: 'main' | 'events'; readonly volumeName: string; readonly alarmName: string }[];
}

export interface ZonePlan {
  readonly zone: string;
  /** Terraform name of this zone's resources: `us_west_2a`. */
  readonly id: string;
  /** Where instances run: public subnet (public topology) or private subnet (private topology). */
  readonly subnet: SubnetPlan;
  /** Public subnet for load balancer, NAT and bastion (private topology only). */
  readonly utility: SubnetPlan | undefined;
  /**
   * The internet route of a private subnet haform creates: undefined for a NAT gateway of its own,
   * an existing NAT gateway's ID, or `external` (no route table: the user routes the subnet).
   */
  readonly egress: string | undefined;
}

/** A subnet haform creates (cidr), or an existing one (existingId; cidr '' or the CIDR it must have). */
export interface SubnetPlan {
  readonly cidr: string;
  readonly existingId?: string;
}

export interface NetworkPlan {
  readonly cidr: string;
  /** Secondary CIDR blocks, associated with the VPC when haform creates it. */
  readonly additionalCidrs: readonly string[];
  /** The user's VPC, looked up; undefined when haform creates the VPC. */
  readonly existingVpc: { readonly id: string; readonly internetGatewayId: string | undefined } | undefined;
  readonly zones: readonly ZonePlan[];
}

export interface MasterPlan {
  /** etcd member name: zone letter, then a2, a3 for further masters in the zone. */
  readonly member: string;
  readonly zone: string;
  readonly module: string;
  readonly groupName: string;
  readonly volumes: { readonly main: string; readonly events: string };
  /** kops's volume tag value: `<member>/<all members>`, e.g. `a/a,b,c`. */
  readonly etcdMemberTag: string;
}

export interface EtcdPlan {
  readonly members: readonly string[];
  readonly volumeSize: number;
  readonly volumeType: string;
  readonly volumeIops: number | undefined;
  readonly volumeThroughput: number | undefined;
  readonly kmsKeyId: string | undefined;
  readonly preventDestroy: boolean;
  readonly backupRetentionDays: number;
  readonly quotaBackendBytes: number;
  readonly compactionRetention: string;
}

/** An autoscaling group of workers: one across all zones (spread), or one per zone (perZone). */
export interface NodeGroupPlan {
  readonly zones: readonly string[];
  readonly module: string;
  readonly groupName: string;
  /** The desired capacity at creation (nodeCount's share). */
  readonly size: number;
  /** The group's range: minSize = maxSize = size for a fixed group. */
  readonly minSize: number;
  readonly maxSize: number;
  /** Tags of the group alone, not its instances: the cluster-autoscaler's, when the group may scale. */
  readonly groupTags: Readonly<Record<string, string>>;
}

export interface ClusterAutoscalerPlan {
  /** kubernetes/autoscaler's cluster-autoscaler release (image tag) of the Kubernetes minor. */
  readonly version: string;
  readonly expander: string;
  readonly balanceSimilarNodeGroups: boolean;
  /** --node-group-auto-discovery: the two tags every group it may scale carries. */
  readonly discoveryTags: readonly string[];
}

/**
 * What a node of a group at zero offers for pods' ephemeral-storage requests, for the
 * cluster-autoscaler's node template: the root volume (ROOT_VOLUME_SIZE, 64 GiB) less ext4's overhead
 * and kubelet's default hard eviction at 10% of nodefs, rounded down.
 */
export const NODE_TEMPLATE_EPHEMERAL_STORAGE = '56Gi';

export interface ApiPlan {
  readonly internal: boolean;
  readonly allowedCIDRs: readonly string[];
  readonly loadBalancerName: string;
  readonly targetGroupName: string;
  /** api.<cluster> in Route53, or undefined for gossip clusters (the load balancer's own name serves). */
  readonly dns: { readonly recordName: string; readonly zone: { readonly zoneId: string } | { readonly zoneName: string } } | undefined;
  /** api.internal.<cluster>: in-cluster clients' name for the API, an alias of an internal load balancer in a private zone. */
  readonly internalName: string;
  /**
   * The internal load balancer api.internal aliases, when the API's own is internet-facing (an
   * internal API load balancer serves both names).
   */
  readonly internalLoadBalancer: { readonly loadBalancerName: string; readonly targetGroupName: string } | undefined;
}

/** The SNS topic haform creates for the alarms (none: alarms off, or the YAML names its own topic). */
export function ownAlarmTopicName(plan: Pick<ClusterPlan, 'alarms'>): string | undefined {
  return plan.alarms && 'name' in plan.alarms.topic ? plan.alarms.topic.name : undefined;
}

export function buildPlan(spec: ClusterSpec): ClusterPlan {
  const cluster = spec.name;
  const placement = placeMasters(spec.masterZones, spec.masterCount);
  const members = placement.map((m) => m.name);
  const privateTopology = spec.topology === 'private';
  const groups = nodeGroups(spec);
  return {
    name: cluster,
    region: spec.region,
    topology: spec.topology,
    networking: spec.networking,
    kubernetesVersion: spec.kubernetesVersion,
    tags: {
      ...spec.tags,
      [names.CLUSTER_TAG]: cluster,
      [`kubernetes.io/cluster/${cluster}`]: 'owned',
    },
    network: {
      cidr: spec.networkCIDR,
      additionalCidrs: spec.additionalCIDRs,
      existingVpc: spec.existingVpc,
      zones: spec.subnets.map((s) => ({
        zone: s.zone,
        id: names.tfId(s.zone),
        subnet: { cidr: s.cidr, ...(s.id ? { existingId: s.id } : {}) },
        utility: privateTopology ? { cidr: s.utilityCidr, ...(s.utilityId ? { existingId: s.utilityId } : {}) } : undefined,
        egress: privateTopology ? s.egress : undefined,
      })),
    },
    masterZones: [...new Set(spec.masterZones)],
    masters: placement.map((m) => ({
      member: m.name,
      zone: m.zone,
      module: names.masterModule(m.name),
      groupName: names.masterGroupName(m.name, m.zone, cluster),
      volumes: { main: names.etcdVolumeName(m.name, cluster, 'main'), events: names.etcdVolumeName(m.name, cluster, 'events') },
      etcdMemberTag: `${m.name}/${members.join(',')}`,
    })),
    etcd: {
      members,
      volumeSize: spec.etcd.volumeSize,
      volumeType: spec.etcd.volumeType,
      volumeIops: spec.etcd.volumeIops,
      volumeThroughput: spec.etcd.volumeThroughput,
      kmsKeyId: spec.etcd.kmsKeyId,
      preventDestroy: spec.etcd.preventDestroy,
      backupRetentionDays: spec.etcd.backupRetentionDays,
      quotaBackendBytes: spec.etcd.quotaBackendBytes,
      compactionRetention: spec.etcd.compactionRetention,
    },
    nodeGroups: groups,
    nodePlacement: spec.nodeGroups,
    nodesScale: groups.some((g) => g.minSize < g.maxSize),
    nodeInstances: spec.nodeCapacity.mixed,
    clusterAutoscaler: spec.clusterAutoscaler && {
      version: releaseOf(spec.kubernetesVersion).clusterAutoscaler ?? '',
      expander: spec.clusterAutoscaler.expander,
      balanceSimilarNodeGroups: spec.clusterAutoscaler.balanceSimilarNodeGroups,
      discoveryTags: [names.AUTOSCALER_ENABLED_TAG, names.autoscalerClusterTag(cluster)],
    },
    api: {
      internal: spec.api.loadBalancerType === 'internal',
      allowedCIDRs: spec.api.allowedCIDRs,
      loadBalancerName: names.loadBalancerName('api', cluster),
      targetGroupName: names.loadBalancerName('tcp', cluster),
      dns: spec.dns ? { recordName: `api.${cluster}`, zone: spec.dns } : undefined,
      internalName: names.internalApiName(cluster),
      internalLoadBalancer:
        spec.api.loadBalancerType === 'internal'
          ? undefined
          : { loadBalancerName: names.loadBalancerName('api-int', cluster), targetGroupName: names.loadBalancerName('tcp-int', cluster) },
    },
    ssh: { cidrs: spec.sshAccess, keyName: spec.sshKeyName },
    bastion: spec.bastion ? { groupName: names.bastionGroupName(cluster) } : undefined,
    image: spec.image,
    masterSize: spec.masterSize,
    nodeSize: spec.nodeSize,
    roles: {
      masters: names.roleName('masters', cluster),
      nodes: names.roleName('nodes', cluster),
      bastions: names.roleName('bastions', cluster),
    },
    securityGroups: {
      masters: names.securityGroupName('masters', cluster),
      nodes: names.securityGroupName('nodes', cluster),
      api: names.securityGroupName('api-elb', cluster),
      bastion: names.securityGroupName('bastion', cluster),
    },
    additionalSecurityGroups: spec.additionalSecurityGroups,
    parameterPath: names.parameterPath(cluster),
    quorum: analyzeQuorum(placement, spec.zones),
    provider: spec.provider,
    assets: spec.assets,
    kms: { alias: names.kmsAlias(cluster), breakGlassRoleArn: spec.breakGlassRoleArn },
    flowLogs: spec.existingVpc ? undefined : { logGroup: names.flowLogGroupName(cluster), roleName: names.roleName('flow-logs', cluster), retentionDays: spec.flowLogRetentionDays },
    alarms: spec.alarms
      ? {
          namespace: names.metricNamespace(cluster),
          topic: spec.alarms.topicArn ? { arn: spec.alarms.topicArn } : { name: names.alarmTopicName(cluster) },
          names: {
            snapshotAge: names.alarmName(cluster, 'etcd-backup-stale'),
            certificates: names.alarmName(cluster, 'certificates-expiring'),
            databaseQuota: names.alarmName(cluster, 'etcd-database-quota'),
          },
          volumes: placement.flatMap((m) =>
            (['main', 'events'] as const).map((kind) => ({
              module: names.masterModule(m.name),
              kind,
              volumeName: names.etcdVolumeName(m.name, cluster, kind),
              alarmName: names.alarmName(cluster, `etcd-volume-${m.name}-${kind}`),
            })),
          ),
        }
      : undefined,
  };
}

/**
 * kops's single node group across every zone, or a group per zone with the count spread evenly; the
 * range is spread alike, so that each group's minimum <= size <= maximum holds as the cluster's does.
 */
function nodeGroups(spec: ClusterSpec): NodeGroupPlan[] {
  const { minSize, maxSize } = spec.nodeCapacity;
  const zones = spec.nodeGroups === 'spread' ? [undefined] : spec.zones;
  const share = (n: number) => (spec.nodeGroups === 'spread' ? [n] : spreadNodes(n, spec.zones).map((z) => z.size));
  const [sizes, mins, maxes] = [share(spec.nodeCount), share(minSize), share(maxSize)];
  return zones.map((zone, i) => {
    const [min, max] = [mins[i]!, maxes[i]!];
    return {
      zones: zone ? [zone] : spec.zones,
      size: sizes[i]!,
      minSize: min,
      maxSize: max,
      groupTags: min < max ? autoscalerTags(spec.name, min) : {},
      module: names.nodesModule(zone),
      groupName: names.nodeGroupName(zone, spec.name),
    };
  });
}

/** The discovery tags on a group that may scale, and the node template's storage when it may be at zero. */
function autoscalerTags(cluster: string, minSize: number): Record<string, string> {
  return {
    [names.AUTOSCALER_ENABLED_TAG]: 'true',
    [names.autoscalerClusterTag(cluster)]: 'owned',
    ...(minSize === 0 ? { [names.NODE_TEMPLATE_STORAGE_TAG]: NODE_TEMPLATE_EPHEMERAL_STORAGE } : {}),
  };
}

/** nodeCount spread evenly over the zones, the first zones taking the remainder. */
export function spreadNodes(count: number, zones: readonly string[]): { zone: string; size: number }[] {
  const base = Math.floor(count / zones.length);
  const extra = count % zones.length;
  return zones.map((zone, i) => ({ zone, size: base + (i < extra ? 1 : 0) }));
}
