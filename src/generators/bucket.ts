import { Fn, TerraformIterator } from 'cdktn';
import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsIamPolicyDocument } from '@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DataAwsPartition } from '@cdktn/provider-aws/lib/data-aws-partition/index.js';
import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktn/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA as S3BucketVersioning } from '@cdktn/provider-aws/lib/s3-bucket-versioning/index.js';
import { S3Object } from '@cdktn/provider-aws/lib/s3-object/index.js';
import { SsmParameter } from '@cdktn/provider-aws/lib/ssm-parameter/index.js';
import { dirname } from 'node:path';
import { BACKUP_PREFIX, BOOT_PREFIX, bucketPrefix, userDataPath } from '../model/names.js';
import { ADDONS_DIR } from '../render/addons.js';
import { callModule, describe, type Generator, moduleNamed, moduleStack, output, parameterPathVariable, tfName, variable } from './context.js';
import { acceptChecks } from './checkov.js';
import { KMS_MODULE, KmsOutputs } from './kms.js';

export const BUCKET_MODULE = 'bucket';
const DIR = 'modules/bucket';

export const BucketOutputs = { id: 'bucket', arn: 'bucket_arn' } as const;

/** The SSM parameter under the cluster's path that names the bucket: boot scripts read it there. */
export const BUCKET_PARAMETER = 'cluster/bucket';
/** Deleted or overwritten backups stay recoverable this long. */
const NONCURRENT_DAYS = 30;

/**
 * The cluster's bucket, kops's state store for what the instances need: the addon manifests the
 * masters apply, and etcd snapshots (backups/etcd/main/, kept etcd.backupRetentionDays). Private,
 * versioned, encrypted with the cluster's key, TLS only; backups/ for the masters and the break-glass role only.
 */
