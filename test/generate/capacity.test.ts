import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateFiles } from '../../src/generate.js';
import { topLevelBlocks } from '../../src/render/hcl-fix.js';
import { buildPlan } from '../../src/model/plan.js';
import { loadClusterFile, loadClusterText } from '../../src/spec/index.js';
import { UPSTREAM_CLUSTER_AUTOSCALER, upstreamActions } from '../bootstrap/upstream-iam.js';

/**
 * Capacity that scales (#27), read from the generated files by meaning: the node groups' range and
 * tags, the cluster-autoscaler addon and its IAM, the mixed instances policy; and that a cluster that
 * asks for none of it gets none of it.
 */
const FIXTURE = 'fixtures/valid/autoscaled.yaml';
const spec = loadClusterFile(FIXTURE).spec!;
const plan = buildPlan(spec);
const files = async (s = spec) => Object.fromEntries((await generateFiles(s)).map((f) => [f.path, f.content]));
const blocks = (hcl: string) => topLevelBlocks(hcl.replace(/^\s*#.*$/gm, ''));
const block = (hcl: string, kind: string, ...labels: string[]) => {
  const b = blocks(hcl).find((x) => x.kind === kind && labels.every((l, i) => x.labels[i] === l));
  if (!b) throw new Error(`no ${kind} ${labels.join('.')}`);
  return b.text;
};
/** Statements of a policy document: actions, resources and the condition variables of each. */
function statements(iamMain: string, doc: string) {
  return block(iamMain, 'data', 'aws_iam_policy_document', doc)
    .split(/\n  statement \{/)
    .slice(1)
    .map((s) => ({
      sid: /sid\s*=\s*"([^"]+)"/.exec(s)?.[1],
      actions: [...(/actions = \[([^\]]*)\]/.exec(s)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!),
      resources: [...(/resources = \[([^\]]*)\]/.exec(s)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!),
      conditions: [...s.matchAll(/variable = "([^"]+)"/g)].map((m) => m[1]!),
    }));
}

describe('a cluster whose node groups scale (fixtures/valid/autoscaled.yaml)', () => {
  it('every node group gets its share of the range and the discovery tags; no master group gets them', async () => {
    const f = await files();
    const root = f['main.tf']!;
    const discovery = ['k8s.io/cluster-autoscaler/enabled', `k8s.io/cluster-autoscaler/${spec.name}`];
    const [min, max] = [plan.nodeGroups.reduce((n, g) => n + g.minSize, 0), plan.nodeGroups.reduce((n, g) => n + g.maxSize, 0)];
    expect([min, max]).toEqual([spec.nodeCapacity.minSize, spec.nodeCapacity.maxSize]);
    for (const g of plan.nodeGroups) {
      const call = block(root, 'module', g.module);
      expect(call).toMatch(new RegExp(`min_size\\s+= ${g.minSize}\\n`));
      expect(call).toMatch(new RegExp(`max_size\\s+= ${g.maxSize}\\n`));
      for (const t of discovery) expect(call).toContain(`"${t}"`);
    }
    for (const m of plan.masters) expect(block(root, 'module', m.module)).not.toContain('cluster-autoscaler');
    expect(block(root, 'locals')).not.toContain('cluster-autoscaler');
  });

  it('the node group keeps the autoscaler\'s tags on the group, and its desired capacity out of Terraform\'s hands', async () => {
    const asg = block((await files())['modules/nodes/main.tf']!, 'resource', 'aws_autoscaling_group', 'this');
    expect(asg).toContain('min_size            = var.min_size');
    expect(asg).toContain('propagate_at_launch = !contains(keys(var.group_tags), tag.key)');
    expect(asg).toMatch(/lifecycle \{\s*ignore_changes = \[\s*desired_capacity,\s*\]/);
  });

  it('mixed instances: the listed types in their order, on-demand base and share, spot strategy and price', async () => {
    const asg = block((await files())['modules/nodes/main.tf']!, 'resource', 'aws_autoscaling_group', 'this');
    expect(asg).toContain('mixed_instances_policy {');
    // The launch template is referenced from the policy only: a group takes one or the other.
    expect(asg).not.toMatch(/^  launch_template \{/m);
    expect(asg).toContain('for_each = var.instance_types');
    const call = block((await files())['main.tf']!, 'module', 'nodes_a');
    expect(call).toMatch(/instance_types = \[\s*"m6i.large",\s*"m5.large",\s*"m5a.large",\s*\]/);
    expect(call).toMatch(/on_demand_base_capacity\s+= 1\n/);
    expect(call).toMatch(/on_demand_percentage_above_base_capacity\s+= 0\n/);
    expect(call).toMatch(/spot_allocation_strategy\s+= "price-capacity-optimized"\n/);
    expect(call).toMatch(/spot_max_price\s+= "0.09"\n/);
  });

  it('the cluster-autoscaler addon: the release of the minor, on the masters, finding the groups by the tags they carry', async () => {
    const f = await files();
    const k = parse(f['addons/cluster-autoscaler/kustomization.yaml']!);
    expect(plan.clusterAutoscaler!.version).toBe('v1.36.1');
    expect(k.resources).toEqual(['https://raw.githubusercontent.com/kubernetes/autoscaler/cluster-autoscaler-1.36.1/cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml']);
    expect(k.images).toEqual([{ name: 'registry.k8s.io/autoscaling/cluster-autoscaler', newTag: 'v1.36.1' }]);
    const command = parse(k.patches[0].patch)[0].value as string[];
    const discovery = command.find((a) => a.startsWith('--node-group-auto-discovery='))!;
    expect(discovery).toBe(`--node-group-auto-discovery=asg:tag=${Object.keys(plan.nodeGroups[0]!.groupTags).slice(0, 2).join(',')}`);
    expect(command).toEqual(expect.arrayContaining(['--cloud-provider=aws', '--expander=least-waste', '--balance-similar-node-groups=true']));
    const pod = parse(k.patches[1].patch).spec.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, nodeSelector: { 'node-role.kubernetes.io/control-plane': '' } });
    expect(pod.containers[0].env).toEqual([{ name: 'AWS_REGION', value: 'eu-west-1' }]);
  });

  it('its IAM: the upstream actions less the named ones, on the masters only; its writes only on groups with the cluster\'s and the discovery tag', async () => {
    const iamMain = (await files())['modules/iam/main.tf']!;
    const s = statements(iamMain, 'cluster_autoscaler');
    const granted = [...new Set(s.flatMap((x) => x.actions))].sort();
    expect(granted).toEqual(upstreamActions(UPSTREAM_CLUSTER_AUTOSCALER.actions).filter((a) => !(UPSTREAM_CLUSTER_AUTOSCALER.dropped as readonly string[]).includes(a)));
    expect(UPSTREAM_CLUSTER_AUTOSCALER.version).toBe(plan.clusterAutoscaler!.version);
    const writes = s.filter((x) => x.actions.some((a) => !/:Describe/.test(a)));
    expect(writes).toEqual([
      {
        sid: 'ScaleClusterNodeGroups',
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        resources: ['arn:${data.aws_partition.current.partition}:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*'],
        conditions: ['aws:ResourceTag/KubernetesCluster', 'aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}'],
      },
    ]);
    expect(s.filter((x) => x.resources.includes('*')).flatMap((x) => x.actions).every((a) => /:Describe/.test(a))).toBe(true);
    expect(block(iamMain, 'resource', 'aws_iam_role_policy', 'masters_cluster_autoscaler')).toContain('role   = aws_iam_role.masters.name');
    expect(blocks(iamMain).filter((b) => b.labels[1] === 'nodes_cluster_autoscaler')).toEqual([]);
  });
});

describe('a cluster that asks for none of it gets none of it', () => {
  it('public.yaml: fixed groups, no autoscaler tag, addon or policy, no mixed instances', async () => {
    const f = await files(loadClusterFile('fixtures/examples/public.yaml').spec!);
    expect(Object.keys(f).filter((p) => p.includes('cluster-autoscaler'))).toEqual([]);
    expect(Object.values(f).some((c) => c.includes('k8s.io/cluster-autoscaler'))).toBe(false);
    const asg = block(f['modules/nodes/main.tf']!, 'resource', 'aws_autoscaling_group', 'this');
    expect(asg).toContain('min_size            = var.size');
    expect(asg).not.toContain('ignore_changes');
    expect(asg).not.toContain('mixed_instances_policy');
  });

  it('a range without the addon: the groups carry the discovery tags for an autoscaler of the user\'s, the masters get no scaling policy', async () => {
    const text = 'apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: own.k8s.local\nspec:\n  zones: [eu-west-1a, eu-west-1b, eu-west-1c]\n  masterCount: 3\n  nodes: { minSize: 2, maxSize: 6 }\n';
    const f = await files(loadClusterText('own.yaml', text).spec!);
    expect(block(f['main.tf']!, 'module', 'nodes')).toContain('"k8s.io/cluster-autoscaler/own.k8s.local" = "owned"');
    expect(f['modules/iam/main.tf']).not.toContain('cluster_autoscaler');
    expect(Object.keys(f).filter((p) => p.startsWith('addons/cluster-autoscaler'))).toEqual([]);
  });
});

describe('explain and diff speak of the range', () => {
  it('explain says who scales the workers, between what, and on which instances', async () => {
    const { haform } = await import('../cli/run.js');
    const r = haform(['explain', FIXTURE]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Scaled by the cluster-autoscaler between 2 and 9 node(s) in all');
    expect(r.stdout).toContain('Instances: m6i.large, m5.large, m5a.large; 100% spot above 1 on-demand node(s) per group (price-capacity-optimized, at most 0.09 USD an hour).');
    expect(haform(['explain', 'fixtures/examples/public.yaml']).stdout).not.toMatch(/Scaled by|Instances:/);
  });
});
