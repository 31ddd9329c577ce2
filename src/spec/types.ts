/** The validated cluster, every default applied: what the spec layer hands to planning. */
export interface ClusterSpec {
  /** Path of the YAML file it came from, as given on the command line. */
  readonly source: string;
  readonly name: string;
  readonly region: string;
  readonly zones: readonly string[];
  readonly masterZones: readonly string[];
  readonly masterCount: number;
  readonly nodeCount: number;
  readonly nodeGroups: 'spread' | 'perZone';
  /** The node groups' size range and purchase options (nodes); fixed at nodeCount, on-demand, by default. */
  readonly nodeCapacity: NodeCapacitySpec;
  /** The cluster-autoscaler addon, or undefined when it is not asked for. */
  readonly clusterAutoscaler: ClusterAutoscalerSpec | undefined;
  readonly topology: 'public' | 'private';
  readonly networking: string;
  readonly networkCIDR: string;
  /** Secondary CIDR blocks of the VPC. */
  readonly additionalCIDRs: readonly string[];
  /** An existing VPC (and its internet gateway, if named), or undefined: haform creates the VPC. */
  readonly existingVpc: { readonly id: string; readonly internetGatewayId: string | undefined } | undefined;
  /** Subnets per zone, in the order of `zones`: explicit or defaulted. */
  readonly subnets: readonly SubnetSpec[];
  readonly masterSize: string;
  readonly nodeSize: string;
  readonly kubernetesVersion: string;
  readonly image: { readonly kind: 'ami'; readonly id: string } | { readonly kind: 'ssm'; readonly parameter: string };
  readonly etcd: EtcdSpec;
  readonly api: { readonly loadBalancerType: 'public' | 'internal'; readonly allowedCIDRs: readonly string[] };
  /** undefined for gossip (.k8s.local) clusters. */
  readonly dns: { readonly zoneName: string } | { readonly zoneId: string } | undefined;
  readonly sshAccess: readonly string[];
  readonly sshKeyName: string | undefined;
  readonly bastion: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly additionalSecurityGroups: { readonly masters: readonly string[]; readonly nodes: readonly string[] };
  /** generated: providers.tf is haform's; user: the user's own provider configuration. */
  readonly provider: 'generated' | 'user';
  /** Mirrors the instances download through (kops spec.assets); each undefined for the upstream hosts. */
  readonly assets: AssetsSpec;
  /** A role of the user's that may decrypt the join material and the backups; undefined for none. */
  readonly breakGlassRoleArn: string | undefined;
  /** Days CloudWatch Logs keeps the flow logs of the VPC haform creates. */
  readonly flowLogRetentionDays: number;
  /** CloudWatch alarms on the masters' metrics, to a topic haform creates (topicArn undefined) or the YAML's; undefined when off. */
  readonly alarms: { readonly topicArn: string | undefined } | undefined;
}

/** Sizes for the whole cluster, as nodeCount: spread over the per-zone groups like it. */
export interface NodeCapacitySpec {
  readonly minSize: number;
  readonly maxSize: number;
  /** Several instance types and spot capacity; undefined for on-demand nodeSize alone. */
  readonly mixed: MixedInstancesSpec | undefined;
}

export type SpotAllocationStrategy = 'price-capacity-optimized' | 'capacity-optimized' | 'capacity-optimized-prioritized' | 'lowest-price';

export interface MixedInstancesSpec {
  readonly instances: readonly string[];
  readonly onDemandBase: number;
  /** Percent of on-demand above onDemandBase; the rest is spot. */
  readonly onDemandAboveBase: number;
  readonly spotAllocationStrategy: SpotAllocationStrategy;
  /** The spot price ceiling in USD an hour; undefined for the on-demand price. */
  readonly maxPrice: string | undefined;
}

export interface ClusterAutoscalerSpec {
  readonly expander: 'least-waste' | 'random' | 'most-pods';
  readonly balanceSimilarNodeGroups: boolean;
}

