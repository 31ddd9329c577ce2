import { Fn } from 'cdktn';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DataAwsPartition } from '@cdktn/provider-aws/lib/data-aws-partition/index.js';
import { IamInstanceProfile } from '@cdktn/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy/index.js';
import type { TerraformStack } from 'cdktn';
import { basename } from 'node:path';
import { autoscalerClusterTag, BACKUP_PREFIX, BOOT_PREFIX, CLUSTER_TAG, PARAMETER_SUBPATHS, userDataPath } from '../model/names.js';
import { cloudRoutes } from '../model/cni.js';
import type { ClusterPlan } from '../model/plan.js';
import { ADDONS_DIR } from '../render/addons.js';
import { BUCKET_MODULE, BucketOutputs } from './bucket.js';
import { callModule, describe, tfName, type Generator, moduleNamed, moduleStack, output, parameterPathVariable, field, variable } from './context.js';
import { KMS_MODULE, KmsOutputs } from './kms.js';
import { TERMINATION_MODULE, TerminationOutputs } from './termination.js';

export const IAM_MODULE = 'iam';
const DIR = 'modules/iam';

export const IamOutputs = {
  mastersProfile: 'masters_instance_profile',
  nodesProfile: 'nodes_instance_profile',
  bastionsProfile: 'bastions_instance_profile',
} as const;


/**
 * Roles, policies and instance profiles. Every ARN is built from the partition (aws, aws-cn,
 * aws-us-gov), and every write is scoped: volumes by the cluster tag, parameters by the cluster's path.
 */
