/**
 * The full command line, parsed by yargs: every command, --help and --version. The commonest forms
 * never come here (see fast-args.ts); the engine's commands are loaded from their own bundle.
 */
import type { Argv } from 'yargs';
import { load } from '../bundles/load.js';
import { HaformError } from '../errors.js';
import { VERSION } from '../version.js';
import { emit } from './output.js';

const list = (v: unknown): string[] =>
  ([] as unknown[])
    .concat(v ?? [])
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter(Boolean);

/** kops --cloud-labels: `team=platform,env=prod`. */
function labels(v: string): Record<string, string> {
  return Object.fromEntries(
    list(v).map((item) => {
      const eq = item.indexOf('=');
      if (eq < 1) throw new HaformError(`--cloud-labels takes key=value pairs, comma separated; got "${item}"`, 2);
      return [item.slice(0, eq), item.slice(eq + 1)];
    }),
  );
}

function createClusterFlags(y: Argv) {
  return y
    .positional('clusterName', { type: 'string', describe: 'cluster DNS name (or use --name)' })
    .option('name', { type: 'string', describe: 'cluster DNS name' })
    .option('zones', { type: 'string', demandOption: true, describe: 'zones of the subnets and nodes, comma separated' })
    .option('master-zones', { type: 'string', alias: 'control-plane-zones', describe: 'zones that run masters' })
    .option('master-count', { type: 'number', alias: 'control-plane-count', describe: 'number of masters (odd)' })
    .option('node-count', { type: 'number', describe: 'number of worker nodes' })
    .option('topology', { choices: ['public', 'private'] as const, describe: 'network topology' })
    .option('networking', { type: 'string', describe: 'networking provider: kubenet (flannel with VXLAN, the default), calico, cilium, ...' })
    .option('bastion', { type: 'boolean', describe: 'run a bastion (private topology)' })
    .option('master-size', { type: 'string', alias: 'control-plane-size', describe: 'master instance type' })
    .option('node-size', { type: 'string', describe: 'node instance type' })
    .option('network-cidr', { type: 'string', describe: 'VPC CIDR; further comma-separated CIDRs are secondary blocks' })
    .option('vpc', { type: 'string', describe: 'existing VPC id to build the cluster in' })
    .option('subnets', { type: 'string', describe: 'existing subnet ids, one per zone in the order of --zones' })
    .option('utility-subnets', { type: 'string', describe: 'existing utility (public) subnet ids, one per zone (private topology)' })
    .option('master-security-groups', { type: 'string', alias: 'control-plane-security-groups', describe: 'existing security group ids added to the masters' })
    .option('node-security-groups', { type: 'string', describe: 'existing security group ids added to the nodes' })
    .option('cloud-labels', { type: 'string', describe: 'tags for every AWS resource: key=value, comma separated' })
    .option('dns', { choices: ['public', 'none'] as const, describe: 'none: no Route53 record; clients use the load balancer\'s name' })
    .option('ssh-access', { type: 'string', describe: 'CIDRs allowed to SSH' })
    .option('api-loadbalancer-type', { choices: ['public', 'internal'] as const, describe: 'API load balancer type' })
    .option('admin-access', { type: 'string', describe: 'CIDRs allowed to reach the API (default 0.0.0.0/0)' })
    .option('dns-zone', { type: 'string', describe: 'Route53 hosted zone name or id' })
    .option('kubernetes-version', { type: 'string', describe: 'Kubernetes version' })
    .option('image', { type: 'string', describe: 'AMI id or SSM parameter name' })
    .option('ssh-key-name', { type: 'string', describe: 'existing EC2 key pair' })
    .option('file', { type: 'string', alias: 'f', describe: 'write the cluster YAML here instead of stdout' })
    .option('force', { type: 'boolean', describe: 'overwrite an existing --file' })
    // kops habits, accepted so that a kops command line runs as typed; each says what haform does instead.
    .option('cloud', { choices: ['aws'] as const, describe: 'kops --cloud: haform builds on AWS only' })
    .option('state', { type: 'string', describe: "kops --state: haform keeps no state store (your Terraform backend holds the cluster's state)" })
    .option('yes', { type: 'boolean', alias: 'y', describe: 'kops --yes: haform creates nothing itself (terraform apply does)' })
    .option('target', { choices: ['yaml', 'terraform'] as const, default: 'yaml', describe: 'also generate Terraform (with --out)' })
    .option('out', { type: 'string', describe: 'output directory for --target terraform' });
}

