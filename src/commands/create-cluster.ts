import { existsSync, writeFileSync } from 'node:fs';
import { Document } from 'yaml';
import { HaformError } from '../errors.js';
import { isGossip, parentDomain, resolveMasters } from '../spec/defaults.js';
import { loadClusterText, type ClusterSpec, type Problem } from '../spec/index.js';
import { schema } from '../spec/schema-check.js';
import type { RawCluster } from '../spec/types.js';
import { type CommandOutput, output } from './output.js';

/** The `# yaml-language-server` line makes editors validate and complete the file while typing. */
export const SCHEMA_MODELINE = `yaml-language-server: $schema=${schema.$id}`;

/** The flags of `kops create cluster`, already parsed. */
export interface CreateClusterOptions {
  readonly name: string;
  readonly zones: readonly string[];
  readonly masterZones?: readonly string[];
  readonly masterCount?: number;
  readonly nodeCount?: number;
  readonly topology?: 'public' | 'private';
  readonly networking?: string;
  readonly bastion?: boolean;
  readonly masterSize?: string;
  readonly nodeSize?: string;
  readonly networkCidr?: string;
  /** --network-cidr's further values: secondary blocks of the VPC. */
  readonly additionalNetworkCidrs?: readonly string[];
  readonly vpc?: string;
  /** Existing subnet ids, paired with --zones by position; the zones are checked at plan time. */
  readonly subnets?: readonly string[];
  readonly utilitySubnets?: readonly string[];
  readonly masterSecurityGroups?: readonly string[];
  readonly nodeSecurityGroups?: readonly string[];
  readonly cloudLabels?: Readonly<Record<string, string>>;
  readonly dns?: 'public' | 'none';
  readonly sshAccess?: readonly string[];
  readonly apiLoadBalancerType?: 'public' | 'internal';
  /** kops --admin-access: who may reach the API. */
  readonly adminAccess?: readonly string[];
  readonly dnsZone?: string;
  readonly kubernetesVersion?: string;
  readonly image?: string;
  readonly sshKeyName?: string;
  readonly file?: string;
  readonly force?: boolean;
}

/** The option behind each flag: a flag the user did not pass is named as the way to change a default. */
const OPTION_OF: Record<string, keyof CreateClusterOptions> = {
  '--zones': 'zones',
  '--master-zones': 'masterZones',
  '--master-count': 'masterCount',
  '--node-count': 'nodeCount',
  '--topology': 'topology',
  '--networking': 'networking',
  '--bastion': 'bastion',
  '--master-size': 'masterSize',
  '--node-size': 'nodeSize',
  '--network-cidr': 'networkCidr',
  '--vpc': 'vpc',
  '--subnets': 'subnets',
  '--master-security-groups': 'masterSecurityGroups',
  '--node-security-groups': 'nodeSecurityGroups',
  '--cloud-labels': 'cloudLabels',
  '--dns': 'dns',
  '--ssh-access': 'sshAccess',
  '--api-loadbalancer-type': 'apiLoadBalancerType',
  '--admin-access': 'adminAccess',
  '--dns-zone': 'dnsZone',
  '--kubernetes-version': 'kubernetesVersion',
  '--image': 'image',
  '--ssh-key-name': 'sshKeyName',
};

/** Which flag sets which field, so that errors name what the user typed. */
const FLAG_OF: Record<string, string> = {
  'metadata.name': 'NAME',
  'spec.zones': '--zones',
  'spec.masterZones': '--master-zones',
  'spec.masterCount': '--master-count',
  'spec.nodeCount': '--node-count',
  'spec.topology': '--topology',
  'spec.networking': '--networking',
  'spec.bastion': '--bastion',
  'spec.masterSize': '--master-size',
  'spec.nodeSize': '--node-size',
  'spec.networkCIDR': '--network-cidr',
  'spec.network': '--vpc',
  'spec.network.additionalCIDRs': '--network-cidr',
  'spec.subnets': '--subnets',
  'spec.additionalSecurityGroups.masters': '--master-security-groups',
  'spec.additionalSecurityGroups.nodes': '--node-security-groups',
  'spec.tags': '--cloud-labels',
  'spec.dns.none': '--dns',
  'spec.sshAccess': '--ssh-access',
  'spec.api': '--api-loadbalancer-type',
  'spec.api.allowedCIDRs': '--admin-access',
  'spec.dns': '--dns-zone',
  'spec.kubernetesVersion': '--kubernetes-version',
  'spec.image': '--image',
  'spec.sshKeyName': '--ssh-key-name',
};