export const iam: Generator = {
  name: IAM_MODULE,

  modules(scope, plan) {
    const stack = moduleStack(scope, 'iam');
    const cluster = variable(stack, 'cluster_name', 'string', "The cluster's name: the value of the KubernetesCluster tag that scopes the masters' writes.");
    const region = variable(stack, 'region', 'string', 'AWS region of the cluster, in the ARNs of its volumes, interfaces and parameters.', [
      { condition: '${can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))}', errorMessage: 'region is an AWS region name, e.g. us-west-2.' },
    ]);
    const parameterPath = parameterPathVariable(stack, "The cluster's SSM Parameter Store path, under which the join material is kept.");
    const roleNames = variable(stack, 'role_names', `object({\nmasters = string\nnodes = string${plan.bastion ? '\nbastions = string' : ''}\n})`, 'Names of the IAM roles, their policies and instance profiles, by role.');
    const roleName = (role: string) => field(roleNames.value, role);
    const kms = plan.etcd.kmsKeyId ? variable(stack, 'kms_key_id', 'string', 'KMS key of the etcd volumes: the masters attach volumes encrypted with it.') : undefined;
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const bucketArn = variable(stack, 'bucket_arn', 'string', 'ARN of the cluster bucket: addon manifests and etcd backups.');
    const queueArn = variable(stack, 'termination_queue_arn', 'string', 'ARN of the queue the node termination handler reads.');
    const clusterKey = variable(stack, 'cluster_key_arn', 'string', "The cluster's KMS key (modules/kms): the join material and the bucket are encrypted with it.");
    const metricNamespace = plan.alarms ? variable(stack, 'metric_namespace', 'string', "CloudWatch namespace of the masters' metrics for the alarms: the only one they may publish to.") : undefined;
    const partition = describe(new DataAwsPartition(stack, 'current', {}), 'ARNs differ per partition: aws, aws-cn (seed example 3), aws-us-gov.');
    const arn = (service: string, resource: string) => `arn:${partition.partition}:${service}:${region.stringValue}:*:${resource}`;
    const clusterTag = clusterConditions(cluster.stringValue).tagged;

    const assume = new DataAwsIamPolicyDocument(stack, 'ec2_assume_role', {
      statement: [{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: [`ec2.${partition.dnsSuffix}`] }] }],
    });

    // The token takes no resource; the pulls are from repositories (any: images come from several accounts' registries).
    const ecrToken: DataAwsIamPolicyDocumentStatement = { sid: 'RegistryToken', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] };
    const ecrPull: DataAwsIamPolicyDocumentStatement = {
      sid: 'PullImages',
      actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      resources: [`arn:${partition.partition}:ecr:*:*:repository/*`],
    };
    const params = (sub: string) => arn('ssm', `parameter${parameterPath.stringValue}/${sub}/*`);
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
      // A restore's initial cluster: the members whose autoscaling groups exist (a describe call, no resource scope).
      { sid: 'FindCurrentMembers', actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] },
      {
        sid: 'JoinMaterial',
        // DeleteParameter: the join lock (control-plane/join-lock), released after each join.
        actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
        resources: [params(PARAMETER_SUBPATHS.controlPlane), params(PARAMETER_SUBPATHS.node)],
      },
      {
        sid: 'ClusterSettings',
        // cluster/bucket: the bucket's name, written by Terraform.
        actions: ['ssm:GetParameter'],
        resources: [params(PARAMETER_SUBPATHS.cluster)],
      },
      { sid: 'ReadAddonsAndBackups', actions: ['s3:GetObject'], resources: [`${bucketArn.stringValue}/${ADDONS_DIR}/*`, `${bucketArn.stringValue}/${BACKUP_PREFIX}*`] },
      // The upgrade runbook: a master takes this generation's master.sh (aws s3 cp in an SSM session);
      // with alarms, every boot takes monitor.sh, which publishes their metrics.
      {
        sid: 'ReadBootScript',
        actions: ['s3:GetObject'],
        resources: [userDataPath.master, ...(plan.alarms ? [userDataPath.monitor] : [])].map((p) => `${bucketArn.stringValue}/${BOOT_PREFIX}/${basename(p)}`),
      },
      { sid: 'WriteBackups', actions: ['s3:PutObject'], resources: [`${bucketArn.stringValue}/${BACKUP_PREFIX}*`] },
      {
        sid: 'ListAddonsAndBackups',
        actions: ['s3:ListBucket'],
        resources: [bucketArn.stringValue],
        condition: [{ test: 'StringLike', variable: 's3:prefix', values: [`${ADDONS_DIR}/*`, `${BACKUP_PREFIX}*`] }],
      },
      ecrToken,
      ecrPull,
      // The alarms' metrics, into the cluster's own namespace only (PutMetricData takes no resource).
      ...(metricNamespace
        ? [{ sid: 'PublishMetrics', actions: ['cloudwatch:PutMetricData'], resources: ['*'], condition: [{ test: 'StringEquals', variable: 'cloudwatch:namespace', values: [metricNamespace.stringValue] }] }]
        : []),
    ];
    // The cluster's key, as its key policy has it (modules/kms): each role for its own parameters
    // (SSM's encryption context is the parameter's ARN) and, through S3, for the cluster bucket.
    const keyForParameters = (sid: string, actions: string[], subs: string[]): DataAwsIamPolicyDocumentStatement => ({
      sid,
      actions,
      resources: [clusterKey.stringValue],
      condition: [{ test: 'StringLike', variable: 'kms:EncryptionContext:PARAMETER_ARN', values: subs.map(params) }],
    });
    const keyForBucket = (sid: string, actions: string[]): DataAwsIamPolicyDocumentStatement => ({
      sid,
      actions,
      resources: [clusterKey.stringValue],
      condition: [
        { test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${region.stringValue}.${partition.dnsSuffix}`] },
        { test: 'StringEquals', variable: 'kms:EncryptionContext:aws:s3:arn', values: [bucketArn.stringValue] },
      ],
    });
    masterStatements.push(
      keyForParameters('JoinMaterialKey', ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], [PARAMETER_SUBPATHS.controlPlane, PARAMETER_SUBPATHS.node]),
      // cluster/bucket: a SecureString too, written by Terraform, read only.
      keyForParameters('ClusterSettingsKey', ['kms:Decrypt'], [PARAMETER_SUBPATHS.cluster]),
      keyForBucket('BucketKey', ['kms:Decrypt', 'kms:GenerateDataKey']),
    );
    if (kms) {
      masterStatements.push({
        sid: 'EtcdVolumeKey',
        actions: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: [kms.stringValue],
      });
    }
    const nodeStatements: DataAwsIamPolicyDocumentStatement[] = [
      { sid: 'NodeJoinMaterial', actions: ['ssm:GetParameter'], resources: [params(PARAMETER_SUBPATHS.node)] },
      // The upgrade runbook's in-place node upgrade: node.sh of this generation, nothing else of the bucket.
      { sid: 'ReadBootScript', actions: ['s3:GetObject'], resources: [`${bucketArn.stringValue}/${BOOT_PREFIX}/${basename(userDataPath.node)}`] },
      ecrToken,
      ecrPull,
    ];
    nodeStatements.push(keyForParameters('NodeJoinMaterialKey', ['kms:Decrypt'], [PARAMETER_SUBPATHS.node]), keyForBucket('BootScriptKey', ['kms:Decrypt']));

    // The way in to every instance, even one that failed to boot: SSM Session Manager. Its agent's
    // calls only (of AmazonSSMManagedInstanceCore: registration and the session channels); they
    // take no resource scope. A policy of its own, apart from what the boot scripts need.
    const sessionManager = describe(
      new DataAwsIamPolicyDocument(stack, 'session_manager', {
        statement: [
          {
            sid: 'SessionManager',
            actions: [
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
          // The agent registers its own instance.
          { sid: 'SessionManagerRegistration', actions: ['ssm:UpdateInstanceInformation'], resources: [`arn:${partition.partition}:ec2:*:*:instance/*`] },
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
    const everyRole: NamedPolicy[] = [{ id: 'session_manager', name: 'session-manager', json: sessionManager.json }];
    const kubernetesRoles: NamedPolicy[] = [...everyRole, ...(vpcCni ? [{ id: 'vpc_cni', name: 'vpc-cni', json: vpcCni.json }] : [])];
    const controllers = controllerPolicies(stack, plan, partition.partition, cluster.stringValue, queueArn.stringValue);
    const masters = role(stack, 'masters', roleName('masters'), assume.json, tags.value, [...kubernetesRoles, ...controllers], masterStatements, 'Masters: find and attach their own interface and etcd volumes, publish and read join material, back up etcd; and the controllers that run there.');
    const nodes = role(stack, 'nodes', roleName('nodes'), assume.json, tags.value, kubernetesRoles, nodeStatements, 'Nodes: read the node join material only; never the control plane secrets.');
    const bastions = plan.bastion ? role(stack, 'bastions', roleName('bastions'), assume.json, tags.value, everyRole, [], 'The bastion needs no AWS access beyond Session Manager.') : undefined;

    output(stack, IamOutputs.mastersProfile, masters.name, 'Instance profile of the masters.');
    output(stack, IamOutputs.nodesProfile, nodes.name, 'Instance profile of the worker nodes.');
    if (bastions) output(stack, IamOutputs.bastionsProfile, bastions.name, 'Instance profile of the bastion.');
    return [{ dir: DIR, stack, summary: 'IAM roles, policies and instance profiles for masters, nodes and bastion.' }];
  },

  wire(ctx) {
    const { plan } = ctx;
    callModule(ctx, IAM_MODULE, DIR, {
      cluster_name: plan.name,
      region: plan.region,
      parameter_path: plan.parameterPath,
      role_names: { masters: plan.roles.masters, nodes: plan.roles.nodes, ...(plan.bastion ? { bastions: plan.roles.bastions } : {}) },
      ...(plan.etcd.kmsKeyId ? { kms_key_id: field(ctx.shared.etcdVolume, 'kms_key_id') } : {}),
      bucket_arn: moduleNamed(ctx, BUCKET_MODULE).get(BucketOutputs.arn),
      termination_queue_arn: moduleNamed(ctx, TERMINATION_MODULE).get(TerminationOutputs.queueArn),
      cluster_key_arn: moduleNamed(ctx, KMS_MODULE).get(KmsOutputs.keyArn),
      ...(plan.alarms ? { metric_namespace: plan.alarms.namespace } : {}),
      tags: ctx.shared.tags,
    });
  },
};

/** A policy of its own on a role: named after what uses it, apart from the boot scripts' own. */
interface NamedPolicy {
  readonly id: string;
  readonly name: string;
  readonly json: string;
}

function role(stack: TerraformStack, id: string, name: string, assumeJson: string, tags: unknown, extra: readonly NamedPolicy[], statements: DataAwsIamPolicyDocumentStatement[], why: string): IamInstanceProfile {
  const r = describe(new IamRole(stack, id, { name, assumeRolePolicy: assumeJson, tags: Fn.merge([tags, { Name: name }]) }), why);
  for (const p of extra) tfName(new IamRolePolicy(stack, `${id}_${p.id}`, { name: p.name, role: r.name, policy: p.json }), `${id}_${p.id}`);
  if (statements.length) {
    const doc = tfName(new DataAwsIamPolicyDocument(stack, `${id}_policy_document`, { statement: statements }), id);
    tfName(new IamRolePolicy(stack, `${id}_policy`, { name, role: r.name, policy: doc.json }), id);
  }
  return tfName(new IamInstanceProfile(stack, `${id}_profile`, { name, role: r.name, tags: Fn.merge([tags, { Name: name }]) }), id);
}

/** IAM condition blocks on the cluster's tag, as kops writes them (pkg/model/iam/iam_builder.go). */
type Condition = { test: string; variable: string; values: string[] };
export interface ClusterConditions {
  /** An existing resource: it carries the cluster's tag. */
  readonly tagged: Condition;
  /** A resource being created: the request tags it with the cluster's tag. */
  readonly requestTagged: Condition;
  /** A tag change that leaves the cluster's tag alone (it can neither be added nor moved to another cluster). */
  readonly keepsClusterTag: Condition;
}

export function clusterConditions(cluster: string): ClusterConditions {
  return {
    tagged: { test: 'StringEquals', variable: `aws:ResourceTag/${CLUSTER_TAG}`, values: [cluster] },
    requestTagged: { test: 'StringEquals', variable: `aws:RequestTag/${CLUSTER_TAG}`, values: [cluster] },
    keepsClusterTag: { test: 'Null', variable: `aws:RequestTag/${CLUSTER_TAG}`, values: ['true'] },
  };
}

/**
 * The controllers' own policies, on the masters where they run with the host's network: the actions
 * of each upstream project's documented policy for the version pinned in model/addons.ts, less what
 * haform's configuration never calls (the IAM test holds them to it, test/bootstrap/upstream-iam.ts),
 * each write conditioned on the cluster's tag as kops conditions it: the controllers tag what they
 * create with it (the cloud controller because the masters carry it, the EBS CSI driver by its
 * --extra-tags, render/addons.ts).
 */
function controllerPolicies(stack: TerraformStack, plan: ClusterPlan, partition: string, cluster: string, queueArn: string): NamedPolicy[] {
  const ec2 = (resource: string) => `arn:${partition}:ec2:*:*:${resource}`;
  // Classic (loadbalancer/NAME) and v2 (loadbalancer/net/NAME/ID) load balancers, their target groups and listeners.
  const elb = ['loadbalancer/*', 'targetgroup/*', 'listener/*'].map((r) => `arn:${partition}:elasticloadbalancing:*:*:${r}`);
  const doc = (id: string, why: string, statement: DataAwsIamPolicyDocumentStatement[]) => describe(new DataAwsIamPolicyDocument(stack, id, { statement }), why).json;
  const { tagged, requestTagged, keepsClusterTag } = clusterConditions(cluster);
  const createAction = (actions: string[]): Condition => ({ test: 'StringEquals', variable: 'ec2:CreateAction', values: actions });
  const routes = cloudRoutes(plan.networking);
  return [
    {
      id: 'cloud_controller',
      name: 'cloud-controller-manager',
      // cloud-provider-aws docs/prerequisites.md, control plane policy (its ECR actions: PullImages),
      // scoped as kops's AddCCMPermissions scopes it. Its volume actions are gone (the EBS CSI driver
      // owns volumes), and so are its route actions unless the route controller runs (kindnet).
      json: doc('cloud_controller', `The AWS cloud-controller-manager: nodes and load balancers of Services${routes ? ', and a route per node (kindnet)' : ''}; every write on what carries the cluster's tag.`, [
        {
          sid: 'Describe',
          actions: [
            'autoscaling:DescribeAutoScalingGroups',
            'autoscaling:DescribeLaunchConfigurations',
            'autoscaling:DescribeTags',
            'ec2:DescribeAvailabilityZones',
            'ec2:DescribeInstanceTopology',
            'ec2:DescribeInstances',
            'ec2:DescribeRegions',
            'ec2:DescribeRouteTables',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
            'elasticloadbalancing:DescribeListeners',
            'elasticloadbalancing:DescribeLoadBalancerAttributes',
            'elasticloadbalancing:DescribeLoadBalancerPolicies',
            'elasticloadbalancing:DescribeLoadBalancers',
            'elasticloadbalancing:DescribeTargetGroups',
            'elasticloadbalancing:DescribeTargetHealth',
          ],
          resources: ['*'],
        },
        // The keys of encrypted volumes and load balancers it is asked about.
        { sid: 'DescribeKeys', actions: ['kms:DescribeKey'], resources: [`arn:${partition}:kms:*:*:key/*`] },
        {
          sid: 'ClusterResources',
          actions: [
            'ec2:AuthorizeSecurityGroupIngress',
            ...(routes ? ['ec2:CreateRoute', 'ec2:DeleteRoute'] : []),
            'ec2:DeleteSecurityGroup',
            // The source/destination check: only the route controller turns it off.
            ...(routes ? ['ec2:ModifyInstanceAttribute'] : []),
            'ec2:RevokeSecurityGroupIngress',
            'elasticloadbalancing:AddTags',
            'elasticloadbalancing:ApplySecurityGroupsToLoadBalancer',
            'elasticloadbalancing:AttachLoadBalancerToSubnets',
            'elasticloadbalancing:ConfigureHealthCheck',
            'elasticloadbalancing:CreateLoadBalancerListeners',
            'elasticloadbalancing:CreateLoadBalancerPolicy',
            'elasticloadbalancing:DeleteListener',
            'elasticloadbalancing:DeleteLoadBalancer',
            'elasticloadbalancing:DeleteLoadBalancerListeners',
            'elasticloadbalancing:DeleteTargetGroup',
            'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
            'elasticloadbalancing:DeregisterTargets',
            'elasticloadbalancing:DetachLoadBalancerFromSubnets',
            'elasticloadbalancing:ModifyListener',
            'elasticloadbalancing:ModifyLoadBalancerAttributes',
            'elasticloadbalancing:ModifyTargetGroup',
            'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
            'elasticloadbalancing:RegisterTargets',
            'elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer',
            'elasticloadbalancing:SetLoadBalancerPoliciesOfListener',
            'elasticloadbalancing:SetSecurityGroups',
          ],
          resources: [ec2('security-group/*'), ...(routes ? [ec2('route-table/*'), ec2('instance/*')] : []), ...elb],
          condition: [tagged],
        },
        {
          sid: 'CreateClusterResources',
          actions: ['ec2:CreateSecurityGroup', 'elasticloadbalancing:CreateListener', 'elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
          resources: [ec2('security-group/*'), ...elb],
          condition: [requestTagged],
        },
        // A security group is created in a VPC, which takes no request tag: the group itself is held to it above.
        { sid: 'CreateSecurityGroupInVpc', actions: ['ec2:CreateSecurityGroup'], resources: [ec2('vpc/*')] },
        // Tags given with a create (the load balancer's, its listeners' and target groups').
        {
          sid: 'TagLoadBalancersOnCreate',
          actions: ['elasticloadbalancing:AddTags'],
          resources: elb,
          condition: [{ test: 'StringEquals', variable: 'elasticloadbalancing:CreateAction', values: ['CreateListener', 'CreateLoadBalancer', 'CreateTargetGroup'] }, requestTagged],
        },
        { sid: 'TagSecurityGroupsOnCreate', actions: ['ec2:CreateTags'], resources: [ec2('security-group/*')], condition: [createAction(['CreateSecurityGroup']), requestTagged] },
        // Its tag repair on its own groups, which may not touch the cluster's tag.
        { sid: 'RetagClusterSecurityGroups', actions: ['ec2:CreateTags'], resources: [ec2('security-group/*')], condition: [tagged, keepsClusterTag] },
        // The first load balancer of an account creates ELB's service-linked role; no other.
        {
          sid: 'LoadBalancerServiceRole',
          actions: ['iam:CreateServiceLinkedRole'],
          resources: [`arn:${partition}:iam::*:role/aws-service-role/elasticloadbalancing.amazonaws.com/*`],
          condition: [{ test: 'StringEquals', variable: 'iam:AWSServiceName', values: ['elasticloadbalancing.amazonaws.com'] }],
        },
      ]),
    },
    {
      id: 'ebs_csi',
      name: 'ebs-csi-driver',
      // aws-ebs-csi-driver docs/example-iam-policy.json's actions, scoped as kops's
      // AddAWSEBSCSIDriverPermissions scopes them: only volumes and snapshots of this cluster.
      json: doc('ebs_csi', "The EBS CSI driver's controller: volumes and snapshots for PersistentVolumes, only those of this cluster.", [
        {
          sid: 'Describe',
          actions: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeTags', 'ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications'],
          resources: ['*'],
        },
        // Instances carry the cluster's tag from their groups; volumes from the driver's --extra-tags.
        { sid: 'ClusterVolumes', actions: ['ec2:AttachVolume', 'ec2:DeleteVolume', 'ec2:DetachVolume', 'ec2:ModifyVolume'], resources: [ec2('volume/*'), ec2('instance/*')], condition: [tagged] },
        { sid: 'ClusterSnapshots', actions: ['ec2:DeleteSnapshot', 'ec2:EnableFastSnapshotRestores'], resources: [ec2('snapshot/*')], condition: [tagged] },
        { sid: 'CreateClusterVolume', actions: ['ec2:CreateVolume'], resources: [ec2('volume/*')], condition: [requestTagged] },
        // A volume restored from a snapshot: the snapshot must be the cluster's too.
        { sid: 'CreateVolumeFromClusterSnapshot', actions: ['ec2:CreateVolume'], resources: [ec2('snapshot/*')], condition: [tagged] },
        { sid: 'SnapshotClusterVolume', actions: ['ec2:CreateSnapshot'], resources: [ec2('volume/*')], condition: [tagged] },
        { sid: 'CreateClusterSnapshot', actions: ['ec2:CreateSnapshot'], resources: [ec2('snapshot/*')], condition: [requestTagged] },
        { sid: 'TagOnCreate', actions: ['ec2:CreateTags'], resources: [ec2('volume/*'), ec2('snapshot/*')], condition: [createAction(['CreateSnapshot', 'CreateVolume']), requestTagged] },
        // Tag changes (VolumeAttributesClass, modify-volume) on its own, never of the cluster's tag.
        { sid: 'Retag', actions: ['ec2:CreateTags', 'ec2:DeleteTags'], resources: [ec2('volume/*'), ec2('snapshot/*')], condition: [tagged, keepsClusterTag] },
      ]),
    },
    {
      id: 'node_termination',
      name: 'node-termination-handler',
      // aws-node-termination-handler README, queue processor: its queue only, and, as kops has it,
      // the drain hooks of the cluster's own groups only.
      json: doc('node_termination', "The node termination handler: reads its queue, completes the drain hooks of the cluster's groups.", [
        { sid: 'Describe', actions: ['autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeTags', 'ec2:DescribeInstances'], resources: ['*'] },
        { sid: 'ClusterLifecycleHooks', actions: ['autoscaling:CompleteLifecycleAction'], resources: [`arn:${partition}:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*`], condition: [tagged] },
        { sid: 'Queue', actions: ['sqs:DeleteMessage', 'sqs:ReceiveMessage'], resources: [queueArn] },
      ]),
    },
    ...(plan.clusterAutoscaler ? [clusterAutoscalerPolicy(doc, partition, cluster)] : []),
  ];
}

/**
 * The cluster-autoscaler's policy (kubernetes/autoscaler cloudprovider/aws/README.md, "Full Cluster
 * Autoscaler Features Policy", of the release pinned per minor), scoped as its README recommends: its
 * two writes only on groups that carry the cluster's tag and its own discovery tag, which haform puts
 * on the node groups that may scale and never on a master's. Left out of the upstream list, calls
 * haform's configuration never makes: eks:DescribeNodegroup (EKS managed groups only),
 * autoscaling:DescribeLaunchConfigurations (the groups use launch templates), ec2:DescribeImages and
 * ec2:GetInstanceTypesFromInstanceRequirements (mixed instances by attribute requirements only;
 * haform names the types).
 */
function clusterAutoscalerPolicy(
  doc: (id: string, why: string, statement: DataAwsIamPolicyDocumentStatement[]) => string,
  partition: string,
  cluster: string,
): NamedPolicy {
  return {
    id: 'cluster_autoscaler',
    name: 'cluster-autoscaler',
    json: doc('cluster_autoscaler', "The cluster-autoscaler: reads every group, resizes only the cluster's node groups that carry its discovery tag.", [
      {
        sid: 'Describe',
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeScalingActivities',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
        ],
        resources: ['*'],
      },
      {
        sid: 'ScaleClusterNodeGroups',
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        resources: [`arn:${partition}:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*`],
        condition: [clusterConditions(cluster).tagged, { test: 'StringEquals', variable: `aws:ResourceTag/${autoscalerClusterTag(cluster)}`, values: ['owned'] }],
      },
    ]),
  };
}
