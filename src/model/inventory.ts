import { bucketPrefix, moduleAddress, TF } from './names.js';
import type { ClusterPlan } from './plan.js';

/**
 * The resources whose loss loses the cluster's state: etcd volumes, the VPC, the subnets, the backups. Recorded in
 * the output's manifest so that the next generation can tell what it would destroy or replace.
 */
export interface StatefulResource {
  readonly address: string;
  /** What the resource is, independent of its address: a rename keeps it, a replacement does not. */
  readonly identity: string;
  readonly kind: 'etcd-volume' | 'vpc' | 'subnet' | 'member-interface' | 'backup-bucket';
  /** Attributes that force replacement when they change (sizes: a decrease cannot be applied). */
  readonly attributes: Readonly<Record<string, string | number | boolean | null>>;
  /** etcd members whose instances run in this subnet. */
  readonly holdsMasters?: readonly string[];
}

export function statefulInventory(plan: ClusterPlan): StatefulResource[] {
  const net = TF.networkModule;
  // The user's own VPC and subnets are looked up, not managed: nothing of theirs to destroy.
  const out: StatefulResource[] = plan.network.existingVpc ? [] : [{ address: moduleAddress(net, 'aws_vpc', TF.vpc), identity: `vpc/${plan.name}`, kind: 'vpc', attributes: { cidr_block: plan.network.cidr } }];
  for (const z of plan.network.zones) {
    const masters = plan.masters.filter((m) => m.zone === z.zone).map((m) => m.member);
    if (z.subnet.existingId) continue;
    out.push({
      address: moduleAddress(net, 'aws_subnet', TF.subnet(z.zone, plan.topology)),
      identity: `subnet/${z.zone}`,
      kind: 'subnet',
      attributes: { availability_zone: z.zone, cidr_block: z.subnet.cidr, role: plan.topology === 'private' ? 'private' : 'public' },
      holdsMasters: masters,
    });
    if (z.utility) {
      out.push({
        address: moduleAddress(net, 'aws_subnet', TF.utilitySubnet(z.zone)),
        identity: `utility-subnet/${z.zone}`,
        kind: 'subnet',
        attributes: { availability_zone: z.zone, cidr_block: z.utility.cidr, role: 'utility' },
      });
    }
  }
  // The etcd backups: bucket_prefix forces a new bucket, and the old one goes with its snapshots.
  out.push({ address: moduleAddress('bucket', 'aws_s3_bucket', 'this'), identity: 'backup-bucket', kind: 'backup-bucket', attributes: { bucket_prefix: bucketPrefix(plan.name) } });
  for (const m of plan.masters) {
    // Its private IP is the member's etcd peer address: replacing it breaks the member.
    out.push({
      address: moduleAddress(m.module, 'aws_network_interface', TF.memberInterface),
      identity: `member-interface/${m.member}`,
      kind: 'member-interface',
      attributes: { availability_zone: m.zone },
    });
    for (const kind of ['main', 'events'] as const) {
      out.push({
        address: moduleAddress(m.module, 'aws_ebs_volume', TF.etcdVolume(kind)),
        identity: `etcd-${kind}/${m.member}`,
        kind: 'etcd-volume',
        attributes: {
          availability_zone: m.zone,
          size: plan.etcd.volumeSize,
          type: plan.etcd.volumeType,
          kms_key_id: plan.etcd.kmsKeyId ?? null,
          encrypted: true,
        },
      });
    }
  }
  return out;
}
