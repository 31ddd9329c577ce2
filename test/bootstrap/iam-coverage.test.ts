import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { topLevelBlocks } from '../../src/render/hcl-fix.js';
import { loadClusterFile } from '../../src/spec/index.js';

/** The AWS CLI service names the scripts use, and their IAM prefixes. */
const IAM_PREFIX: Record<string, string> = { ec2: 'ec2', ssm: 'ssm', elbv2: 'elasticloadbalancing' };

/** `awsq ec2 describe-volumes` -> `ec2:DescribeVolumes`, for every AWS call a script can make. */
function awsActions(script: string): string[] {
  const calls = [...script.matchAll(/\bawsq (\w+) ([a-z0-9-]+)/g)].map(([, svc, op]) => {
    const prefix = IAM_PREFIX[svc!];
    if (!prefix) throw new Error(`unmapped AWS CLI service ${svc}`);
    return `${prefix}:${op!.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`;
  });
  return [...new Set(calls)].sort();
}

function policy(iamMain: string, role: string): { actions: string[]; resources: string[] } {
  const block = topLevelBlocks(iamMain.replace(/^\s*#.*$/gm, '')).find((b) => b.kind === 'data' && b.labels[0] === 'aws_iam_policy_document' && b.labels[1] === role);
  if (!block) throw new Error(`no policy document for ${role}`);
  return {
    actions: [...block.text.matchAll(/"([a-z0-9-]+:[A-Za-z*]+)"/g)].map((m) => m[1]!),
    resources: [...block.text.matchAll(/"(arn:[^"]+)"/g)].map((m) => m[1]!),
  };
}

const allows = (actions: string[], wanted: string) => actions.some((a) => new RegExp(`^${a.replace(/\*/g, '.*')}$`).test(wanted));

describe.each(['fixtures/examples/public.yaml', 'fixtures/examples/private.yaml', 'fixtures/valid/large.yaml'])('IAM covers every AWS call of the boot scripts of %s', (fixture) => {
  const files = () => generateFiles(loadClusterFile(fixture).spec!);

  it('masters: every call is allowed', async () => {
    const f = await files();
    const iamMain = f.find((x) => x.path === 'modules/iam/main.tf')!.content;
    const masters = policy(iamMain, 'masters');
    const scripts = f.filter((x) => x.path === 'userdata/master.sh');
    expect(scripts.length).toBeGreaterThan(0);
    const needed = [...new Set(scripts.flatMap((s) => awsActions(s.content)))];
    expect(needed).toEqual(expect.arrayContaining(['ec2:AttachVolume', 'ec2:AttachNetworkInterface', 'ssm:PutParameter', 'ssm:GetParameter']));
    expect(needed.filter((a) => !allows(masters.actions, a))).toEqual([]);
    // Exactly what the scripts need: no EC2, SSM or load balancer action that no script calls.
    const unused = masters.actions.filter((a) => /^(ec2|ssm|elasticloadbalancing):/.test(a) && !needed.some((n) => allows([a], n)));
    expect(unused).toEqual([]);
    expect(masters.resources.some((r) => r.endsWith(':parameter/haform/' + loadClusterFile(fixture).spec!.name + '/control-plane/*'))).toBe(true);
  });

  it('nodes: every call is allowed, and no control-plane secret is', async () => {
    const f = await files();
    const nodes = policy(f.find((x) => x.path === 'modules/iam/main.tf')!.content, 'nodes');
    const needed = awsActions(f.find((x) => x.path === 'userdata/node.sh')!.content);
    expect(needed).toEqual(['ssm:GetParameter']);
    expect(needed.filter((a) => !allows(nodes.actions, a))).toEqual([]);
    const ssm = nodes.resources.filter((r) => r.includes(':ssm:'));
    expect(ssm.length).toBeGreaterThan(0);
    expect(ssm.every((r) => r.includes('/node/'))).toBe(true);
    expect(nodes.actions.filter((a) => /^(ec2|ssm|elasticloadbalancing):/.test(a))).toEqual(['ssm:GetParameter']);
  });
});

it('the extraction finds calls, so the coverage check can fail', () => {
  expect(awsActions('awsq ec2 describe-volumes --x\nawsq ssm put-parameter')).toEqual(['ec2:DescribeVolumes', 'ssm:PutParameter']);
  expect(allows(['ec2:Describe*'], 'ec2:DescribeVolumes')).toBe(true);
  expect(allows(['ec2:AttachVolume'], 'ec2:DetachVolume')).toBe(false);
});
