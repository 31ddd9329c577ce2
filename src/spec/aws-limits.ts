import * as names from '../model/names.js';
import { AUTOSCALER_TAG_PREFIX } from '../model/names.js';
import { placeMasters } from '../model/placement.js';
import { DEFAULTS, resolveMasters, resolveNodeSizes } from './defaults.js';
import type { RawCluster, YamlPath } from './types.js';

/**
 * What AWS refuses and an emulator accepts: the lengths of the names haform derives from the cluster
 * name, and the limits on tags. Checked at validate time, at the YAML node that causes them, because
 * otherwise they surface mid-apply with half a cluster created. Names that already carry a hash
 * (load balancer, target group, IAM role) fit by construction and are not listed.
 */
export const AWS_LIMITS = {
  /** CreateLaunchTemplate: LaunchTemplateName, 3-125 characters. */
  launchTemplateName: 125,
  /** Tag keys 128, values 256 (Unicode characters); 50 tags per resource. */
  tagKey: 128,
  tagValue: 256,
  tagsPerResource: 50,
  /** A DNS name: api.<cluster> must fit in 253 characters. */
  dnsName: 253,
} as const;

type Report = (path: YamlPath, severity: 'error' | 'warning', rule: string, message: string, hint: string) => void;

interface DerivedName {
  readonly what: string;
  readonly name: string;
  readonly limit: number;
}

/** Every AWS name or tag that grows with the cluster name, with the limit AWS sets on it. */
export function derivedNames(c: RawCluster): DerivedName[] {
  const cluster = c.metadata.name;
  const { masterZones, masterCount } = resolveMasters(c.spec);
  const lt = AWS_LIMITS.launchTemplateName;
  const out: DerivedName[] = [
    { what: 'the cluster tag key', name: `kubernetes.io/cluster/${cluster}`, limit: AWS_LIMITS.tagKey },
    { what: 'the API DNS name', name: `api.${cluster}`, limit: AWS_LIMITS.dnsName },
  ];
  for (const m of placeMasters(masterZones, masterCount)) {
    out.push({ what: `the launch template of master ${m.name}`, name: names.masterGroupName(m.name, m.zone, cluster), limit: lt });
    for (const kind of ['main', 'events'] as const) {
      out.push({ what: `the Name tag of master ${m.name}'s etcd ${kind} volume`, name: names.etcdVolumeName(m.name, cluster, kind), limit: AWS_LIMITS.tagValue });
    }
  }
  if ((c.spec.nodeGroups ?? DEFAULTS.nodeGroups) === 'spread') out.push({ what: 'the launch template of the nodes', name: names.nodeGroupName(undefined, cluster), limit: lt });
  for (const zone of c.spec.zones) {
    if (c.spec.nodeGroups === 'perZone') out.push({ what: `the launch template of the nodes in ${zone}`, name: names.nodeGroupName(zone, cluster), limit: lt });
    out.push({ what: `the Name tag of the utility subnet in ${zone}`, name: names.subnetName(zone, cluster, true), limit: AWS_LIMITS.tagValue });
  }
  if (c.spec.bastion) out.push({ what: 'the launch template of the bastion', name: names.bastionGroupName(cluster), limit: lt });
  return out;
}

export function checkNameLengths(c: RawCluster, report: Report): void {
  const over = derivedNames(c).filter((n) => n.name.length > n.limit);
  if (!over.length) return;
  const worst = over.reduce((a, b) => (b.name.length - b.limit > a.name.length - a.limit ? b : a));
  const max = c.metadata.name.length - (worst.name.length - worst.limit);
  const others = over.length > 1 ? ` (and ${over.length - 1} other name(s))` : '';
  report(
    ['metadata', 'name'],
    'error',
    'name-too-long',
    `the cluster name makes ${worst.what} ${worst.name.length} characters long, over AWS's limit of ${worst.limit}${others}`,
    `use a cluster name of at most ${max} characters with these zones`,
  );
}

/** Tag keys haform sets itself; a user tag of the same key would silently lose to them or break lookups. */
function reservedTagKeys(cluster: string): string[] {
  return ['Name', 'KubernetesCluster', `kubernetes.io/cluster/${cluster}`, 'k8s.io/role/master', 'k8s.io/role/node', 'k8s.io/role/bastion', 'k8s.io/etcd/main', 'k8s.io/etcd/events', names.MEMBER_TAG];
}

/** The most tags haform puts on one resource besides the user's: an etcd volume's. */
const HAFORM_TAGS_PER_RESOURCE = 6;
/**
 * A node group that scales: its five (the cluster's two, Name, role, the termination handler's),
 * the cluster-autoscaler's two discovery tags, and its node template's storage when it scales from zero.
 */
function haformTags(c: RawCluster): number {
  const { min, max } = resolveNodeSizes(c.spec);
  return min < max ? Math.max(HAFORM_TAGS_PER_RESOURCE, 5 + 2 + (min === 0 ? 1 : 0)) : HAFORM_TAGS_PER_RESOURCE;
}

/** The characters every tagged service accepts (IAM's tag pattern, which S3 and SQS share). */
const TAG_CHARACTER = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]$/u;

export function checkTags(c: RawCluster, report: Report): void {
  const tags = c.spec.tags ?? {};
  const keys = Object.keys(tags);
  const reserved = reservedTagKeys(c.metadata.name);
  for (const key of keys) {
    // The schema holds keys to these characters; values are checked here, with a message that says why.
    const bad = [...String(tags[key])].filter((ch) => !TAG_CHARACTER.test(ch));
    if (bad.length) {
      report(['spec', 'tags', key], 'error', 'tag-characters', `tag ${key}: ${[...new Set(bad)].map((ch) => JSON.stringify(ch)).join(', ')} not allowed in its value: IAM, S3 and SQS accept letters, digits, spaces and _ . : / = + - @ only (EC2 alone accepts more)`, 'use only those characters in tag values');
    }
    if (/^aws:/i.test(key)) {
      report(['spec', 'tags', key], 'error', 'tag-key-reserved', `tag key "${key}": the aws: prefix is reserved for AWS`, 'rename the tag');
    } else if (key.startsWith(AUTOSCALER_TAG_PREFIX)) {
      report(['spec', 'tags', key], 'error', 'tag-key-reserved', `tag key "${key}": the cluster-autoscaler's tags would be on every resource, the masters' groups too, which it may then scale`, 'remove the tag: haform tags the node groups that scale (nodes.minSize < nodes.maxSize)');
    } else if (reserved.includes(key)) {
      report(['spec', 'tags', key], 'error', 'tag-key-reserved', `tag key "${key}" is set by haform (masters find their volumes and the cloud provider finds the cluster by it)`, 'remove the tag, or rename it');
    }
  }
  const own = haformTags(c);
  const room = AWS_LIMITS.tagsPerResource - own;
  if (keys.length > room) {
    report(['spec', 'tags'], 'error', 'tags-too-many', `${keys.length} tags, plus haform's own ${own}, exceed AWS's ${AWS_LIMITS.tagsPerResource} tags per resource`, `keep at most ${room} tags in spec.tags`);
  }
}
