import { createHash } from 'node:crypto';

/**
 * Every name haform makes: Terraform addresses (stable logical names only, so that adding a master or a
 * zone only adds resources), AWS Name tags and AWS resource names with their length limits. Modelled
 * on kops's pkg/model/names.go.
 */

/** A Terraform identifier from any text: `us-west-2a` -> `us_west_2a`. */
export function tfId(text: string): string {
  const id = text.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[a-z_]/.test(id) ? id : `_${id}`;
}

/** Module name of a master: named after its etcd member, which never changes. */
export function masterModule(member: string): string {
  return `master_${tfId(member)}`;
}

/** `nodes` for the group across all zones, `nodes_a` for a zone's own group. */
export function nodesModule(zone?: string): string {
  return zone ? `nodes_${tfId(zoneLetter(zone))}` : 'nodes';
}

export function zoneLetter(zone: string): string {
  return zone.slice(-1);
}

/** kops names the etcd volumes `<member>.etcd-main.<cluster>`. */
export function etcdVolumeName(member: string, cluster: string, kind: 'main' | 'events'): string {
  return `${member}.etcd-${kind}.${cluster}`;
}

/** kops: `master-us-west-2a.masters.<cluster>`; a second master in the zone gets the member suffix. */
export function masterGroupName(member: string, zone: string, cluster: string): string {
  const suffix = member.length > 1 ? `-${member.slice(1)}` : '';
  return `master-${zone}${suffix}.masters.${cluster}`;
}

/** kops: `nodes.<cluster>` for a group across zones, `nodes-us-west-2a.<cluster>` for one zone's. */
export function nodeGroupName(zone: string | undefined, cluster: string): string {
  return zone ? `nodes-${zone}.${cluster}` : `nodes.${cluster}`;
}

export function bastionGroupName(cluster: string): string {
  return `bastions.${cluster}`;
}

export function subnetName(zone: string, cluster: string, utility: boolean): string {
  return `${utility ? 'utility-' : ''}${zone}.${cluster}`;
}

/** IAM role and instance profile names (64 characters at most). */
export function roleName(role: 'masters' | 'nodes' | 'bastions' | 'flow-logs', cluster: string): string {
  return limit(`${role}.${cluster}`, 64);
}

export function securityGroupName(role: 'masters' | 'nodes' | 'bastion' | 'api-elb', cluster: string): string {
  return limit(`${role}.${cluster}`, 255);
}

/**
 * Load balancer and target group names: 32 characters, letters, digits and hyphens. kops shortens
 * long names with a hash suffix so that two clusters never collide.
 */
export function loadBalancerName(prefix: 'api' | 'tcp' | 'api-int' | 'tcp-int', cluster: string): string {
  const base = `${prefix}-${cluster.replace(/\./g, '-')}`;
  return limit(base, 32, '-');
}

