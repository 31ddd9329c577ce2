import type { Construct } from 'constructs';
import { TerraformLocal, TerraformOutput, TerraformStack } from 'cdktn';
import { DataAwsAmi } from '@cdktn/provider-aws/lib/data-aws-ami/index.js';
import { DataAwsSsmParameter } from '@cdktn/provider-aws/lib/data-aws-ssm-parameter/index.js';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider/index.js';
import type { TerraformHclModule } from 'cdktn';
import type { Move } from '../model/guard.js';
import type { ClusterPlan } from '../model/plan.js';
import { ALARMS_MODULE, AlarmsOutputs } from './alarms.js';
import { API_MODULE, ApiOutputs } from './api.js';
import { BUCKET_MODULE, BucketOutputs } from './bucket.js';
import { AWS_PROVIDER, describe, type Generator, literalTags, type ModuleSource, moduleNamed, type RootContext, TERRAFORM_REQUIRED_VERSION } from './context.js';
import { DNS_MODULE, DnsOutputs } from './dns.js';
import { Moved, removedBlocks } from './moved.js';
import { NETWORK_MODULE, NetworkOutputs } from './network.js';
import { SECURITY_MODULE, SecurityOutputs } from './security.js';

/**
 * The root module reads as the cluster's shape: the provider, shared locals, and one module block per
 * concern, per master and per node zone.
 */
export function rootModule(scope: Construct, plan: ClusterPlan, generators: readonly Generator[], moves: readonly Move[] = [], forgotten: readonly string[] = []): ModuleSource {
  const stack = new TerraformStack(scope, 'root');
  stack.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
  // With provider: user, the user's own providers.tf configures it (assume_role, default_tags, ...).
  if (plan.provider === 'generated') new AwsProvider(stack, 'aws', { region: plan.region });
  stack.addOverride('terraform.required_providers.aws', AWS_PROVIDER);

  // One locals block, one comment: cdktn writes every local of a stack into it.
  const tags = describe(
    new TerraformLocal(stack, 'tags', literalTags(plan.tags)),
    'Tags on every resource (the cluster tags let masters find their own volumes), and the etcd volumes of every master.',
  );
  const etcdVolume = new TerraformLocal(stack, 'etcd_volume', etcdVolumeSettings(plan));
  const imageId =
    plan.image.kind === 'ami'
      ? plan.image.id
      : describe(new DataAwsSsmParameter(stack, 'image_id', { name: plan.image.parameter }), 'The machine image, resolved from its public SSM parameter at plan time.').value;
  const owners = imageOwners(plan);
  const image = describe(
    new DataAwsAmi(stack, 'image', { filter: [{ name: 'image-id', values: [imageId] }], ...(owners ? { owners } : {}) }),
    `The image itself: its root device name is where the encrypted root volume must be mapped.${owners ? " Canonical's own, whatever the parameter says." : ''}`,
  );

  const ctx: RootContext = { plan, stack, modules: new Map<string, TerraformHclModule>(), shared: { tags: tags.expression, image: { id: image.id, rootDevice: image.rootDeviceName }, etcdVolume: etcdVolume.expression } };
  for (const g of generators) g.wire(ctx);
  rootOutputs(ctx);
  // State moves recorded by earlier generations stay, as terraform advises, so that every copy of the state moves.
  moves.forEach((m, i) => new Moved(stack, `moved_${i}`, m.from, m.to));
  // Stateful resources that left the configuration: terraform forgets them, AWS keeps them.
  return { dir: '', stack, extraHcl: removedBlocks(forgotten), summary: `The ${plan.name} cluster: ${plan.masters.length} masters in ${new Set(plan.masters.map((m) => m.zone)).size} zones.` };
}

function rootOutputs(ctx: RootContext): void {
  const { plan, stack } = ctx;
  const out = (name: string, value: unknown, description: string) => new TerraformOutput(stack, name, { value, description });
  const network = moduleNamed(ctx, NETWORK_MODULE);
  const security = moduleNamed(ctx, SECURITY_MODULE);
  const masters = plan.masters.map((m) => [m.member, moduleNamed(ctx, m.module)] as const);
  out('cluster_name', plan.name, 'Name of the cluster.');
  out('region', plan.region, 'AWS region of the cluster.');
  out('vpc_id', network.get(NetworkOutputs.vpcId), 'ID of the cluster VPC.');
  out('subnet_ids', network.get(NetworkOutputs.subnetIds), 'Subnet of the instances of each zone, by zone.');
  out('etcd_members', masters.map(([, mod]) => mod.get('etcd_member')), 'The etcd members, one per master.');
  out('master_autoscaling_groups', Object.fromEntries(masters.map(([member, mod]) => [member, mod.get('autoscaling_group_name')])), 'Autoscaling group of each master, by etcd member.');
  out('node_autoscaling_groups', Object.fromEntries(plan.nodeGroups.map((g) => [g.module, moduleNamed(ctx, g.module).get('autoscaling_group_name')])), 'Autoscaling groups of the nodes, by module.');
  out(
    'security_group_ids',
    {
      masters: security.get(SecurityOutputs.masters),
      nodes: security.get(SecurityOutputs.nodes),
      api: security.get(SecurityOutputs.api),
      ...(plan.bastion ? { bastion: security.get(SecurityOutputs.bastion) } : {}),
    },
    'Security groups, by role.',
  );
  const host = plan.api.dns ? moduleNamed(ctx, DNS_MODULE).get(DnsOutputs.fqdn) : moduleNamed(ctx, API_MODULE).get(ApiOutputs.dnsName);
  out('cluster_bucket', moduleNamed(ctx, BUCKET_MODULE).get(BucketOutputs.id), 'The cluster bucket: addon manifests and etcd backups (backups/etcd/main/).');
  out('api_endpoint', `https://${host}`, 'URL of the Kubernetes API.');
  if (plan.alarms) out('alarm_topic_arn', moduleNamed(ctx, ALARMS_MODULE).get(AlarmsOutputs.topicArn), 'The SNS topic the alarms notify: subscribe to it (aws sns subscribe --topic-arn ... --protocol email --notification-endpoint ...).');
}

/** Canonical's account per partition (Ubuntu's cloud images documentation): the owner of its public SSM parameters' images. */
const CANONICAL_OWNERS = { aws: '099720109477', 'aws-cn': '837727238323', 'aws-us-gov': '513442679011' } as const;
/** Where Canonical publishes its images' ids in SSM, in every partition. */
const CANONICAL_PARAMETERS = '/aws/service/canonical/';

/**
 * An image found through Canonical's public parameter must be Canonical's: a parameter is a pointer,
 * and the owner check keeps a wrong one from booting an AMI of anyone else. An AMI id the YAML names,
 * or a parameter of the user's, is theirs to vouch for: no owner is assumed.
 */
function imageOwners(plan: ClusterPlan): string[] | undefined {
  if (plan.image.kind !== 'ssm' || !plan.image.parameter.startsWith(CANONICAL_PARAMETERS)) return undefined;
  const partition = plan.region.startsWith('cn-') ? 'aws-cn' : plan.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return [CANONICAL_OWNERS[partition]];
}

/** The etcd volumes' settings, the same for every master. */
function etcdVolumeSettings(plan: ClusterPlan): Record<string, unknown> {
  const e = plan.etcd;
  return {
    size: e.volumeSize,
    type: e.volumeType,
    ...(e.volumeIops !== undefined ? { iops: e.volumeIops } : {}),
    ...(e.volumeThroughput !== undefined ? { throughput: e.volumeThroughput } : {}),
    ...(e.kmsKeyId ? { kms_key_id: e.kmsKeyId } : {}),
  };
}
