import { Fn } from 'cdktn';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DataAwsPartition } from '@cdktn/provider-aws/lib/data-aws-partition/index.js';
import { IamInstanceProfile } from '@cdktn/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy/index.js';
import type { TerraformStack } from 'cdktn';
import { callModule, describe, tfName, type Generator, moduleStack, output, variable } from './context.js';

export const IAM_MODULE = 'iam';
const DIR = 'modules/iam';

export const IamOutputs = {
  mastersProfile: 'masters_instance_profile',
  nodesProfile: 'nodes_instance_profile',
  bastionsProfile: 'bastions_instance_profile',
} as const;

/** SSM paths of the join material: nodes may read only theirs, never the control plane's. */
export const PARAMETER_SUBPATHS = { controlPlane: 'control-plane', node: 'node' } as const;

/**
 * Roles, policies and instance profiles. Every ARN is built from the partition (aws, aws-cn,
 * aws-us-gov), and every write is scoped: volumes by the cluster tag, parameters by the cluster's path.
 */
export const iam: Generator = {
  name: IAM_MODULE,

  modules(scope, plan) {
    const stack = moduleStack(scope, 'iam');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const partition = describe(new DataAwsPartition(stack, 'current', {}), 'ARNs differ per partition: aws, aws-cn (seed example 3), aws-us-gov.');
    const arn = (service: string, resource: string, region = plan.region) => `arn:${partition.partition}:${service}:${region}:*:${resource}`;
    const clusterTag = { test: 'StringEquals', variable: 'aws:ResourceTag/KubernetesCluster', values: [plan.name] };

    const assume = new DataAwsIamPolicyDocument(stack, 'ec2_assume_role', {
      statement: [{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: [`ec2.${partition.dnsSuffix}`] }] }],
    });

    const ecrPull: DataAwsIamPolicyDocumentStatement = {
      sid: 'PullImages',
      actions: ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      resources: ['*'],
    };
    const params = (sub: string) => arn('ssm', `parameter${plan.parameterPath}/${sub}/*`);
    const masterStatements: DataAwsIamPolicyDocumentStatement[] = [
      {
        // Describe calls take no resource-level conditions; these three find the member by its tags.
        sid: 'FindOwnMember',
        actions: ['ec2:DescribeTags', 'ec2:DescribeVolumes', 'ec2:DescribeNetworkInterfaces'],
        resources: ['*'],
      },
      {
        sid: 'AttachOwnEtcdVolumesAndInterface',
        actions: ['ec2:AttachVolume', 'ec2:AttachNetworkInterface'],
        resources: [arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*'), arn('ec2', 'instance/*')],
        condition: [clusterTag],
      },
      { sid: 'FindApiLoadBalancer', actions: ['elasticloadbalancing:DescribeLoadBalancers'], resources: ['*'] },
      {
        sid: 'JoinMaterial',
        // DeleteParameter: the join lock (control-plane/join-lock), released after each join.
        actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
        resources: [params(PARAMETER_SUBPATHS.controlPlane), params(PARAMETER_SUBPATHS.node)],
      },
      ecrPull,
    ];
    if (plan.etcd.kmsKeyId) {
      masterStatements.push({
        sid: 'EtcdVolumeKey',
        actions: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: [plan.etcd.kmsKeyId],
      });
    }
    const nodeStatements: DataAwsIamPolicyDocumentStatement[] = [
      { sid: 'NodeJoinMaterial', actions: ['ssm:GetParameter'], resources: [params(PARAMETER_SUBPATHS.node)] },
      ecrPull,
    ];

    const masters = role(stack, 'masters', plan.roles.masters, assume.json, tags.value, masterStatements, 'Masters: find and attach their own interface and etcd volumes, publish and read join material.');
    const nodes = role(stack, 'nodes', plan.roles.nodes, assume.json, tags.value, nodeStatements, 'Nodes: read the node join material only; never the control plane secrets.');
    const bastions = plan.bastion ? role(stack, 'bastions', plan.roles.bastions, assume.json, tags.value, [], 'The bastion needs no AWS access.') : undefined;

    output(stack, IamOutputs.mastersProfile, masters.name, 'Instance profile of the masters.');
    output(stack, IamOutputs.nodesProfile, nodes.name, 'Instance profile of the worker nodes.');
    if (bastions) output(stack, IamOutputs.bastionsProfile, bastions.name, 'Instance profile of the bastion.');
    return [{ dir: DIR, stack, summary: 'IAM roles, policies and instance profiles for masters, nodes and bastion.' }];
  },

  wire(ctx) {
    callModule(ctx, IAM_MODULE, DIR, {
      tags: ctx.shared.tags,
    });
  },
};

function role(stack: TerraformStack, id: string, name: string, assumeJson: string, tags: unknown, statements: DataAwsIamPolicyDocumentStatement[], why: string): IamInstanceProfile {
  const r = describe(new IamRole(stack, id, { name, assumeRolePolicy: assumeJson, tags: Fn.merge([tags, { Name: name }]) }), why);
  if (statements.length) {
    const doc = tfName(new DataAwsIamPolicyDocument(stack, `${id}_policy_document`, { statement: statements }), id);
    tfName(new IamRolePolicy(stack, `${id}_policy`, { name, role: r.name, policy: doc.json }), id);
  }
  return tfName(new IamInstanceProfile(stack, `${id}_profile`, { name, role: r.name, tags: Fn.merge([tags, { Name: name }]) }), id);
}