export const bucket: Generator = {
  name: BUCKET_MODULE,

  modules(scope, plan) {
    const stack = moduleStack(scope, 'bucket');
    const prefix = variable(stack, 'bucket_prefix', 'string', 'Prefix of the bucket name; S3 appends a unique suffix (bucket names are global).', [
      { condition: '${can(regex("^[a-z0-9][a-z0-9-]{0,35}-$", var.bucket_prefix))}', errorMessage: 'bucket_prefix is at most 37 lowercase letters, digits and hyphens, ending in a hyphen.' },
    ]);
    const parameterPath = parameterPathVariable(stack, "The cluster's SSM Parameter Store path: the bucket's name is published under it, for the boot scripts.");
    const retention = variable(stack, 'backup_retention_days', 'number', 'Days an etcd snapshot is kept (etcd.backupRetentionDays).', [
      { condition: '${var.backup_retention_days >= 1}', errorMessage: 'backup_retention_days is at least 1.' },
    ]);
    const kmsKey = variable(stack, 'kms_key_arn', 'string', "The cluster's KMS key (modules/kms): SSE-KMS for every object; etcd snapshots hold every Secret.");
    const mastersRole = variable(stack, 'masters_role_name', 'string', "Name of the masters' IAM role: with the break-glass role, the only principal that may touch backups/.");
    const breakGlass = plan.kms.breakGlassRoleArn ? variable(stack, 'break_glass_role_arn', 'string', 'The break-glass IAM role (spec.encryption.breakGlassRoleArn), which may read and restore backups/.') : undefined;
    const addonsDir = variable(stack, 'addons_dir', 'string', 'Directory of the addon manifests, uploaded under addons/.');
    const userdataDir = variable(stack, 'userdata_dir', 'string', `Directory of the boot scripts, uploaded under ${BOOT_PREFIX}/ for upgrades of running instances.`);
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const b = describe(
      acceptChecks(tfName(new S3Bucket(stack, 'bucket', { bucketPrefix: prefix.stringValue, tags: tags.value, lifecycle: { preventDestroy: plan.etcd.preventDestroy } }), 'this'), 'CKV_AWS_18', 'CKV2_AWS_62', 'CKV_AWS_144'),
      `Addon manifests and etcd backups${plan.etcd.preventDestroy ? '; no plan may destroy it (etcd.preventDestroy)' : ''}.`,
    );
    tfName(new S3BucketPublicAccessBlock(stack, 'public_access', { bucket: b.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }), 'this');
    tfName(new S3BucketOwnershipControls(stack, 'ownership', { bucket: b.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }), 'this');
    const versioning = tfName(new S3BucketVersioning(stack, 'versioning', { bucket: b.id, versioningConfiguration: { status: 'Enabled' } }), 'this');
    tfName(
      new S3BucketServerSideEncryptionConfiguration(stack, 'encryption', {
        bucket: b.id,
        // A bucket key: one KMS call per bucket key period instead of one per object.
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: kmsKey.stringValue }, bucketKeyEnabled: true }],
      }),
      'this',
    );
    describe(
      tfName(
        new S3BucketLifecycleConfiguration(stack, 'lifecycle', {
          bucket: b.id,
          rule: [
            {
              id: 'etcd-backups',
              status: 'Enabled',
              filter: [{ prefix: BACKUP_PREFIX }],
              expiration: [{ days: retention.numberValue }],
              noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_DAYS }],
              abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
            },
            // Parts of an upload that never completed cost storage and hold data nobody can read back.
            { id: 'incomplete-uploads', status: 'Enabled', filter: [{ prefix: '' }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
          ],
          // Rules on noncurrent versions need versioning in place first.
          dependsOn: [versioning],
        }),
        'this',
      ),
      `Snapshots expire after backup_retention_days; a deleted or overwritten one stays recoverable for ${NONCURRENT_DAYS} days.`,
    );
    const partition = new DataAwsPartition(stack, 'current', {});
    const account = tfName(new DataAwsCallerIdentity(stack, 'current_account', {}), 'current');
    const backupReaders = [`arn:${partition.partition}:iam::${account.accountId}:role/${mastersRole.stringValue}`, ...(breakGlass ? [breakGlass.stringValue] : [])];
    const policy = new DataAwsIamPolicyDocument(stack, 'bucket_policy', {
      statement: [
        {
          sid: 'TlsOnly',
          effect: 'Deny',
          actions: ['s3:*'],
          principals: [{ type: '*', identifiers: ['*'] }],
          resources: [b.arn, `${b.arn}/*`],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
        {
          // The snapshots hold every Secret of the cluster: no other principal of the account, whatever
          // its IAM policies allow, reads, writes or deletes them (a role is matched by ARN: a deny
          // naming it as principal would need it to exist first).
          sid: 'BackupsOnlyMastersAndBreakGlass',
          effect: 'Deny',
          actions: ['s3:*'],
          principals: [{ type: '*', identifiers: ['*'] }],
          resources: [`${b.arn}/${BACKUP_PREFIX}*`],
          condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: backupReaders }],
        },
      ],
    });
    tfName(new S3BucketPolicy(stack, 'policy', { bucket: b.id, policy: policy.json }), 'this');

    const files = TerraformIterator.fromList(Fn.fileset(addonsDir.stringValue, '**'));
    describe(
      tfName(
        new S3Object(stack, 'addons', {
          forEach: files,
          bucket: b.id,
          key: `${ADDONS_DIR}/${files.value}`,
          source: `${addonsDir.stringValue}/${files.value}`,
          sourceHash: Fn.filemd5(`${addonsDir.stringValue}/${files.value}`),
        }),
        'addons',
      ),
      'The addon manifests, applied by the masters after kubeadm.',
    );
    const scripts = TerraformIterator.fromList(Fn.fileset(userdataDir.stringValue, '*.sh'));
    describe(
      tfName(
        new S3Object(stack, 'boot', {
          forEach: scripts,
          bucket: b.id,
          key: `${BOOT_PREFIX}/${scripts.value}`,
          source: `${userdataDir.stringValue}/${scripts.value}`,
          sourceHash: Fn.filemd5(`${userdataDir.stringValue}/${scripts.value}`),
        }),
        'boot',
      ),
      'The boot scripts of this generation: an upgrade runs them on the running instances (the runbook in README.md).',
    );
    describe(
      tfName(new SsmParameter(stack, 'name', { name: `${parameterPath.stringValue}/${BUCKET_PARAMETER}`, type: 'SecureString', keyId: kmsKey.stringValue, value: b.id, tags: tags.value }), 'bucket'),
      'Where the boot scripts find the bucket: its name has a unique suffix.',
    );
    output(stack, BucketOutputs.id, b.id, 'Name of the cluster bucket.');
    output(stack, BucketOutputs.arn, b.arn, 'ARN of the cluster bucket.');
    return [{ dir: DIR, stack, summary: 'The cluster bucket: addon manifests and etcd backups, private, versioned, encrypted.' }];
  },

  wire(ctx) {
    const { plan } = ctx;
    callModule(ctx, BUCKET_MODULE, DIR, {
      bucket_prefix: bucketPrefix(plan.name),
      parameter_path: plan.parameterPath,
      backup_retention_days: plan.etcd.backupRetentionDays,
      kms_key_arn: moduleNamed(ctx, KMS_MODULE).get(KmsOutputs.keyArn),
      masters_role_name: plan.roles.masters,
      ...(plan.kms.breakGlassRoleArn ? { break_glass_role_arn: plan.kms.breakGlassRoleArn } : {}),
      addons_dir: `\${path.module}/${ADDONS_DIR}`,
      userdata_dir: `\${path.module}/${dirname(userDataPath.master)}`,
      tags: ctx.shared.tags,
    });
  },
};
