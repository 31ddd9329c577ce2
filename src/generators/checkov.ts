import type { IConstruct } from 'constructs';

/**
 * The checkov checks haform's output accepts, each with the reason written into the generated HCL as
 * checkov's own inline skip (`#checkov:skip=ID:reason`) on the blocks it concerns, and listed in the
 * README. Every other check passes on every fixture (test/generate/checkov.test.ts).
 */
export const ACCEPTED_CHECKS = {
  // A key policy's Resource "*" is the key itself; who may use it is each statement's principal and conditions.
  CKV_AWS_109: 'a key policy applies to its own key only: "*" is this key, and each statement names its principal and conditions',
  CKV_AWS_111: 'a key policy applies to its own key only: "*" is this key, and each statement names its principal and conditions',
  CKV_AWS_356: 'a key policy applies to its own key only: "*" is this key, and each statement names its principal and conditions',
  // checkov reads cidr_ipv4 only, and takes a rule from a security group for one from anywhere.
  CKV_AWS_24: 'the source is a security group of the cluster (referenced_security_group_id), not 0.0.0.0/0',
  CKV_AWS_25: 'the source is a security group of the cluster (referenced_security_group_id), not 0.0.0.0/0',
  CKV_AWS_260: 'the source is a security group of the cluster (referenced_security_group_id), not 0.0.0.0/0',
  CKV2_AWS_5: 'attached in other modules (launch templates, the load balancer), which checkov does not follow',
  CKV_AWS_189: 'encrypted with etcd.kmsKeyId, else the account\'s EBS key: a new default key would replace every etcd volume of existing clusters',
  CKV_AWS_88: 'public topology and the bastion: instances in public subnets have public addresses by design',
  CKV_AWS_91: 'a network load balancer writes access logs for TLS listeners only; this one passes TCP through to the API servers',
  CKV_AWS_150: 'the API load balancer holds no state and a plan recreates it; deletion protection would make terraform destroy of a cluster fail',
  CKV_AWS_18: 'access logs would need a second bucket of their own; CloudTrail data events are the account\'s audit of object access',
  CKV2_AWS_62: 'nothing consumes the bucket\'s events: the masters read it on their own schedule',
  CKV_AWS_144: 'etcd backups belong to a cluster of one region; a replica elsewhere is a decision for the account, not the cluster',
} as const;

export type AcceptedCheck = keyof typeof ACCEPTED_CHECKS;

const skips = new WeakMap<IConstruct, AcceptedCheck[]>();

/** Marks the construct's block with checkov's inline skip of these checks, with their reasons. */
export function acceptChecks<T extends IConstruct>(construct: T, ...ids: AcceptedCheck[]): T {
  skips.set(construct, [...(skips.get(construct) ?? []), ...ids]);
  return construct;
}

export function acceptedChecksOf(construct: IConstruct): readonly AcceptedCheck[] {
  return skips.get(construct) ?? [];
}

/** The lines checkov reads inside a block. */
export function skipLines(ids: readonly AcceptedCheck[]): string[] {
  return ids.map((id) => `#checkov:skip=${id}:${ACCEPTED_CHECKS[id]}`);
}
