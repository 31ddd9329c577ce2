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
  readonly topology: 'public' | 'private';
  readonly networking: string;
  readonly networkCIDR: string;
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
  /** generated: providers.tf is haform's; user: the user's own provider configuration. */
  readonly provider: 'generated' | 'user';
}

export interface SubnetSpec {
  readonly zone: string;
  readonly cidr: string;
  readonly utilityCidr: string;
}

export interface EtcdSpec {
  readonly volumeSize: number;
  readonly volumeType: 'gp3' | 'gp2' | 'io1' | 'io2';
  readonly volumeIops: number | undefined;
  readonly volumeThroughput: number | undefined;
  readonly kmsKeyId: string | undefined;
  readonly preventDestroy: boolean;
  readonly backupRetentionDays: number;
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
    topology?: 'public' | 'private';
    networking?: string;
    networkCIDR?: string;
    subnets?: { zone: string; cidr: string; utilityCidr?: string }[];
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
    };
    api?: { loadBalancerType?: 'public' | 'internal'; allowedCIDRs?: string[] };
    dns?: { zoneName?: string; zoneId?: string };
    sshAccess?: string[];
    sshKeyName?: string;
    bastion?: boolean;
    tags?: Record<string, string>;
    terraform?: { provider?: 'generated' | 'user' };
  };
}