/** Keeps names within an AWS limit: a stable 6-character hash replaces the tail. */
export function limit(name: string, max: number, sep = ''): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, max - hash.length - sep.length).replace(/[-.]+$/, '')}${sep}${hash}`;
}

/** The private hosted zone of in-cluster names, and the API's name in it (kops: api.internal.<cluster>). */
export function internalZoneName(cluster: string): string {
  return `internal.${cluster}`;
}

export function internalApiName(cluster: string): string {
  return `api.${internalZoneName(cluster)}`;
}

/** SSM paths of the join material under the cluster's path: nodes may read only theirs, never the control plane's. */
export const PARAMETER_SUBPATHS = { controlPlane: 'control-plane', node: 'node', cluster: 'cluster' } as const;

/** The SSM Parameter Store path under which a cluster keeps its join material. */
export function parameterPath(cluster: string): string {
  return `/haform/${cluster}`;
}

/**
 * The alias of the cluster's KMS key: a static name, so that the boot scripts can pass it to
 * put-parameter. Aliases allow letters, digits, /, _ and -; cluster names have no _ (DNS names), so
 * . -> _ keeps two clusters apart. 256 characters at most.
 */
export function kmsAlias(cluster: string): string {
  return limit(`alias/haform/${cluster.replace(/\./g, '_')}`, 256);
}

/** The CloudWatch Logs group of the VPC's flow logs (512 characters at most). */
export function flowLogGroupName(cluster: string): string {
  return limit(`/haform/${cluster}/vpc-flow-logs`, 512);
}

/**
 * The CloudWatch namespace of a cluster's metrics: one per cluster, so that the masters' IAM can be
 * held to it (cloudwatch:namespace). Namespaces allow letters, digits and . - _ / # : (255 at most).
 */
export function metricNamespace(cluster: string): string {
  return limit(`haform/${cluster}`, 255);
}

/** The SNS topic haform creates for the alarms: letters, digits, - and _ (256 at most). */
export function alarmTopicName(cluster: string): string {
  return limit(`${cluster.replace(/\./g, '-')}-alarms`, 256);
}

/** A CloudWatch alarm's name: the cluster's, then what it watches (255 at most). */
export function alarmName(cluster: string, what: string): string {
  return `${limit(cluster, 255 - what.length - 1)}-${what}`;
}

/** Terraform names of the stateful resources, shared by the generators and the regeneration guard. */
export const TF = {
  vpc: 'main',
  /** The subnets where a zone's instances run, one for_each instance per zone: `private["us-west-2a"]`. */
  subnet: (zone: string, topology: 'public' | 'private') => forEachKey(topology, zone),
  utilitySubnet: (zone: string) => forEachKey('utility', zone),
  etcdVolume: (kind: 'main' | 'events') => `etcd_${kind}`,
  memberInterface: 'member',
  networkModule: 'network',
  securityModule: 'security',
} as const;

/** `203.0.113.0/24` -> `cidr_203_0_113_0_24`, `0.0.0.0/0` -> `anywhere`: how the per-CIDR rules of layout 1 were named. */
export function cidrId(cidr: string): string {
  return cidr === '0.0.0.0/0' ? 'anywhere' : tfId(cidr).replace(/^_/, 'cidr_');
}

/** A for_each instance's name within its module: `private["us-west-2a"]`. */
export function forEachKey(name: string, key: string): string {
  return `${name}[${JSON.stringify(key)}]`;
}

export function moduleAddress(module: string, type: string, name: string): string {
  return `module.${module}.${type}.${name}`;
}

/**
 * The cluster's own tag (kops's, and the cloud controller's "legacy" tag: it finds it on the masters
 * and then puts it on everything it creates), on which the IAM policies condition every write.
 */
export const CLUSTER_TAG = 'KubernetesCluster';

/** The tag by which a master finds its own network interface and volumes at boot. */
export const MEMBER_TAG = 'haform.io/etcd-member';

/** Where the bootstrap scripts go in the output; the launch templates read them, gzip-compressed. */
export const userDataPath = {
  master: 'userdata/master.sh',
  node: 'userdata/node.sh',
  bastion: 'userdata/bastion.sh',
  /** Not user data: the masters' metrics for the alarms, which they take from the bucket (boot/monitor.sh). */
  monitor: 'userdata/monitor.sh',
} as const;

/** The boot scripts in the cluster bucket, for the upgrade runbook: the copy a running instance takes. */
export const BOOT_PREFIX = 'boot';

/** S3 allows 37 characters of bucket prefix; the provider appends a unique suffix (bucket names are global). */
export function bucketPrefix(cluster: string): string {
  return `${cluster.replace(/[^a-z0-9-]/g, '-').slice(0, 36).replace(/-+$/, '')}-`;
}

/** Where etcd snapshots go in the cluster's bucket, as kops's etcd-manager keeps them. */
export const BACKUP_PREFIX = 'backups/etcd/main/';

/** SQS queue names allow 80 characters of letters, digits, - and _. */
export function terminationQueueName(cluster: string): string {
  return `${cluster.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 52)}-termination`;
}

/** EventBridge rule names allow 64 characters: the cluster's share of them, before the rule's own. */
export function eventRulePrefix(cluster: string): string {
  return cluster.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40);
}

/** A rule's name: the prefix (the cluster's share, or the module's variable), then the event's. */
export function eventRuleName(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/_/g, '-')}`;
}

/**
 * The cluster-autoscaler's tags on a node group (kubernetes/autoscaler cloudprovider/aws/README.md,
 * "Auto-Discovery Setup"): it scales the groups that carry both discovery tags, whatever their
 * values; the node-template tags tell it what a node of a group at zero would offer.
 */
export const AUTOSCALER_TAG_PREFIX = 'k8s.io/cluster-autoscaler/';
export const AUTOSCALER_ENABLED_TAG = `${AUTOSCALER_TAG_PREFIX}enabled`;
export function autoscalerClusterTag(cluster: string): string {
  return `${AUTOSCALER_TAG_PREFIX}${cluster}`;
}
export const NODE_TEMPLATE_STORAGE_TAG = `${AUTOSCALER_TAG_PREFIX}node-template/resources/ephemeral-storage`;