export async function runProgram(argv: string[]): Promise<void> {
  const { default: yargs } = await import('yargs');
  await yargs(argv)
    .scriptName('haform')
    .usage('$0 <command>\n\nTurns one cluster YAML into the Terraform of a highly available Kubernetes cluster on AWS.')
    .command('create <what> [clusterName]', 'create a cluster YAML from kops-style flags', (y) => createClusterFlags(y.positional('what', { choices: ['cluster'] as const, describe: 'what to create' })).epilog('Exit codes: 0 written, 1 the flags make an invalid cluster, or --file exists (refused without --force), 2 usage error.'), async (a) => {
      const name = a.clusterName ?? a.name ?? '';
      if (!name) throw new HaformError('create cluster needs the cluster name: haform create cluster NAME --zones ... (or --name NAME)', 2);
      if (a.target === 'terraform' && !a.out) throw new HaformError('--target terraform needs --out DIR', 2);
      if (a.out && a.target !== 'terraform') throw new HaformError('--out is where --target terraform writes: add --target terraform, or drop --out', 2);
      for (const [flag, v] of [['--master-count', a.masterCount], ['--node-count', a.nodeCount]] as const) {
        if (v !== undefined && !Number.isInteger(v)) throw new HaformError(`${flag} takes a whole number, e.g. ${flag} 3`, 2);
      }
      const cidrs = list(a.networkCidr);
      const zoneCount = list(a.zones).length;
      for (const [flag, v] of [['--subnets', a.subnets], ['--utility-subnets', a.utilitySubnets]] as const) {
        if (v !== undefined && list(v).length !== zoneCount) throw new HaformError(`${flag} lists ${list(v).length} subnet(s) for ${zoneCount} zone(s): give one per zone, in the order of --zones`, 2);
      }
      if (a.dns === 'none' && a.dnsZone) throw new HaformError('--dns none means no hosted zone, yet --dns-zone names one: drop one of them', 2);
      if (a.utilitySubnets && !a.subnets) throw new HaformError('--utility-subnets needs --subnets: existing subnets are all of a cluster\'s or none', 2);
      const { createCluster } = await import('./create-cluster.js');
      const out = createCluster({
        name,
        zones: list(a.zones),
        masterZones: a.masterZones ? list(a.masterZones) : undefined,
        masterCount: a.masterCount,
        nodeCount: a.nodeCount,
        topology: a.topology,
        networking: a.networking,
        bastion: a.bastion,
        masterSize: a.masterSize,
        nodeSize: a.nodeSize,
        networkCidr: cidrs[0],
        additionalNetworkCidrs: cidrs.slice(1),
        vpc: a.vpc,
        subnets: a.subnets ? list(a.subnets) : undefined,
        utilitySubnets: a.utilitySubnets ? list(a.utilitySubnets) : undefined,
        masterSecurityGroups: a.masterSecurityGroups ? list(a.masterSecurityGroups) : undefined,
        nodeSecurityGroups: a.nodeSecurityGroups ? list(a.nodeSecurityGroups) : undefined,
        cloudLabels: a.cloudLabels ? labels(a.cloudLabels) : undefined,
        dns: a.dns as 'public' | 'none' | undefined,
        sshAccess: a.sshAccess ? list(a.sshAccess) : undefined,
        apiLoadBalancerType: a.apiLoadBalancerType as 'public' | 'internal' | undefined,
        adminAccess: a.adminAccess ? list(a.adminAccess) : undefined,
        dnsZone: a.dnsZone,
        kubernetesVersion: a.kubernetesVersion,
        image: a.image,
        sshKeyName: a.sshKeyName,
        file: a.file,
        force: a.force,
      });
      const notes = [
        a.state !== undefined ? `note: --state ${a.state}: kops's state store; haform keeps none. The cluster YAML is the spec, and your Terraform backend holds the state (README: In your infra repo).\n` : '',
        a.yes ? 'note: --yes: haform creates nothing itself; run terraform apply on the generated Terraform to create the cluster.\n' : '',
      ].join('');
      emit({ ...out, stderr: notes + out.stderr });
      if (out.spec && a.target === 'terraform' && a.out) {
        const { generateSpec } = await load('engine');
        emit(await generateSpec(out.spec, { out: a.out, force: a.force }));
      }
    })
    .command('import <from> <files..>', 'write a cluster YAML from kops Cluster and InstanceGroup manifests', (y) =>
      y
        .positional('from', { choices: ['kops'] as const, describe: 'the tool the manifests come from' })
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'kops manifests: kops get cluster NAME -o yaml, kops get ig --name NAME -o yaml' })
        .option('file', { type: 'string', alias: 'f', describe: 'write the cluster YAML here instead of stdout' })
        .option('force', { type: 'boolean', describe: 'overwrite an existing --file' })
        .epilog('What haform cannot carry over is listed on stderr and in the YAML\'s header.\nExit codes: 0 written, 1 the imported cluster is invalid, or --file exists (refused without --force), 2 unreadable or not kops manifests, usage error.'),
      async (a) => {
        const { importKopsCommand } = await import('./import-kops.js');
        emit(importKopsCommand({ files: a.files, file: a.file, force: a.force }));
      })
    .command('validate <files..>', 'check cluster YAML files (the pre-commit hook)', (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'cluster YAML files' })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output for people or for machines' })
        .epilog('Exit codes: 0 every file valid (warnings allowed), 1 a file is invalid, 2 a file cannot be read or usage error.'),
      async (a) => {
        const { validate } = await import('./validate.js');
        emit(validate({ files: a.files, format: a.format }));
      })
    .command('generate <file>', 'write the Terraform of a cluster YAML', (y) =>
      y.positional('file', { type: 'string', demandOption: true, describe: 'the cluster YAML' })
        .epilog('Exit codes: 0 written (or up to date), 1 invalid input, a refused change, or out of date with --check, 2 usage error.')
        .option('out', { type: 'string', alias: 'o', demandOption: true, describe: 'output directory' })
        .option('check', { type: 'boolean', describe: 'write nothing; exit 1 if the directory is out of date (CI drift gate)' })
        .option('force', { type: 'boolean', describe: 'discard hand edits of generated files' })
        .option('allow-destroy', { type: 'boolean', describe: 'generate even if etcd volumes, member interfaces, the VPC, subnets holding masters or the backup bucket would be destroyed or replaced' })
        .option('dry-run', { type: 'boolean', describe: 'write nothing; list the files that would change and any state it would destroy' }),
      async (a) => {
        const { generate } = await load('engine');
        emit(await generate({ file: a.file, out: a.out, check: a.check, force: a.force, allowDestroy: a.allowDestroy, dryRun: a.dryRun }));
      })
    .command('diff <old> <new>', 'what changing a cluster YAML does: members, quorum, resources; exit 0 safe, 1 destroys state, 2 invalid input', (y) =>
      y
        .positional('old', { type: 'string', demandOption: true, describe: 'the cluster YAML as it is' })
        .positional('new', { type: 'string', demandOption: true, describe: 'the cluster YAML as it would be' })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output for people or for machines' })
        .epilog('Exit codes: 0 safe, 1 destroys or replaces state, 2 invalid input or usage error.'),
      async (a) => {
        const { diff } = await load('engine');
        emit(await diff(a.old, a.new, a.format));
      })
    .command('plan-check <plan>', "the quorum guard on a Terraform plan: refuses one that replaces or destroys more than one master, or any member's etcd volume or interface", (y) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'the plan as JSON: terraform show -json PLANFILE > plan.json ("-" for standard input)' })
        .option('allow-destroy', { type: 'boolean', describe: "accept a plan that destroys or replaces a member's etcd volume or interface, the VPC, a subnet holding a master, the backup bucket or the KMS key (never several masters at once)" })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output for people or for machines' })
        .epilog('Exit codes: 0 safe to apply in one run, 1 refused, 2 unreadable or not a plan\'s JSON, usage error.'),
      async (a) => {
        const { planCheck } = await import('./plan-check.js');
        emit(planCheck(a.plan, { allowDestroy: a.allowDestroy, format: a.format }));
      })
    .command('kubeconfig <file>', 'an admin kubeconfig, as kops export kubeconfig --admin: the key made here, its certificate signed by a running master through SSM', (y) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'the cluster YAML' })
        .option('member', { type: 'string', describe: 'the etcd member whose master signs (default: the first running)' })
        .option('user', { type: 'string', describe: 'the certificate\'s common name (default haform-admin-$USER)' })
        .option('days', { type: 'number', default: 1, describe: 'days the certificate is valid (1 to 30)' })
        .option('server', { type: 'string', describe: 'the API URL (default https://api.<cluster>:443, or the API load balancer\'s name for a gossip cluster)' })
        .option('out', { type: 'string', alias: 'o', describe: 'write the kubeconfig here (0600) instead of stdout' })
        .option('force', { type: 'boolean', describe: 'replace an existing --out' })
        .epilog('Needs the AWS CLI with ec2:DescribeInstances and ssm:SendCommand on the masters, and openssl.\nExit codes: 0 written, 1 invalid input, no running master or a refused answer, or --out exists (without --force), 2 usage error.'),
      async (a) => {
        const { kubeconfig } = await import('./kubeconfig.js');
        emit(kubeconfig({ file: a.file, member: a.member, user: a.user, days: a.days, server: a.server, out: a.out, force: a.force }));
      })
    .command('explain <file>', 'show masters and etcd members per zone, and what losing each zone does', (y) => y.positional('file', { type: 'string', demandOption: true, describe: 'the cluster YAML' }).epilog('Exit codes: 0 explained, 1 invalid input, 2 usage error.'), async (a) => {
      const { explain } = await import('./explain.js');
      emit(explain(a.file));
    })
    .command('schema', 'print the JSON Schema of the cluster YAML', (y) => y, async () => {
      const { printSchema } = await import('./schema.js');
      emit(printSchema());
    })
    .demandCommand(1, 'name a command; see haform --help')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .fail((msg, err) => {
      throw err ?? new HaformError(`${msg}\nRun haform --help for usage.`, 2);
    })
    .parseAsync();
}
