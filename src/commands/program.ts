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

function createClusterFlags(y: Argv) {
  return y
    .positional('clusterName', { type: 'string', describe: 'cluster DNS name (or use --name)' })
    .option('name', { type: 'string', describe: 'cluster DNS name' })
    .option('zones', { type: 'string', demandOption: true, describe: 'zones of the subnets and nodes, comma separated' })
    .option('master-zones', { type: 'string', alias: 'control-plane-zones', describe: 'zones that run masters' })
    .option('master-count', { type: 'number', alias: 'control-plane-count', describe: 'number of masters (odd)' })
    .option('node-count', { type: 'number', describe: 'number of worker nodes' })
    .option('topology', { choices: ['public', 'private'] as const, describe: 'network topology' })
    .option('networking', { type: 'string', describe: 'networking provider (kubenet, calico, cilium, ...)' })
    .option('bastion', { type: 'boolean', describe: 'run a bastion (private topology)' })
    .option('master-size', { type: 'string', alias: 'control-plane-size', describe: 'master instance type' })
    .option('node-size', { type: 'string', describe: 'node instance type' })
    .option('network-cidr', { type: 'string', describe: 'VPC CIDR' })
    .option('ssh-access', { type: 'string', describe: 'CIDRs allowed to SSH' })
    .option('api-loadbalancer-type', { choices: ['public', 'internal'] as const, describe: 'API load balancer type' })
    .option('admin-access', { type: 'string', describe: 'CIDRs allowed to reach the API (default 0.0.0.0/0)' })
    .option('dns-zone', { type: 'string', describe: 'Route53 hosted zone name or id' })
    .option('kubernetes-version', { type: 'string', describe: 'Kubernetes version' })
    .option('image', { type: 'string', describe: 'AMI id or SSM parameter name' })
    .option('ssh-key-name', { type: 'string', describe: 'existing EC2 key pair' })
    .option('file', { type: 'string', alias: 'f', describe: 'write the cluster YAML here instead of stdout' })
    .option('force', { type: 'boolean', describe: 'overwrite an existing --file' })
    .option('target', { choices: ['yaml', 'terraform'] as const, default: 'yaml', describe: 'also generate Terraform (with --out)' })
    .option('out', { type: 'string', describe: 'output directory for --target terraform' });
}

export async function runProgram(argv: string[]): Promise<void> {
  const { default: yargs } = await import('yargs');
  await yargs(argv)
    .scriptName('haform')
    .usage('$0 <command>\n\nTurns one cluster YAML into the Terraform of a highly available Kubernetes cluster on AWS.')
    .command('create <what> [clusterName]', 'create a cluster YAML from kops-style flags', (y) => createClusterFlags(y.positional('what', { choices: ['cluster'] as const, describe: 'what to create' })).epilog('Exit codes: 0 written, 1 the flags make an invalid cluster, 2 usage error.'), async (a) => {
      const name = a.clusterName ?? a.name ?? '';
      if (!name) throw new HaformError('create cluster needs the cluster name: haform create cluster NAME --zones ... (or --name NAME)', 2);
      if (a.target === 'terraform' && !a.out) throw new HaformError('--target terraform needs --out DIR', 2);
      if (a.out && a.target !== 'terraform') throw new HaformError('--out is where --target terraform writes: add --target terraform, or drop --out', 2);
      for (const [flag, v] of [['--master-count', a.masterCount], ['--node-count', a.nodeCount]] as const) {
        if (v !== undefined && !Number.isInteger(v)) throw new HaformError(`${flag} takes a whole number, e.g. ${flag} 3`, 2);
      }
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
        networkCidr: a.networkCidr,
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
      emit(out);
      if (out.spec && a.target === 'terraform' && a.out) {
        const { generateSpec } = await load('engine');
        emit(await generateSpec(out.spec, { out: a.out, force: a.force }));
      }
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
        .option('allow-destroy', { type: 'boolean', describe: 'generate even if etcd volumes, the VPC or subnets holding masters would be destroyed or replaced' })
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
