import { Fn, TerraformIterator, Token } from 'cdktn';
import { SecurityGroup } from '@cdktn/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktn/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import type { TerraformStack, TerraformVariable } from 'cdktn';
import { CIDR_RULES } from '../model/layout-moves.js';
import { TF } from '../model/names.js';
import type { ClusterPlan } from '../model/plan.js';
import { callModule, describe, type Generator, moduleNamed, moduleStack, output, field, tfName, variable } from './context.js';
import { acceptChecks, type AcceptedCheck } from './checkov.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';

export const SECURITY_MODULE = TF.securityModule;
const DIR = 'modules/security';

/** The Kubernetes API port on the load balancer and on the masters. */
export const API_PORT = 443;
const SSH_PORT = 22;
/** The ports of checkov's "open to the world" checks. */
const MISREAD_PORTS: Record<number, AcceptedCheck> = { 22: 'CKV_AWS_24', 80: 'CKV_AWS_260', 3389: 'CKV_AWS_25' };

export const SecurityOutputs = {
  masters: 'masters_security_group_id',
  nodes: 'nodes_security_group_id',
  api: 'api_security_group_id',
  bastion: 'bastion_security_group_id',
} as const;

type Peer = { group: SecurityGroup };
interface PortRange {
  protocol: 'tcp' | 'udp' | '-1' | '4';
  from?: number;
  to?: number;
}

/**
 * Security groups and rules, one rule resource per source so that a plan names exactly what opens.
 * SSH is opened only to the CIDRs the YAML lists; the API only to its allowed CIDRs.
 */
