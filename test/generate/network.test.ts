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

describe('an existing VPC and existing subnets', () => {
  it('nothing of the network is created: the VPC and every subnet are looked up, checked for VPC and zone, tagged shared', async () => {
    const { kinds, spec } = await output('fixtures/valid/existing-subnets.yaml');
    for (const t of ['aws_vpc', 'aws_subnet', 'aws_internet_gateway', 'aws_nat_gateway', 'aws_route_table', 'aws_route', 'aws_eip']) expect(kinds('resource', t), t).toEqual([]);
    expect(kinds('data', 'aws_vpc').map((b) => b.text)).toEqual([expect.stringContaining('id = "vpc-0a1b2c3d4e5f60718"')]);
    const subnets = kinds('data', 'aws_subnet');
    expect(subnets).toHaveLength(6);
    for (const s of spec.subnets) {
      for (const id of [s.id!, s.utilityId!]) {
        const block = subnets.find((b) => b.text.includes(`id = "${id}"`))!;
        expect(block.text).toContain(`self.availability_zone == "${s.zone}"`);
        expect(block.text).toContain('self.vpc_id == "vpc-0a1b2c3d4e5f60718"');
      }
    }
    const shared = kinds('resource', 'aws_ec2_tag');
    expect(shared).toHaveLength(6);
    for (const t of shared) expect(t.text).toMatch(/key\s+= "kubernetes.io\/cluster\/shared.example.com"[\s\S]*value\s+= "shared"/);
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
    const { kinds } = await output('fixtures/valid/existing-vpc.yaml');
    expect(kinds('resource', 'aws_vpc')).toEqual([]);
    const vpc = kinds('data', 'aws_vpc')[0]!.text;
    for (const cidr of ['10.10.0.0/16', '10.11.0.0/16']) expect(vpc).toContain(`contains(self.cidr_block_associations[*].cidr_block, "${cidr}")`);
    expect(kinds('data', 'aws_internet_gateway')[0]!.text).toMatch(/name\s+= "attachment.vpc-id"/);
    for (const s of kinds('resource', 'aws_subnet')) expect(s.text).toContain('vpc_id            = data.aws_vpc.main.id');
  });

  it("egress: a zone with the user's NAT gateway routes through it and gets no NAT of its own; the others keep one each", async () => {
    const { kinds } = await output('fixtures/valid/existing-vpc.yaml');
    expect(kinds('resource', 'aws_nat_gateway').map((b) => b.labels[1])).toEqual(['us_east_1a', 'us_east_1c']);
    const route = kinds('resource', 'aws_route').find((b) => b.labels[1] === 'private_us_east_1b_internet')!;
    expect(route.text).toContain('nat_gateway_id         = "nat-0a1b2c3d4e5f60718"');
  });

  it('egress external: no route table at all for the zone; the user routes it', async () => {
    const { kinds } = await output('fixtures/valid/existing-vpc.yaml', (t) => t.replace('egress: nat-0a1b2c3d4e5f60718', 'egress: external'));
    expect(kinds('resource', 'aws_route_table').map((b) => b.labels[1])).toEqual(['public', 'private_us_east_1a', 'private_us_east_1c']);
  });

  it('secondary blocks of a VPC haform creates are associated before the subnets cut from them', async () => {
    const { kinds } = await output('fixtures/examples/public.yaml', (t) => `${t.trimEnd()}\n  networkCIDR: 10.10.0.0/16\n  network:\n    additionalCIDRs: [10.11.0.0/16]\n  subnets:\n    - { zone: us-west-2a, cidr: 10.10.0.0/18 }\n    - { zone: us-west-2b, cidr: 10.11.0.0/18 }\n    - { zone: us-west-2c, cidr: 10.10.64.0/18 }\n`);
    expect(kinds('resource', 'aws_vpc_ipv4_cidr_block_association')[0]!.text).toContain('cidr_block = "10.11.0.0/16"');
    for (const s of kinds('resource', 'aws_subnet')) expect(s.text).toMatch(/depends_on = \[\s*aws_vpc_ipv4_cidr_block_association.additional_1,?\s*\]/);
  });
});
