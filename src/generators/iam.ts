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

    // The way in to every instance, even one that failed to boot: SSM Session Manager. Its agent's
    // calls only (of AmazonSSMManagedInstanceCore: registration and the session channels); they
    // take no resource scope. A policy of its own, apart from what the boot scripts need.
    const sessionManager = describe(
      new DataAwsIamPolicyDocument(stack, 'session_manager', {
        statement: [
          {
            sid: 'SessionManager',
            actions: [
              'ssm:UpdateInstanceInformation',
              'ssmmessages:CreateControlChannel',
              'ssmmessages:CreateDataChannel',
              'ssmmessages:OpenControlChannel',
              'ssmmessages:OpenDataChannel',
              'ec2messages:AcknowledgeMessage',
              'ec2messages:DeleteMessage',
              'ec2messages:FailMessage',
              'ec2messages:GetEndpoint',
              'ec2messages:GetMessages',
              'ec2messages:SendReply',
            ],
            resources: ['*'],
          },
        ],
      }),
      'SSM Session Manager for every instance: aws ssm start-session, no SSH needed.',
    );
    // The Amazon VPC CNI's daemon (aws-node) runs on every instance and gives pods VPC addresses
    // from secondary interfaces: the actions of AWS's AmazonEKS_CNI_Policy, tagging limited to
    // network interfaces.
    const vpcCni =
      plan.networking === 'amazonvpc'
        ? describe(
            new DataAwsIamPolicyDocument(stack, 'vpc_cni', {
              statement: [
                {
                  sid: 'VpcCniInterfaces',
                  actions: [
                    'ec2:AssignPrivateIpAddresses',
                    'ec2:AttachNetworkInterface',
                    'ec2:CreateNetworkInterface',
                    'ec2:DeleteNetworkInterface',
                    'ec2:DescribeInstances',
                    'ec2:DescribeInstanceTypes',
                    'ec2:DescribeNetworkInterfaces',
                    'ec2:DescribeSubnets',
                    'ec2:DescribeTags',
                    'ec2:DetachNetworkInterface',
                    'ec2:ModifyNetworkInterfaceAttribute',
                    'ec2:UnassignPrivateIpAddresses',
                  ],
                  resources: ['*'],
                },
                { sid: 'VpcCniTags', actions: ['ec2:CreateTags'], resources: [`arn:${partition.partition}:ec2:*:*:network-interface/*`] },
              ],
            }),
            'The Amazon VPC CNI (networking: amazonvpc) on every instance.',
          )
        : undefined;
    const masters = role(stack, 'masters', plan.roles.masters, assume.json, tags.value, sessionManager.json, vpcCni?.json, masterStatements, 'Masters: find and attach their own interface and etcd volumes, publish and read join material.');
    const nodes = role(stack, 'nodes', plan.roles.nodes, assume.json, tags.value, sessionManager.json, vpcCni?.json, nodeStatements, 'Nodes: read the node join material only; never the control plane secrets.');
    const bastions = plan.bastion ? role(stack, 'bastions', plan.roles.bastions, assume.json, tags.value, sessionManager.json, undefined, [], 'The bastion needs no AWS access beyond Session Manager.') : undefined;

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

function role(stack: TerraformStack, id: string, name: string, assumeJson: string, tags: unknown, sessionManagerJson: string, vpcCniJson: string | undefined, statements: DataAwsIamPolicyDocumentStatement[], why: string): IamInstanceProfile {
  const r = describe(new IamRole(stack, id, { name, assumeRolePolicy: assumeJson, tags: Fn.merge([tags, { Name: name }]) }), why);
  tfName(new IamRolePolicy(stack, `${id}_session_manager`, { name: 'session-manager', role: r.name, policy: sessionManagerJson }), `${id}_session_manager`);
  if (vpcCniJson) tfName(new IamRolePolicy(stack, `${id}_vpc_cni`, { name: 'vpc-cni', role: r.name, policy: vpcCniJson }), `${id}_vpc_cni`);
  if (statements.length) {
    const doc = tfName(new DataAwsIamPolicyDocument(stack, `${id}_policy_document`, { statement: statements }), id);
    tfName(new IamRolePolicy(stack, `${id}_policy`, { name, role: r.name, policy: doc.json }), id);
  }
  return tfName(new IamInstanceProfile(stack, `${id}_profile`, { name, role: r.name, tags: Fn.merge([tags, { Name: name }]) }), id);
}