export const security: Generator = {
  name: SECURITY_MODULE,

  modules(scope, plan) {
    const stack = moduleStack(scope, 'security');
    const sshRules = opensSsh(plan);
    const groupNames = variable(stack, 'group_names', `object({\nmasters = string\nnodes = string\napi = string${plan.bastion ? '\nbastion = string' : ''}\n})`, 'Names of the security groups, by role.');
    const cidrs = (name: string, description: string) =>
      variable(stack, name, 'set(string)', description, [{ condition: `\${alltrue([for c in var.${name} : can(cidrnetmask(c))])}`, errorMessage: `${name} are IPv4 CIDR blocks, e.g. 203.0.113.0/24.` }]);
    const apiCidrs = cidrs('api_allowed_cidrs', 'Sources allowed to reach the Kubernetes API through its load balancer (api.allowedCIDRs).');
    const sshCidrs = sshRules ? cidrs('ssh_allowed_cidrs', `Sources allowed SSH (sshAccess), ${plan.bastion ? 'to the bastion only' : 'to masters and nodes'}.`) : undefined;
    const vpcId = variable(stack, 'vpc_id', 'string', 'ID of the cluster VPC.');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const group = (id: string, description: string) => {
      const name = field(groupNames.value, id);
      return acceptChecks(new SecurityGroup(stack, id, { name, description, vpcId: vpcId.stringValue, tags: Fn.merge([tags.value, { Name: name }]) }), 'CKV2_AWS_5');
    };

    const masters = describe(group('masters', 'Kubernetes masters'), 'Masters: etcd peers and the API server.');
    const nodes = describe(group('nodes', 'Kubernetes worker nodes'), 'Worker nodes.');
    const api = describe(group('api', 'Kubernetes API load balancer'), 'The API load balancer: the only way in from outside.');
    const bastion = plan.bastion ? describe(group('bastion', 'SSH bastion'), 'The bastion: SSH jump host into the private subnets.') : undefined;

    const allow = (to: SecurityGroup, toName: string, from: Peer, fromName: string, ports: PortRange, what: string) => {
      const range = ports.from === undefined ? 'all' : ports.from === ports.to ? `${ports.from}` : `${ports.from}_${ports.to}`;
      const proto = ports.protocol === '-1' ? '' : ports.protocol === '4' ? 'ipip_' : `${ports.protocol}_`;
      const id = ports.protocol === '-1' ? `${toName}_from_${fromName}` : `${toName}_${proto}${range}_from_${fromName}`;
      const rule = new VpcSecurityGroupIngressRule(stack, id, {
        securityGroupId: to.id,
        description: what,
        ipProtocol: ports.protocol,
        fromPort: ports.from,
        toPort: ports.to,
        referencedSecurityGroupId: from.group.id,
        tags: tags.value as Record<string, string>,
      });
      // checkov takes a port range from a group for one from anywhere (it reads cidr_ipv4 only).
      const misread = (Object.entries(MISREAD_PORTS) as [string, AcceptedCheck][]).filter(([port]) => ports.from !== undefined && ports.from <= Number(port) && Number(port) <= ports.to!);
      return misread.length ? acceptChecks(rule, ...misread.map(([, id]) => id)) : rule;
    };
    // One block per rule and list of sources, an instance per CIDR: a plan names exactly which source opens.
    const fromCidrs = (to: SecurityGroup, name: string, list: TerraformVariable, port: number, what: string) => {
      // A set is for_each's own: fromList would wrap it in toset() again.
      const cidr = TerraformIterator.fromMap(list.value as Record<string, string>);
      return tfName(
        new VpcSecurityGroupIngressRule(stack, name, {
          forEach: cidr,
          securityGroupId: to.id,
          description: `${what} from ${Token.asString(cidr.value)}`,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          cidrIpv4: Token.asString(cidr.value),
          tags: tags.value as Record<string, string>,
        }),
        name,
      );
    };
    const all: PortRange = { protocol: '-1' };
    const tcp = (from: number, to = from): PortRange => ({ protocol: 'tcp', from, to });

    describe(allow(masters, 'masters', { group: masters }, 'masters', all, 'masters talk to each other: etcd peers, API'), 'Inside the cluster.');
    allow(nodes, 'nodes', { group: nodes }, 'nodes', all, 'nodes talk to each other: pod network');
    allow(nodes, 'nodes', { group: masters }, 'masters', all, 'masters reach kubelets and pods');
    // Nodes reach everything on the masters but etcd (2379-2381 client and peer, 4001-4002 events).
    allow(masters, 'masters', { group: nodes }, 'nodes', tcp(1, 2378), 'nodes to masters, below etcd');
    allow(masters, 'masters', { group: nodes }, 'nodes', tcp(2382, 4000), 'nodes to masters, between etcd ports');
    allow(masters, 'masters', { group: nodes }, 'nodes', tcp(4003, 65535), 'nodes to masters, above etcd');
    allow(masters, 'masters', { group: nodes }, 'nodes', { protocol: 'udp', from: 1, to: 65535 }, 'nodes to masters: pod network (UDP)');
    allow(masters, 'masters', { group: nodes }, 'nodes', { protocol: '4' }, 'nodes to masters: IP-in-IP pod network');

    describe(allow(masters, 'masters', { group: api }, 'api', tcp(API_PORT), 'the load balancer forwards to the API servers'), 'The Kubernetes API.');
    fromCidrs(api, CIDR_RULES.api, apiCidrs, API_PORT, 'Kubernetes API');
    allow(api, 'api', { group: masters }, 'masters', tcp(API_PORT), 'masters reach the API through the load balancer');
    allow(api, 'api', { group: nodes }, 'nodes', tcp(API_PORT), 'nodes reach the API through the load balancer');

    // SSH: only from the CIDRs the YAML names; in private topology only through the bastion.
    if (bastion) {
      if (sshCidrs) fromCidrs(bastion, CIDR_RULES.bastionSsh, sshCidrs, SSH_PORT, 'SSH to the bastion');
      allow(masters, 'masters', { group: bastion }, 'bastion', tcp(SSH_PORT), 'SSH from the bastion');
      allow(nodes, 'nodes', { group: bastion }, 'bastion', tcp(SSH_PORT), 'SSH from the bastion');
    } else if (sshCidrs) {
      fromCidrs(masters, CIDR_RULES.mastersSsh, sshCidrs, SSH_PORT, 'SSH');
      fromCidrs(nodes, CIDR_RULES.nodesSsh, sshCidrs, SSH_PORT, 'SSH');
    }

    // Instances reach package mirrors, registries and the AWS APIs: all outbound. The load balancer
    // only forwards to the API servers and health-checks them, on the same port.
    for (const [name, sg] of [['masters', masters], ['nodes', nodes], ['bastion', bastion]] as const) {
      if (!sg) continue;
      egress(stack, name, sg, tags.value);
    }
    new VpcSecurityGroupEgressRule(stack, 'api_egress', {
      securityGroupId: api.id,
      description: 'the load balancer forwards to and health-checks the API servers',
      ipProtocol: 'tcp',
      fromPort: API_PORT,
      toPort: API_PORT,
      referencedSecurityGroupId: masters.id,
      tags: tags.value as Record<string, string>,
    });

    output(stack, SecurityOutputs.masters, masters.id, 'Security group of the masters.');
    output(stack, SecurityOutputs.nodes, nodes.id, 'Security group of the worker nodes.');
    output(stack, SecurityOutputs.api, api.id, 'Security group of the API load balancer.');
    if (bastion) output(stack, SecurityOutputs.bastion, bastion.id, 'Security group of the bastion.');
    return [{ dir: DIR, stack, summary: 'Security groups and their rules.' }];
  },

  wire(ctx) {
    const { plan } = ctx;
    const g = plan.securityGroups;
    callModule(ctx, SECURITY_MODULE, DIR, {
      group_names: { masters: g.masters, nodes: g.nodes, api: g.api, ...(plan.bastion ? { bastion: g.bastion } : {}) },
      api_allowed_cidrs: plan.api.allowedCIDRs,
      ...(opensSsh(plan) ? { ssh_allowed_cidrs: plan.ssh.cidrs } : {}),
      vpc_id: moduleNamed(ctx, NETWORK_MODULE).get(NetworkOutputs.vpcId),
      tags: ctx.shared.tags,
    });
  },
};

/** SSH from the listed CIDRs: to the bastion, or in public topology to masters and nodes; never to private instances directly. */
function opensSsh(plan: ClusterPlan): boolean {
  return plan.ssh.cidrs.length > 0 && (!!plan.bastion || plan.topology === 'public');
}

function egress(stack: TerraformStack, name: string, sg: SecurityGroup, tags: unknown): void {
  new VpcSecurityGroupEgressRule(stack, `${name}_egress`, {
    securityGroupId: sg.id,
    description: 'all outbound traffic',
    ipProtocol: '-1',
    cidrIpv4: '0.0.0.0/0',
    tags: tags as Record<string, string>,
  });
}
