import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { generateFiles } from '../../src/generate.js';
import { topLevelBlocks } from '../../src/render/hcl-fix.js';
import { loadClusterFile } from '../../src/spec/index.js';

/**
 * What must hold, derived from the cluster YAML itself (never from haform's plan, which a broken
 * planner would agree with) and read from the generated HCL by meaning, not by bytes: a golden
 * update cannot hide a break of these.
 */
const FIXTURES = ['fixtures/examples/public.yaml', 'fixtures/examples/private.yaml', 'fixtures/examples/same-az.yaml', 'fixtures/valid/large.yaml'];

const blocks = (hcl: string) => topLevelBlocks(hcl.replace(/^\s*#.*$/gm, ''));
const attr = (text: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*"?([^"\\n]*)"?`).exec(text)?.[1];

describe.each(FIXTURES)('%s: the YAML\'s promises hold in the output', (fixture) => {
  const yaml = parse(readFileSync(fixture, 'utf8')).spec;
  const zones: string[] = yaml.zones;
  const masterZones: string[] = yaml.masterZones ?? (yaml.masterCount > 1 ? zones : zones.slice(0, 1));
  const masterCount: number = yaml.masterCount ?? masterZones.length;
  const files = async () => new Map((await generateFiles(loadClusterFile(fixture).spec!)).map((f) => [f.path, f.content]));

  it('every master zone holds masters, spread as evenly as the count allows, and no other zone does', async () => {
    const main = (await files()).get('main.tf')!;
    const perZone = new Map<string, number>();
    for (const b of blocks(main).filter((x) => x.kind === 'module' && /^master_/.test(x.labels[0]!))) {
      const zone = attr(b.text, 'zone')!;
      perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
    }
    expect([...perZone.values()].reduce((a, b) => a + b, 0)).toBe(masterCount);
    expect([...perZone.keys()].sort()).toEqual([...new Set(masterZones)].sort());
    const counts = [...perZone.values()];
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('etcd is closed to the nodes; masters reach each other on every port', async () => {
    const sg = (await files()).get('modules/security/main.tf')!;
    const rules = blocks(sg).filter((b) => b.kind === 'resource' && b.labels[0] === 'aws_vpc_security_group_ingress_rule');
    const toMasters = rules.filter((r) => /security_group_id\s*=\s*aws_security_group\.masters\.id/.test(r.text));
    for (const r of toMasters.filter((x) => /referenced_security_group_id\s*=\s*aws_security_group\.nodes\.id/.test(x.text))) {
      const proto = attr(r.text, 'ip_protocol');
      expect(proto, r.labels[1]).not.toBe('-1');
      if (proto === 'tcp') {
        const from = Number(attr(r.text, 'from_port'));
        const to = Number(attr(r.text, 'to_port'));
        for (const etcd of [2379, 2380, 2381, 4001, 4002]) expect(from <= etcd && etcd <= to, `${r.labels[1]} opens ${etcd}`).toBe(false);
      }
    }
    expect(toMasters.some((r) => /referenced_security_group_id\s*=\s*aws_security_group\.masters\.id/.test(r.text) && attr(r.text, 'ip_protocol') === '-1')).toBe(true);
  });

  it('SSH is open only to what sshAccess lists', async () => {
    const f = await files();
    const sg = f.get('modules/security/main.tf')!;
    // Every rule from CIDRs (never a literal one) opens a single port to the CIDRs of its variable.
    const fromCidrs = blocks(sg).filter((b) => b.kind === 'resource' && /\bcidr_ipv4\s*=/.test(b.text) && !/egress_rule/.test(b.labels[0]!));
    for (const b of fromCidrs) {
      expect(attr(b.text, 'cidr_ipv4'), b.labels[1]).toBe('each.value');
      expect(attr(b.text, 'from_port'), b.labels[1]).toBe(attr(b.text, 'to_port'));
    }
    const ssh = fromCidrs.filter((b) => attr(b.text, 'from_port') === '22');
    for (const b of ssh) expect(attr(b.text, 'for_each'), b.labels[1]).toBe('var.ssh_allowed_cidrs');
    const api = fromCidrs.filter((b) => attr(b.text, 'from_port') === '443');
    expect(api.map((b) => attr(b.text, 'for_each'))).toEqual(['var.api_allowed_cidrs']);
    // And the root gives it exactly what sshAccess lists: nothing at all when it lists nothing.
    const call = blocks(f.get('main.tf')!).find((b) => b.kind === 'module' && b.labels[0] === 'security')!.text;
    const list = /ssh_allowed_cidrs = \[([^\]]*)\]/.exec(call)?.[1];
    const given = [...(list ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    expect(given.sort()).toEqual([...new Set<string>(yaml.sshAccess ?? [])].sort());
    expect(ssh.length > 0).toBe((yaml.sshAccess ?? []).length > 0);
  });

  it('every etcd volume is encrypted and, unless the YAML lifts it, cannot be destroyed by a plan', async () => {
    const master = (await files()).get('modules/master/main.tf')!;
    const volumes = blocks(master).filter((b) => b.kind === 'resource' && b.labels[0] === 'aws_ebs_volume');
    expect(volumes).toHaveLength(2);
    for (const v of volumes) {
      expect(v.text).toMatch(/encrypted\s*=\s*true/);
      expect(/prevent_destroy\s*=\s*true/.test(v.text)).toBe(yaml.etcd?.preventDestroy !== false);
    }
  });

  it('instances: IMDSv2 only, hop limit 1, encrypted root volume', async () => {
    const f = await files();
    for (const path of [...f.keys()].filter((p) => /^modules\/(master|nodes|bastion)\/main\.tf$/.test(p))) {
      const lt = blocks(f.get(path)!).find((b) => b.labels[0] === 'aws_launch_template')!;
      expect(attr(lt.text, 'http_tokens'), path).toBe('required');
      expect(attr(lt.text, 'http_put_response_hop_limit'), path).toBe('1');
      expect(lt.text, path).toMatch(/encrypted\s*=\s*true\n/);
    }
  });

  it('in private topology every zone has a NAT gateway in its utility (public) subnet, and every master runs in a private one', async () => {
    if (yaml.topology !== 'private') return;
    const f = await files();
    const net = blocks(f.get('modules/network/main.tf')!);
    const nats = net.filter((b) => b.labels[0] === 'aws_nat_gateway');
    expect(nats).toHaveLength(1);
    // One per zone whose egress is "nat", the default: the YAML names no other egress.
    expect(attr(nats[0]!.text, 'for_each')).toBe('local.nat_zones');
    expect(f.get('modules/network/variables.tf')).toContain('egress             = optional(string, "nat")');
    expect(f.get('main.tf')).not.toMatch(/^\s+egress\s+=/m);
    expect(attr(nats[0]!.text, 'subnet_id')).toBe('aws_subnet.utility[each.key].id');
    // The public route table (the internet gateway's) holds the utility subnets and no other.
    const onPublic = net.filter((b) => b.labels[0] === 'aws_route_table_association' && attr(b.text, 'route_table_id') === 'aws_route_table.public.id');
    expect(onPublic.map((b) => attr(b.text, 'subnet_id'))).toEqual(['aws_subnet.utility[each.key].id']);
    // Masters run in the network's subnet_ids: the private subnets, routed through the NAT gateways.
    expect(f.get('modules/network/outputs.tf')).toMatch(/output "subnet_ids" \{\n\s+value\s+= \{ for zone, subnet in aws_subnet\.private : zone => subnet\.id \}/);
    const privateRoute = net.find((b) => b.labels[0] === 'aws_route_table_association' && b.labels[1] === 'private')!;
    expect(attr(privateRoute.text, 'subnet_id')).toBe('aws_subnet.private[each.key].id');
    for (const b of blocks(f.get('main.tf')!).filter((x) => x.kind === 'module' && /^master_/.test(x.labels[0]!))) {
      expect(b.text, b.labels[0]).toContain(`subnet_id       = module.network.subnet_ids["${attr(b.text, 'zone')}"]`);
    }
  });
});
