import { Fn } from 'cdktn';
import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DataAwsPartition } from '@cdktn/provider-aws/lib/data-aws-partition/index.js';
import { KmsAlias } from '@cdktn/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktn/provider-aws/lib/kms-key/index.js';
import { bucketPrefix, PARAMETER_SUBPATHS } from '../model/names.js';
import { ownAlarmTopicName } from '../model/plan.js';
import { callModule, describe, field, type Generator, moduleStack, output, parameterPathVariable, tfName, variable } from './context.js';
import { acceptChecks } from './checkov.js';

export const KMS_MODULE = 'kms';
const DIR = 'modules/kms';

export const KmsOutputs = { keyArn: 'key_arn' } as const;

/** A deleted key can be restored for this long: the join material and every backup depend on it. */
const DELETION_WINDOW_DAYS = 30;

/** What a key administrator may do: everything but use the key (AWS's "key administrators" statement). */
const ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:Create*',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
];

/**
 * The cluster's own KMS key: the SSM join material (SecureString, put by the boot scripts with
 * --key-id and this key's alias) and the cluster bucket (SSE-KMS: etcd backups hold every Secret).
 * Unlike aws/ssm, which any principal of the account with ssm:GetParameter may decrypt through, only
 * the masters (the control plane's parameters and the bucket), the nodes (their own parameters and
 * their boot script) and the break-glass role use it; the account's administrators administer it.
 * The roles are matched by aws:PrincipalArn on the account's principal, as KMS refuses a policy
 * naming a role that does not exist yet; their own IAM policies must allow the same (generators/iam.ts).
 */