export interface AssetsSpec {
  readonly containerProxy: string | undefined;
  readonly fileRepository: string | undefined;
}

export interface SubnetSpec {
  readonly zone: string;
  /** The CIDR of a subnet haform creates; for an existing subnet, the CIDR it must have, or ''. */
  readonly cidr: string;
  /** Likewise for the utility subnet (private topology); '' in public topology. */
  readonly utilityCidr: string;
  /** Existing subnets (all zones or none): used, never created. */
  readonly id?: string;
  readonly utilityId?: string;
  /** Private subnets haform creates: an existing NAT gateway, or external (no route table). */
  readonly egress?: string;
}

export interface EtcdSpec {
  readonly volumeSize: number;
  readonly volumeType: 'gp3' | 'gp2' | 'io1' | 'io2';
  readonly volumeIops: number | undefined;
  readonly volumeThroughput: number | undefined;
  readonly kmsKeyId: string | undefined;
  readonly preventDestroy: boolean;
  readonly backupRetentionDays: number;
  /** etcd's --quota-backend-bytes: the database size at which etcd refuses writes. */
  readonly quotaBackendBytes: number;
  /** etcd's --auto-compaction-retention in periodic mode, e.g. 1h. */
  readonly compactionRetention: string;
}

export type Severity = 'error' | 'warning';
export type YamlPath = readonly (string | number)[];

/** One finding about a cluster YAML, positioned at the offending node. */
export interface Problem {
  readonly severity: Severity;
  readonly rule: string;
  readonly message: string;
  readonly hint: string;
  readonly file: string;
  /** Dotted field path, e.g. spec.masterZones[1]; empty for the whole document. */
  readonly field: string;
  readonly line: number;
  readonly column: number;
}

/** The raw YAML after schema validation: the shape the schema guarantees, optional fields absent. */
export interface RawCluster {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    region?: string;
    zones: string[];
    masterZones?: string[];
    masterCount?: number;
    nodeCount?: number;
    nodeGroups?: 'spread' | 'perZone';
    nodes?: {
      minSize?: number;
      maxSize?: number;
      mixedInstancesPolicy?: { instances: string[]; onDemandBase?: number; onDemandAboveBase?: number; spotAllocationStrategy?: SpotAllocationStrategy };
      maxPrice?: string;
    };
    clusterAutoscaler?: { enabled?: boolean; expander?: ClusterAutoscalerSpec['expander']; balanceSimilarNodeGroups?: boolean };
    topology?: 'public' | 'private';
    networking?: string;
    networkCIDR?: string;
    network?: { vpcId?: string; internetGatewayId?: string; additionalCIDRs?: string[] };
    subnets?: { zone: string; cidr?: string; utilityCidr?: string; id?: string; utilityId?: string; egress?: string }[];
    masterSize?: string;
    nodeSize?: string;
    kubernetesVersion?: string;
    image?: string;
    etcd?: {
      volumeSize?: number;
      volumeType?: 'gp3' | 'gp2' | 'io1' | 'io2';
      volumeIops?: number;
      volumeThroughput?: number;
      kmsKeyId?: string;
      preventDestroy?: boolean;
      backupRetentionDays?: number;
      quotaBackendBytes?: number;
      compactionRetention?: string;
    };
    api?: { loadBalancerType?: 'public' | 'internal'; allowedCIDRs?: string[] };
    dns?: { zoneName?: string; zoneId?: string; none?: true };
    sshAccess?: string[];
    sshKeyName?: string;
    bastion?: boolean;
    tags?: Record<string, string>;
    additionalSecurityGroups?: { masters?: string[]; nodes?: string[] };
    terraform?: { provider?: 'generated' | 'user' };
    assets?: { containerProxy?: string; fileRepository?: string };
    encryption?: { breakGlassRoleArn?: string };
    flowLogs?: { retentionDays?: number };
    alarms?: { enabled?: boolean; topicArn?: string };
  };
}
