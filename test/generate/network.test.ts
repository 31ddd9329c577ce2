import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { statefulInventory } from '../../src/model/inventory.js';
import { buildPlan } from '../../src/model/plan.js';
import { loadClusterFile, loadClusterText } from '../../src/spec/index.js';
import { topLevelBlocks } from '../../src/render/hcl-fix.js';

const hcl = (text: string) => topLevelBlocks(text.replace(/^\s*#.*$/gm, ''));

/** The user's own network (kops --vpc, --subnets): what haform looks up, what it creates, what it leaves alone. */
async function output(fixture: string, edit: (text: string) => string = (t) => t) {
  const { spec, problems } = loadClusterText(fixture, edit(readFileSync(fixture, 'utf8')));
  if (!spec) throw new Error(JSON.stringify(problems));
  const files = new Map((await generateFiles(spec)).map((f) => [f.path, f.content]));
  const blocks = hcl(files.get('modules/network/main.tf')!);
  const kinds = (kind: string, type: string) => blocks.filter((b) => b.kind === kind && b.labels[0] === type);
  return { spec, files, blocks, kinds };
}

/** The module "network" call's zones argument, zone by zone: what the root gives the module. */
function zoneInputs(root: string): Record<string, Record<string, string>> {
  const call = hcl(root).find((b) => b.kind === 'module' && b.labels[0] === 'network')!.text;
  const out: Record<string, Record<string, string>> = {};
  for (const m of call.matchAll(/^ {4}([a-z0-9-]+) = \{\n((?: {6}.*\n)*?) {4}\}/gm)) {
    out[m[1]!] = Object.fromEntries([...m[2]!.matchAll(/(\w+)\s*=\s*"([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
  }
  return out;
}

/** One argument of the module call, as written: `vpc_id = "vpc-..."` gives `"vpc-..."`. */
function argument(root: string, name: string): string | undefined {
  const call = hcl(root).find((b) => b.kind === 'module' && b.labels[0] === 'network')!.text;
  return new RegExp(`^ {2}${name}\\s+= (.*(?:\\n {4}.*)*(?:\\n {2}[\\]}])?)$`, 'm').exec(call)?.[1]?.replace(/\s+/g, ' ');
}

describe('an existing VPC and existing subnets', () => {
  it('nothing of the network is created: the VPC and every subnet are looked up by the IDs the YAML gives, in their zone and VPC, and tagged shared', async () => {
    const { kinds, spec, files } = await output('fixtures/valid/existing-subnets.yaml');
    for (const t of ['aws_vpc', 'aws_subnet', 'aws_internet_gateway', 'aws_nat_gateway', 'aws_route_table', 'aws_route', 'aws_eip']) expect(kinds('resource', t), t).toEqual([]);
    expect(kinds('data', 'aws_vpc').map((b) => b.text)).toEqual([expect.stringContaining('id = var.vpc_id')]);
    expect(argument(files.get('main.tf')!, 'vpc_id')).toBe('"vpc-0a1b2c3d4e5f60718"');
    const subnets = kinds('data', 'aws_subnet');
    expect(subnets.map((b) => b.labels[1])).toEqual(['private', 'utility']);
    for (const [b, field] of [[subnets[0]!, 'subnet_id'], [subnets[1]!, 'utility_subnet_id']] as const) {
      expect(b.text).toContain('for_each          = var.zones');
      expect(b.text).toContain(`id                = each.value.${field}`);
      expect(b.text).toContain('availability_zone = each.key');
      expect(b.text).toContain('vpc_id            = data.aws_vpc.main.id');
    }
    const zones = zoneInputs(files.get('main.tf')!);
    expect(Object.keys(zones)).toEqual(spec.subnets.map((s) => s.zone));
    for (const s of spec.subnets) expect(zones[s.zone]).toEqual({ subnet_id: s.id, utility_subnet_id: s.utilityId });
    const shared = kinds('resource', 'aws_ec2_tag');
    expect(shared.map((b) => b.labels[1])).toEqual(['private', 'utility']);
    for (const t of shared) expect(t.text).toMatch(/for_each\s+= var.zones\n\s+key\s+= "kubernetes.io\/cluster\/\$\{var.name\}"\n\s+resource_id = data.aws_subnet.(private|utility)\[each.key\].id\n\s+value\s+= "shared"/);
    expect(argument(files.get('main.tf')!, 'name')).toBe('"shared.example.com"');
  });
  it("the user's VPC and subnets are not haform's state: the day-2 guard never counts them, so it never refuses or destroys them", () => {
    const plan = buildPlan(loadClusterFile('fixtures/valid/existing-subnets.yaml').spec!);
    const kinds = statefulInventory(plan).map((r) => r.kind);
    expect(kinds).not.toContain('vpc');
    expect(kinds).not.toContain('subnet');
    expect(kinds).toContain('etcd-volume');
  });

  it('masters and nodes get the security groups the YAML adds, beside their own', async () => {
    const { files } = await output('fixtures/valid/existing-subnets.yaml');
    const root = files.get('main.tf')!;
    const master = hcl(root).find((b) => b.kind === 'module' && b.labels[0] === 'master_a')!;
    expect(master.text).toMatch(/security_group_ids\s+= \[\s*module.security.masters_security_group_id,\s*"sg-0a1b2c3d4e5f60718",?\s*\]/);
    const nodes = hcl(root).find((b) => b.kind === 'module' && b.labels[0] === 'nodes')!;
    expect(nodes.text).toMatch(/security_group_ids\s+= \[\s*module.security.nodes_security_group_id,\s*"sg-0a1b2c3d4e5f60718",?\s*\]/);
  });

  it('dns none: no Route53 record for a name outside .k8s.local', async () => {
    const { files } = await output('fixtures/valid/existing-subnets.yaml');
    expect([...files.keys()].some((f) => f.startsWith('modules/dns/'))).toBe(false);
    expect(files.get('main.tf')).not.toContain('module "dns"');
  });

  it('networking cni: no pod network is installed; the boot script says what to do', async () => {
    const { files } = await output('fixtures/valid/existing-subnets.yaml');
    const master = files.get('userdata/master.sh')!;
    expect(master).toContain('readonly CNI_MANIFEST=""');
    expect(master).toContain('networking cni: no pod networking installed; apply your CNI');
  });
});

describe('subnets created in an existing VPC', () => {
  it('the VPC is looked up and held to the ranges the subnets are cut from; the gateway attached to it is found', async () => {
    const { kinds, files } = await output('fixtures/valid/existing-vpc.yaml');
    expect(kinds('resource', 'aws_vpc')).toEqual([]);
    expect(kinds('data', 'aws_vpc')[0]!.text).toContain('condition     = length(setsubtract(var.cidr_blocks, self.cidr_block_associations[*].cidr_block)) == 0');
    expect(argument(files.get('main.tf')!, 'cidr_blocks')).toBe('[ "10.10.0.0/16", "10.11.0.0/16", ]');
    expect(kinds('data', 'aws_internet_gateway')[0]!.text).toMatch(/name\s+= "attachment.vpc-id"/);
    for (const s of kinds('resource', 'aws_subnet')) expect(s.text).toContain('vpc_id            = data.aws_vpc.main.id');
  });

  it("egress: a zone with the user's NAT gateway routes through it and gets no NAT of its own; the others keep one each", async () => {
    const { kinds, files, blocks } = await output('fixtures/valid/existing-vpc.yaml');
    expect(Object.fromEntries(Object.entries(zoneInputs(files.get('main.tf')!)).map(([z, v]) => [z, v.egress]))).toEqual({ 'us-east-1a': undefined, 'us-east-1b': 'nat-0a1b2c3d4e5f60718', 'us-east-1c': undefined });
    const locals = blocks.find((b) => b.kind === 'locals')!.text;
    // NAT gateways for the zones whose egress is "nat" (the variable's default) only.
    expect(locals).toContain('nat_zones       = { for zone, z in var.zones : zone => z if z.egress == "nat" }');
    expect(kinds('resource', 'aws_nat_gateway')[0]!.text).toContain('for_each      = local.nat_zones');
    expect(kinds('resource', 'aws_eip')[0]!.text).toContain('for_each = local.nat_zones');
    // Routes: each zone's own NAT gateway, or the one its egress names.
    expect(locals).toContain('nat_gateway_ids = merge({ for zone, nat in aws_nat_gateway.main : zone => nat.id }, { for zone, z in var.zones : zone => z.egress if startswith(z.egress, "nat-") })');
    const route = kinds('resource', 'aws_route').find((b) => b.labels[1] === 'private_internet')!;
    expect(route.text).toMatch(/for_each\s+= local.nat_gateway_ids\n[\s\S]*nat_gateway_id\s+= each.value\n/);
  });

  it('egress external: the zone is in no route map, so it gets no route table; the user routes it', async () => {
    const { kinds, files } = await output('fixtures/valid/existing-vpc.yaml', (t) => t.replace('egress: nat-0a1b2c3d4e5f60718', 'egress: external'));
    expect(zoneInputs(files.get('main.tf')!)['us-east-1b']!.egress).toBe('external');
    for (const type of ['aws_route_table', 'aws_route', 'aws_route_table_association']) {
      for (const b of kinds('resource', type).filter((x) => x.labels[1]!.startsWith('private'))) expect(b.text, `${type}.${b.labels[1]}`).toMatch(/for_each\s+= local.nat_gateway_ids\n/);
    }
  });

  it('secondary blocks of a VPC haform creates are associated before the subnets cut from them', async () => {
    const { kinds, files } = await output('fixtures/examples/public.yaml', (t) => `${t.trimEnd()}\n  networkCIDR: 10.10.0.0/16\n  network:\n    additionalCIDRs: [10.11.0.0/16]\n  subnets:\n    - { zone: us-west-2a, cidr: 10.10.0.0/18 }\n    - { zone: us-west-2b, cidr: 10.11.0.0/18 }\n    - { zone: us-west-2c, cidr: 10.10.64.0/18 }\n`);
    expect(argument(files.get('main.tf')!, 'secondary_cidr_blocks')).toBe('[ "10.11.0.0/16", ]');
    expect(kinds('resource', 'aws_vpc_ipv4_cidr_block_association')[0]!.text).toMatch(/for_each\s+= toset\(var.secondary_cidr_blocks\)\n\s+cidr_block = each.value/);
    for (const s of kinds('resource', 'aws_subnet')) expect(s.text).toMatch(/depends_on = \[\s*aws_vpc_ipv4_cidr_block_association.secondary,?\s*\]/);
  });
});