export const kms: Generator = {
  name: KMS_MODULE,

  modules(scope, plan) {
    const stack = moduleStack(scope, 'kms');
    const alias = variable(stack, 'alias', 'string', "The key's alias, which the boot scripts name in put-parameter --key-id.", [
      { condition: '${can(regex("^alias/[A-Za-z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "alias/aws/")}', errorMessage: 'alias is alias/ followed by letters, digits, /, _ and -, and not under alias/aws/.' },
    ]);
    const region = variable(stack, 'region', 'string', 'AWS region of the cluster, in the ARNs of its parameters and of the services that use the key.');
    const parameterPath = parameterPathVariable(stack, "The cluster's SSM Parameter Store path: the join material the key encrypts is under it.");
    const roleNames = variable(stack, 'role_names', 'object({\nmasters = string\nnodes = string\n})', 'Names of the IAM roles of the masters and the nodes, the key\'s users.');
    const bucketPrefixVar = variable(stack, 'bucket_prefix', 'string', 'Prefix of the cluster bucket\'s name: S3 uses the key for that bucket only.');
    const breakGlass = plan.kms.breakGlassRoleArn
      ? variable(stack, 'break_glass_role_arn', 'string', 'An IAM role that may decrypt the join material and the backups, for recovery when no master is left (spec.encryption.breakGlassRoleArn).', [
          { condition: '${can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.break_glass_role_arn))}', errorMessage: 'break_glass_role_arn is the ARN of an IAM role.' },
        ])
      : undefined;
    const flowLogGroup = plan.flowLogs ? variable(stack, 'flow_log_group', 'string', 'Name of the CloudWatch Logs group of the VPC flow logs, which the key encrypts.') : undefined;
    const alarmTopic = ownAlarmTopicName(plan) !== undefined ? variable(stack, 'alarm_topic_name', 'string', 'Name of the SNS topic of the alarms (modules/alarms), which the key encrypts.') : undefined;
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');

    const partition = new DataAwsPartition(stack, 'current', {});
    const account = describe(new DataAwsCallerIdentity(stack, 'current_account', {}), "The account's principal, to which the key's administration falls, and in which the roles are matched.");
    tfName(account, 'current');
    const root = `arn:${partition.partition}:iam::${account.accountId}:root`;
    const roleArn = (role: string) => `arn:${partition.partition}:iam::${account.accountId}:role/${field(roleNames.value, role)}`;
    const params = (sub: string) => `arn:${partition.partition}:ssm:${region.stringValue}:${account.accountId}:parameter${parameterPath.stringValue}/${sub}/*`;
    const viaS3 = [
      { test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${region.stringValue}.${partition.dnsSuffix}`] },
      // With a bucket key, S3's encryption context is the bucket's ARN; its name ends in a unique suffix.
      { test: 'StringLike', variable: 'kms:EncryptionContext:aws:s3:arn', values: [`arn:${partition.partition}:s3:::${bucketPrefixVar.stringValue}*`] },
    ];
    const by = (role: string) => ({ test: 'ArnEquals', variable: 'aws:PrincipalArn', values: [roleArn(role)] });
    const parameters = (...subs: string[]) => ({ test: 'StringLike', variable: 'kms:EncryptionContext:PARAMETER_ARN', values: subs.map(params) });
    const inAccount = [{ type: 'AWS', identifiers: [root] }];

    const statement: DataAwsIamPolicyDocumentStatement[] = [
      { sid: 'KeyAdministration', principals: inAccount, actions: ADMIN_ACTIONS, resources: ['*'] },
      // Terraform uploads the addons and boot scripts: encrypting for the bucket reads nothing.
      { sid: 'EncryptBucketObjects', principals: inAccount, actions: ['kms:GenerateDataKey'], resources: ['*'], condition: viaS3 },
      {
        sid: 'MastersJoinMaterial',
        principals: inAccount,
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        condition: [by('masters'), parameters(PARAMETER_SUBPATHS.controlPlane, PARAMETER_SUBPATHS.node, PARAMETER_SUBPATHS.cluster)],
      },
      { sid: 'MastersBucket', principals: inAccount, actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['*'], condition: [by('masters'), ...viaS3] },
      { sid: 'NodesJoinMaterial', principals: inAccount, actions: ['kms:Decrypt'], resources: ['*'], condition: [by('nodes'), parameters(PARAMETER_SUBPATHS.node)] },
      // Their boot script for an in-place upgrade (boot/node.sh; their S3 policy allows nothing else).
      { sid: 'NodesBootScript', principals: inAccount, actions: ['kms:Decrypt'], resources: ['*'], condition: [by('nodes'), ...viaS3] },
    ];
    if (flowLogGroup) {
      statement.push({
        sid: 'FlowLogGroup',
        principals: [{ type: 'Service', identifiers: [`logs.${region.stringValue}.${partition.dnsSuffix}`] }],
        actions: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: ['*'],
        condition: [{ test: 'ArnEquals', variable: 'kms:EncryptionContext:aws:logs:arn', values: [`arn:${partition.partition}:logs:${region.stringValue}:${account.accountId}:log-group:${flowLogGroup.stringValue}`] }],
      });
    }
    if (alarmTopic) {
      // The alarms' topic (modules/alarms) is encrypted with this key: CloudWatch publishes to it
      // (AWS's "compatibility between event sources and encrypted topics"). Only for that topic: SNS
      // names it in the encryption context of every data key it asks for, so the service principal
      // cannot use the cluster's key for any other topic, of this account or another.
      statement.push({
        sid: 'AlarmTopic',
        principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        condition: [{ test: 'ArnEquals', variable: 'kms:EncryptionContext:aws:sns:topicArn', values: [`arn:${partition.partition}:sns:${region.stringValue}:${account.accountId}:${alarmTopic.stringValue}`] }],
      });
    }
    if (breakGlass) {
      // Named as the principal: KMS refuses a policy whose role does not exist, so a typo fails at apply.
      statement.push({ sid: 'BreakGlass', principals: [{ type: 'AWS', identifiers: [breakGlass.stringValue] }], actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'], resources: ['*'] });
    }
    const policy = acceptChecks(tfName(new DataAwsIamPolicyDocument(stack, 'key_policy', { statement }), 'key'), 'CKV_AWS_109', 'CKV_AWS_111', 'CKV_AWS_356');
    const key = describe(
      tfName(
        new KmsKey(stack, 'key', {
          description: `Join material and bucket of the cluster under ${parameterPath.stringValue}`,
          enableKeyRotation: true,
          deletionWindowInDays: DELETION_WINDOW_DAYS,
          policy: policy.json,
          tags: Fn.merge([tags.value, { Name: alias.stringValue }]),
        }),
        'this',
      ),
      `The cluster's key, rotated yearly; a deleted key can be restored for ${DELETION_WINDOW_DAYS} days.`,
    );
    tfName(new KmsAlias(stack, 'alias', { name: alias.stringValue, targetKeyId: key.keyId }), 'this');
    output(stack, KmsOutputs.keyArn, key.arn, "ARN of the cluster's key.");
    return [{ dir: DIR, stack, summary: "The cluster's KMS key: SSM join material and the cluster bucket." }];
  },

  wire(ctx) {
    const { plan } = ctx;
    const alarmTopicName = ownAlarmTopicName(plan);
    callModule(ctx, KMS_MODULE, DIR, {
      alias: plan.kms.alias,
      region: plan.region,
      parameter_path: plan.parameterPath,
      role_names: { masters: plan.roles.masters, nodes: plan.roles.nodes },
      bucket_prefix: bucketPrefix(plan.name),
      ...(plan.kms.breakGlassRoleArn ? { break_glass_role_arn: plan.kms.breakGlassRoleArn } : {}),
      ...(plan.flowLogs ? { flow_log_group: plan.flowLogs.logGroup } : {}),
      ...(alarmTopicName !== undefined ? { alarm_topic_name: alarmTopicName } : {}),
      tags: ctx.shared.tags,
    });
  },
};