/** Builds the cluster YAML from kops-style flags, validates it, and writes it (or prints it). */
export function createCluster(opts: CreateClusterOptions): CommandOutput & { spec?: ClusterSpec; yaml?: string } {
  const raw = toRaw(opts);
  const text = renderYaml(raw);
  const { spec, problems } = loadClusterText(opts.file ?? '<flags>', text);
  const report = problems.map((p) => `${formatForFlags(p, opts)}\n`).join('');
  if (!spec) return { ...output('', report, 1) };
  if (opts.file) {
    writeNewFile(opts.file, text, opts.force);
    return { ...output(`wrote ${opts.file}\n`, report, 0), spec, yaml: text };
  }
  return { ...output(text, report, 0), spec, yaml: text };
}

/** Writes a cluster YAML the user asked for by --file; an existing file only with --force. */
export function writeNewFile(file: string, text: string, force: boolean | undefined): void {
  if (existsSync(file) && !force) {
    throw new HaformError(`${file} exists; haform will not overwrite it. Pass --force to replace it, or choose another --file.`, 1);
  }
  writeFileSync(file, text);
}

function toRaw(o: CreateClusterOptions): RawCluster {
  const zones = [...o.zones];
  const spec: RawCluster['spec'] = { zones };
  const masters = resolveMasters({ zones, masterZones: o.masterZones ? [...o.masterZones] : undefined, masterCount: o.masterCount });
  spec.masterZones = masters.masterZones;
  spec.masterCount = masters.masterCount;
  spec.nodeCount = o.nodeCount ?? 2;
  spec.topology = o.topology ?? 'public';
  spec.networking = o.networking ?? 'kubenet';
  if (o.networkCidr) spec.networkCIDR = o.networkCidr;
  if (o.vpc || o.additionalNetworkCidrs?.length) {
    spec.network = { ...(o.vpc ? { vpcId: o.vpc } : {}), ...(o.additionalNetworkCidrs?.length ? { additionalCIDRs: [...o.additionalNetworkCidrs] } : {}) };
  }
  if (o.subnets) spec.subnets = zones.map((zone, i) => ({ zone, id: o.subnets![i]!, ...(o.utilitySubnets ? { utilityId: o.utilitySubnets[i]! } : {}) }));
  if (o.masterSize) spec.masterSize = o.masterSize;
  if (o.nodeSize) spec.nodeSize = o.nodeSize;
  if (o.kubernetesVersion) spec.kubernetesVersion = o.kubernetesVersion;
  if (o.image) spec.image = o.image;
  // Written out even when defaulted, so that an API open to the world is visible in review.
  spec.api = { loadBalancerType: o.apiLoadBalancerType ?? 'public', allowedCIDRs: o.adminAccess ? [...o.adminAccess] : ['0.0.0.0/0'] };
  if (o.dns === 'none') spec.dns = { none: true };
  else if (o.dnsZone) spec.dns = /^Z[A-Z0-9]{1,31}$/.test(o.dnsZone) ? { zoneId: o.dnsZone } : { zoneName: o.dnsZone };
  else if (!isGossip(o.name) && o.name.includes('.')) spec.dns = { zoneName: parentDomain(o.name) };
  if (o.sshAccess?.length) spec.sshAccess = [...o.sshAccess];
  if (o.sshKeyName) spec.sshKeyName = o.sshKeyName;
  if (o.bastion) spec.bastion = true;
  if (o.masterSecurityGroups?.length || o.nodeSecurityGroups?.length) {
    spec.additionalSecurityGroups = { ...(o.masterSecurityGroups?.length ? { masters: [...o.masterSecurityGroups] } : {}), ...(o.nodeSecurityGroups?.length ? { nodes: [...o.nodeSecurityGroups] } : {}) };
  }
  if (o.cloudLabels && Object.keys(o.cloudLabels).length) spec.tags = { ...o.cloudLabels };
  return { apiVersion: 'haform.io/v1alpha1', kind: 'Cluster', metadata: { name: o.name }, spec };
}

function renderYaml(raw: RawCluster): string {
  const doc = new Document(raw);
  doc.commentBefore = ` ${SCHEMA_MODELINE}\n Written by haform create cluster; edit freely and check with: haform validate FILE`;
  return doc.toString({ lineWidth: 0 });
}

/** The problem in the user's terms: the flag they passed, or, for a default, the flag that changes it. */
function formatForFlags(p: Problem, opts: CreateClusterOptions): string {
  const key = Object.keys(FLAG_OF)
    .filter((k) => p.field === k || p.field.startsWith(`${k}.`) || p.field.startsWith(`${k}[`))
    .sort((a, b) => b.length - a.length)[0];
  const name = key ? FLAG_OF[key]! : undefined;
  const option = name ? OPTION_OF[name] : undefined;
  const given = !option || opts[option] !== undefined;
  const flag = name ? (given ? ` (${name})` : ` (a default: set ${name})`) : '';
  return `haform create cluster: ${p.severity}[${p.rule}]${flag}: ${p.message}. hint: ${p.hint}`;
}
