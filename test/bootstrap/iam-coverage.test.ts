import { describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { topLevelBlocks } from '../../src/render/hcl-fix.js';
import { addonVersions } from '../../src/model/addons.js';
import { loadClusterFile } from '../../src/spec/index.js';
import { droppedActions, UPSTREAM_IAM, upstreamActions } from './upstream-iam.js';

/** The AWS CLI service names the scripts use, and their IAM prefixes. */
const IAM_PREFIX: Record<string, string> = { ec2: 'ec2', ssm: 'ssm', elbv2: 'elasticloadbalancing', s3api: 's3', autoscaling: 'autoscaling', cloudwatch: 'cloudwatch' };
/** Operations whose IAM action has another name. */
const IAM_ACTION: Record<string, string> = { 's3:ListObjectsV2': 's3:ListBucket' };

/** `awsq ec2 describe-volumes` -> `ec2:DescribeVolumes`, for every AWS call a script can make. */
function awsActions(script: string): string[] {
  const calls = [...script.matchAll(/\bawsq (\w+) ([a-z0-9-]+)/g)].map(([, svc, op]) => {
    const prefix = IAM_PREFIX[svc!];
    if (!prefix) throw new Error(`unmapped AWS CLI service ${svc}`);
    const action = `${prefix}:${op!.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`;
    return IAM_ACTION[action] ?? action;
  });
  return [...new Set(calls)].sort();
}

function policy(iamMain: string, doc: string): { actions: string[]; resources: string[] } {
  const block = topLevelBlocks(iamMain.replace(/^\s*#.*$/gm, '')).find((b) => b.kind === 'data' && b.labels[0] === 'aws_iam_policy_document' && b.labels[1] === doc);
  if (!block) throw new Error(`no policy document ${doc}`);
  return {
    actions: [...block.text.matchAll(/\bactions\s*=\s*\[([^\]]*)\]/g)].flatMap((a) => [...a[1]!.matchAll(/"([a-z0-9-]+:[A-Za-z*]+)"/g)].map((m) => m[1]!)),
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
    // master.sh and monitor.sh (the alarms' metrics, which the masters run from the bucket).
    const scripts = f.filter((x) => x.path === 'userdata/master.sh' || x.path === 'userdata/monitor.sh');
    expect(scripts.length).toBe(2);
    const needed = [...new Set(scripts.flatMap((s) => awsActions(s.content)))];
    expect(needed).toEqual(expect.arrayContaining(['ec2:AttachVolume', 'ec2:AttachNetworkInterface', 'ssm:PutParameter', 'ssm:GetParameter', 'cloudwatch:PutMetricData']));
    expect(needed.filter((a) => !allows(masters.actions, a))).toEqual([]);
    // Exactly what the scripts need: no EC2, SSM or load balancer action that no script calls.
    const unused = masters.actions.filter((a) => /^(ec2|ssm|elasticloadbalancing|s3|autoscaling|cloudwatch):/.test(a) && !needed.some((n) => allows([a], n)));
    expect(unused).toEqual([]);
    // The masters' join material, under the cluster's parameter path, which the root gives the module.
    expect(masters.resources.some((r) => r.endsWith(':parameter${var.parameter_path}/control-plane/*'))).toBe(true);
    const call = topLevelBlocks(f.find((x) => x.path === 'main.tf')!.content.replace(/^\s*#.*$/gm, '')).find((b) => b.kind === 'module' && b.labels[0] === 'iam')!.text;
    expect(call).toContain(`parameter_path = "/haform/${loadClusterFile(fixture).spec!.name}"`);
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

it.each(['fixtures/examples/public.yaml', 'fixtures/valid/large.yaml'])('%s: every role can be reached through SSM Session Manager, by its own policy', async (fixture) => {
  const f = await generateFiles(loadClusterFile(fixture).spec!);
  const iamMain = f.find((x) => x.path === 'modules/iam/main.tf')!.content;
  const roles = topLevelBlocks(iamMain.replace(/^\s*#.*$/gm, '')).filter((b) => b.kind === 'resource' && b.labels[0] === 'aws_iam_role').map((b) => b.labels[1]!);
  expect(roles.length).toBeGreaterThanOrEqual(2);
  for (const r of roles) expect(iamMain, r).toContain(`resource "aws_iam_role_policy" "${r}_session_manager"`);
  const sm = policy(iamMain, 'session_manager');
  expect(sm.actions).toEqual(expect.arrayContaining(['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:OpenDataChannel']));
});

it('networking amazonvpc: masters and nodes get the VPC CNI\'s interface actions; other networking does not', async () => {
  const { loadClusterText } = await import('../../src/spec/index.js');
  const yaml = (net: string) => `apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: v.example.com\nspec:\n  zones: [eu-west-1a, eu-west-1b, eu-west-1c]\n  masterZones: [eu-west-1a, eu-west-1b, eu-west-1c]\n  networking: ${net}\n`;
  const iamOf = async (net: string) => (await generateFiles(loadClusterText('v.yaml', yaml(net)).spec!)).find((x) => x.path === 'modules/iam/main.tf')!.content;
  const vpc = await iamOf('amazonvpc');
  for (const r of ['masters', 'nodes']) expect(vpc).toContain(`resource "aws_iam_role_policy" "${r}_vpc_cni"`);
  expect(policy(vpc, 'vpc_cni').actions).toEqual(expect.arrayContaining(['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:CreateTags']));
  expect(await iamOf('calico')).not.toContain('vpc_cni');
});

describe('IAM of the controllers the masters run: their upstream policies, no more', () => {
  const spec = loadClusterFile('fixtures/examples/public.yaml').spec!;

  it('the recorded upstream policies are of the versions haform pins', () => {
    const v = addonVersions(spec.kubernetesVersion)!;
    expect([UPSTREAM_IAM.cloud_controller.version, UPSTREAM_IAM.ebs_csi.version, UPSTREAM_IAM.node_termination.version]).toEqual([
      v.cloudControllerManager,
      v.ebsCsiDriver,
      v.nodeTerminationHandler,
    ]);
  });

  it.each(Object.keys(UPSTREAM_IAM) as (keyof typeof UPSTREAM_IAM)[])('%s: every upstream action haform\'s configuration calls, and only those, on the masters', async (id) => {
    const f = await generateFiles(spec);
    const iamMain = f.find((x) => x.path === 'modules/iam/main.tf')!.content;
    const granted = [...new Set(policy(iamMain, id).actions)].sort();
    const dropped = droppedActions(id, spec.networking);
    expect(dropped.filter((a) => !upstreamActions(UPSTREAM_IAM[id].actions).includes(a))).toEqual([]);
    expect(granted).toEqual(upstreamActions(UPSTREAM_IAM[id].actions).filter((a) => !dropped.includes(a)));
    expect(iamMain).toContain(`role   = aws_iam_role.masters.name`);
    expect(iamMain).toMatch(new RegExp(`resource "aws_iam_role_policy" "masters_${id}"`));
    expect(iamMain).not.toMatch(new RegExp(`resource "aws_iam_role_policy" "nodes_${id}"`));
  });

  it('the termination handler reads only its own queue', async () => {
    const iamMain = (await generateFiles(spec)).find((x) => x.path === 'modules/iam/main.tf')!.content;
    const block = topLevelBlocks(iamMain.replace(/^\s*#.*$/gm, '')).find((b) => b.labels[1] === 'node_termination')!;
    expect(block.text).toMatch(/"sqs:ReceiveMessage"\s*\]\s*resources\s*=\s*\[\s*var\.termination_queue_arn\s*\]/);
  });
});

describe('kindnet: the cloud controller writes routes, and only then has the route actions', () => {
  it.each(['kindnet', 'calico'])('networking %s', async (net) => {
    const { loadClusterText } = await import('../../src/spec/index.js');
    const yaml = `apiVersion: haform.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: r.example.com\nspec:\n  zones: [eu-west-1a, eu-west-1b, eu-west-1c]\n  masterZones: [eu-west-1a, eu-west-1b, eu-west-1c]\n  networking: ${net}\n`;
    const iamMain = (await generateFiles(loadClusterText('r.yaml', yaml).spec!)).find((x) => x.path === 'modules/iam/main.tf')!.content;
    const granted = [...new Set(policy(iamMain, 'cloud_controller').actions)].sort();
    const dropped = droppedActions('cloud_controller', net);
    expect(granted).toEqual(upstreamActions(UPSTREAM_IAM.cloud_controller.actions).filter((a) => !dropped.includes(a)));
    expect(granted.includes('ec2:CreateRoute')).toBe(net === 'kindnet');
  });
});

/** Every statement of every policy document of the IAM module: its actions, resources and condition variables. */
function statements(iamMain: string): { doc: string; sid: string; actions: string[]; resources: string[]; conditions: string[] }[] {
  const docs = topLevelBlocks(iamMain.replace(/^\s*#.*$/gm, '')).filter((b) => b.kind === 'data' && b.labels[0] === 'aws_iam_policy_document');
  return docs.flatMap((d) => {
    const out: { doc: string; sid: string; actions: string[]; resources: string[]; conditions: string[] }[] = [];
    for (let i = d.text.indexOf('statement {'); i >= 0; i = d.text.indexOf('statement {', i + 1)) {
      let depth = 0;
      let end = i;
      for (let j = d.text.indexOf('{', i); j < d.text.length; j++) {
        if (d.text[j] === '{') depth++;
        if (d.text[j] === '}' && --depth === 0) {
          end = j;
          break;
        }
      }
      const text = d.text.slice(i, end);
      const list = (name: string) => [...text.matchAll(new RegExp(`\\b${name}\\s*=\\s*\\[([^\\]]*)\\]`, 'g'))].flatMap((a) => [...a[1]!.matchAll(/"([^"]+)"|([a-z_][\w.\[\]"-]*)/g)].map((m) => m[1] ?? m[2]!));
      out.push({ doc: d.labels[1]!, sid: /\bsid\s*=\s*"([^"]*)"/.exec(text)?.[1] ?? '', actions: list('actions'), resources: list('resources'), conditions: [...text.matchAll(/\bvariable\s*=\s*"([^"]+)"/g)].map((m) => m[1]!) });
    }
    return out;
  });
}

/** Read-only calls: what takes no resource-level scope in IAM, and changes nothing. */
const READ_ONLY = /^[a-z0-9-]+:(Describe|List|Get|BatchGet|BatchCheck)[A-Za-z]*$/;
/** The agent channels of Session Manager and the ECR token: no resource to name (AWS's own managed policies hold them on "*"). */
const NO_RESOURCE_TYPE = /^(ssmmessages|ec2messages):|^ecr:GetAuthorizationToken$/;

describe.each(['fixtures/examples/public.yaml', 'fixtures/examples/private.yaml', 'fixtures/examples/same-az.yaml', 'fixtures/valid/large.yaml', 'fixtures/valid/existing-vpc.yaml', 'fixtures/valid/existing-subnets.yaml'])('%s: no mutating action on "*" without a condition', (fixture) => {
  it('every write on "*" is conditioned (on the cluster\'s tag, a create action or a service name)', async () => {
    const iamMain = (await generateFiles(loadClusterFile(fixture).spec!)).find((x) => x.path === 'modules/iam/main.tf')!.content;
    const all = statements(iamMain);
    expect(all.length).toBeGreaterThan(10);
    // Left open, as kops and AWS's AmazonEKS_CNI_Policy leave it: the VPC CNI (networking: amazonvpc,
    // in no fixture) tags its interfaces only through its manifest's ADDITIONAL_ENI_TAGS, which the
    // boot scripts apply unchanged; until they set it, its interface calls cannot be held to a tag.
    const open = all.filter((s) => s.doc !== 'vpc_cni' && s.resources.includes('*') && s.conditions.length === 0).flatMap((s) => s.actions.filter((a) => !READ_ONLY.test(a) && !NO_RESOURCE_TYPE.test(a)).map((a) => `${s.doc}/${s.sid}: ${a}`));
    expect(open).toEqual([]);
    // Tags only with the create call that makes the resource, or on what is already the cluster's.
    const tagging = all.filter((s) => s.actions.includes('ec2:CreateTags') && s.doc !== 'vpc_cni');
    expect(tagging.length).toBeGreaterThan(0);
    for (const s of tagging) expect(s.conditions.some((c) => c === 'ec2:CreateAction' || c === 'aws:ResourceTag/KubernetesCluster'), `${s.doc}/${s.sid}`).toBe(true);
    for (const s of all.filter((x) => x.actions.includes('iam:CreateServiceLinkedRole'))) expect(s.conditions).toContain('iam:AWSServiceName');
  });
});

it('the statement reader sees an open write, so the check above can fail', () => {
  const hcl = 'data "aws_iam_policy_document" "x" {\n  statement {\n    actions = [\n      "ec2:CreateTags",\n      "ec2:DescribeTags"\n    ]\n    resources = [\n      "*"\n    ]\n  }\n  statement {\n    actions = ["ec2:DeleteVolume"]\n    resources = ["*"]\n    condition {\n      test = "StringEquals"\n      values = [var.cluster_name]\n      variable = "aws:ResourceTag/KubernetesCluster"\n    }\n  }\n}\n';
  const s = statements(hcl);
  expect(s.map((x) => [x.actions, x.resources, x.conditions])).toEqual([
    [['ec2:CreateTags', 'ec2:DescribeTags'], ['*'], []],
    [['ec2:DeleteVolume'], ['*'], ['aws:ResourceTag/KubernetesCluster']],
  ]);
});
