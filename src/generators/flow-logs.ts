import { Fn } from 'cdktn';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js';
import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsIamPolicyDocument } from '@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy/index.js';
import { callModule, describe, type Generator, moduleNamed, moduleStack, output, tfName, variable } from './context.js';
import { KMS_MODULE, KmsOutputs } from './kms.js';

export const FLOW_LOGS_MODULE = 'flow_logs';

export const FlowLogsOutputs = { groupArn: 'log_group_arn', roleArn: 'role_arn' } as const;
const DIR = 'modules/flow-logs';

/** CloudWatch Logs' retention periods: any other value is refused at apply. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * Where the flow logs of the VPC haform creates go (an existing VPC's are its owner's): a CloudWatch
 * Logs group encrypted with the cluster's key and kept flowLogs.retentionDays, and the role that
 * delivers to that group only. The flow log itself is the network module's, beside its VPC.
 */
export const flowLogs: Generator = {
  name: FLOW_LOGS_MODULE,

  modules(scope, plan) {
    if (!plan.flowLogs) return [];
    const stack = moduleStack(scope, 'flow-logs');
    const groupName = variable(stack, 'log_group_name', 'string', 'Name of the CloudWatch Logs group of the flow logs.');
    const retention = variable(stack, 'retention_days', 'number', 'Days the flow logs are kept (flowLogs.retentionDays).', [
      { condition: `\${contains([${RETENTION_DAYS.join(', ')}], var.retention_days)}`, errorMessage: 'retention_days is one of the retention periods CloudWatch Logs allows: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... 3653.' },
    ]);
    const roleName = variable(stack, 'role_name', 'string', 'Name of the IAM role that delivers the flow logs.');
    const kmsKey = variable(stack, 'kms_key_arn', 'string', "The cluster's KMS key (modules/kms), whose policy admits CloudWatch Logs for this group.");
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');

    const group = describe(
      tfName(new CloudwatchLogGroup(stack, 'group', { name: groupName.stringValue, retentionInDays: retention.numberValue, kmsKeyId: kmsKey.stringValue, tags: tags.value }), 'this'),
      'Where the flow logs go, encrypted with the cluster key.',
    );
    const account = tfName(new DataAwsCallerIdentity(stack, 'current_account', {}), 'current');
    const assume = new DataAwsIamPolicyDocument(stack, 'assume', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
          // Only for flow logs of this account (the confused-deputy guard AWS documents).
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [account.accountId] }],
        },
      ],
    });
    const write = new DataAwsIamPolicyDocument(stack, 'write', {
      statement: [
        {
          sid: 'WriteFlowLogs',
          actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
          resources: [group.arn, `${group.arn}:*`],
        },
      ],
    });
    const role = describe(
      tfName(new IamRole(stack, 'role', { name: roleName.stringValue, assumeRolePolicy: assume.json, tags: Fn.merge([tags.value, { Name: roleName.stringValue }]) }), 'this'),
      'The flow log service delivers with this role: to the group above only.',
    );
    tfName(new IamRolePolicy(stack, 'role_policy', { name: roleName.stringValue, role: role.name, policy: write.json }), 'this');
    output(stack, FlowLogsOutputs.groupArn, group.arn, 'ARN of the flow logs\' group.');
    output(stack, FlowLogsOutputs.roleArn, role.arn, 'ARN of the role that delivers the flow logs.');
    return [{ dir: DIR, stack, summary: 'Where the VPC flow logs go: a CloudWatch Logs group encrypted with the cluster key, and the role that delivers them.' }];
  },

  wire(ctx) {
    const f = ctx.plan.flowLogs;
    if (!f) return;
    callModule(ctx, FLOW_LOGS_MODULE, DIR, {
      log_group_name: f.logGroup,
      retention_days: f.retentionDays,
      role_name: f.roleName,
      kms_key_arn: moduleNamed(ctx, KMS_MODULE).get(KmsOutputs.keyArn),
      tags: ctx.shared.tags,
    });
  },
};
