/**
 * The quorum guard on a Terraform plan (`terraform show -json PLANFILE`), where ops teams already
 * gate their applies: what the plan does to each master, read from the addresses haform gives them
 * (module.master_<member>), and whether one apply of it keeps etcd's quorum and its data.
 *
 * - Several masters replaced or destroyed in one apply (their autoscaling group, launch template,
 *   etcd volume or member interface): refused, always. kops's rolling-update and Cluster API roll one
 *   master at a time; a plain `terraform apply` would not (kops #5410, #4844).
 * - Any master's etcd volume or member interface destroyed or replaced, or the VPC, a subnet that
 *   holds a master, the bucket of the etcd backups or the KMS key of the cluster's secrets: refused
 *   unless allowDestroy.
 * - Forgotten resources (haform's removed blocks keep a removed member's volumes in AWS) and
 *   launch templates changed in place (the running masters keep theirs until replaced) are notes.
 */

export interface PlanCheck {
  safe: boolean;
  refusals: string[];
  notes: string[];
  /** Per member: what the plan does to its master. */
  masters: Record<string, MasterChange>;
}

export interface MasterChange {
  /** Resources of the master destroyed or replaced: the instance goes, or its etcd identity. */
  disrupted: string[];
  /** State of the member destroyed or replaced: its etcd volumes, its interface (its peer address). */
  stateLost: string[];
  /** Left in AWS, out of Terraform's state. */
  forgotten: string[];
  /** Its launch template changes in place (instance type, image, user data). */
  launchTemplateUpdated: boolean;
  /** Its autoscaling group goes without a new one: the master is removed. */
  removed: boolean;
}

interface ResourceChange {
  address: string;
  type: string;
  change: { actions: string[]; before?: Record<string, unknown> | null };
}

/** The plan's resource changes, or why the document is not a plan's JSON. */
export function resourceChanges(doc: unknown): ResourceChange[] | string {
  const plan = doc as { format_version?: unknown; resource_changes?: unknown; planned_values?: unknown };
  if (typeof plan !== 'object' || plan === null || typeof plan.format_version !== 'string' || !('planned_values' in plan || 'resource_changes' in plan)) {
    return 'not the JSON of a Terraform plan: write it with terraform plan -out=PLANFILE, then terraform show -json PLANFILE > plan.json';
  }
  if (plan.resource_changes === undefined) return [];
  if (!Array.isArray(plan.resource_changes)) return 'resource_changes is not a list: not the JSON of terraform show -json';
  return plan.resource_changes as ResourceChange[];
}

const MASTER = /^module\.master_([a-z0-9_]+)\./;
/** What makes a master an etcd member: its data and its peer address. */
const MEMBER_STATE = new Set(['aws_ebs_volume', 'aws_network_interface']);
/** What runs it: replaced or destroyed, the instance is terminated. */
const INSTANCE = new Set(['aws_autoscaling_group', 'aws_launch_template']);
/** Cluster-wide state: the network the members' addresses live in, the backups, the key of the secrets. */
const CLUSTER_STATE: Record<string, string> = {
  aws_vpc: 'the VPC (every member interface is in it)',
  aws_s3_bucket: 'the bucket of the etcd backups and addons',
  aws_kms_key: "the KMS key of the cluster's SSM secrets and bucket",
};

const destroys = (rc: ResourceChange) => rc.change.actions.includes('delete');
const verb = (rc: ResourceChange) => (rc.change.actions.includes('create') ? 'replaced' : 'destroyed');

export function checkPlan(changes: readonly ResourceChange[], opts: { allowDestroy?: boolean } = {}): PlanCheck {
  const masters: Record<string, MasterChange> = {};
  const master = (m: string) => (masters[m] ??= { disrupted: [], stateLost: [], forgotten: [], launchTemplateUpdated: false, removed: false });
  const clusterState: string[] = [];
  const loadBalancers: string[] = [];
  // The subnets that hold a master: its interface's and its group's, as the state has them.
  const masterSubnets = new Map<string, string>();
  for (const rc of changes) {
    const m = MASTER.exec(rc.address)?.[1];
    const before = rc.change.before ?? {};
    if (!m) continue;
    if (rc.type === 'aws_network_interface' && typeof before.subnet_id === 'string') masterSubnets.set(before.subnet_id, m);
    if (rc.type === 'aws_autoscaling_group' && Array.isArray(before.vpc_zone_identifier)) for (const s of before.vpc_zone_identifier) masterSubnets.set(String(s), m);
  }
  for (const rc of changes) {
    const m = MASTER.exec(rc.address)?.[1];
    const actions = rc.change.actions;
    if (m) {
      const c = master(m);
      if (actions.length === 1 && actions[0] === 'forget') c.forgotten.push(rc.address);
      if (rc.type === 'aws_launch_template' && actions.length === 1 && actions[0] === 'update') c.launchTemplateUpdated = true;
      if (destroys(rc) && (INSTANCE.has(rc.type) || MEMBER_STATE.has(rc.type))) c.disrupted.push(`${rc.address} (${verb(rc)})`);
      if (destroys(rc) && MEMBER_STATE.has(rc.type)) c.stateLost.push(`${rc.address} (${verb(rc)})`);
      if (rc.type === 'aws_autoscaling_group' && actions.length === 1 && actions[0] === 'delete') c.removed = true;
      continue;
    }
    if (!destroys(rc)) continue;
    if (rc.type === 'aws_lb') loadBalancers.push(`${rc.address} (${verb(rc)})`);
    if (CLUSTER_STATE[rc.type]) clusterState.push(`${rc.address} (${verb(rc)}): ${CLUSTER_STATE[rc.type]}`);
    const id = rc.change.before?.id;
    if (rc.type === 'aws_subnet' && typeof id === 'string' && masterSubnets.has(id)) clusterState.push(`${rc.address} (${verb(rc)}): the subnet of master ${masterSubnets.get(id)}`);
  }
  for (const [m, c] of Object.entries(masters)) if (!c.disrupted.length && !c.forgotten.length && !c.launchTemplateUpdated) delete masters[m];

  const refusals: string[] = [];
  const notes: string[] = [];
  const disrupted = Object.entries(masters).filter(([, c]) => c.disrupted.length);
  if (disrupted.length > 1) {
    refusals.push(
      `replaces or destroys ${disrupted.length} masters in one apply (${disrupted.map(([m, c]) => `${m}: ${c.disrupted.join(', ')}`).join('; ')}): ` +
        `etcd keeps quorum only if one member goes at a time. Apply one master per run: ${disrupted.map(([m]) => `terraform apply -target=module.master_${m}`).join(', then ')}, ` +
        `each after the one before is back (its Node Ready, etcdctl endpoint health --cluster), taking members that are not the etcd leader first (etcdctl endpoint status --cluster -w table); then a plain apply for the rest.`,
    );
  }
  const lost = [...Object.values(masters).flatMap((c) => c.stateLost), ...clusterState];
  if (lost.length && !opts.allowDestroy) {
    refusals.push(`destroys or replaces the cluster's state: ${lost.join('; ')}. A member's etcd data or peer address lost is a member to remove and add anew, or a restore from a snapshot; if that is what you mean, run again with --allow-destroy.`);
  }
  for (const [m, c] of Object.entries(masters)) {
    if (c.disrupted.length && !c.removed && disrupted.length === 1) notes.push(`master ${m} is replaced by this apply (${c.disrupted.join(', ')}): apply nothing else until its Node is Ready and etcd healthy again.`);
    if (c.removed) notes.push(`master ${m} is removed: remove member ${m} from etcd before this apply (etcdctl member remove; the runbook in the generated README), or the cluster counts a member that is gone.`);
    if (c.forgotten.length) notes.push(`master ${m}: ${c.forgotten.join(', ')} leave Terraform's state and stay in AWS (removed blocks): delete them by hand once you no longer need them as a way back.`);
  }
  if (loadBalancers.length) {
    // An NLB cannot leave a subnet (a zone taken away): the provider replaces it, and its DNS name.
    notes.push(`${loadBalancers.join(', ')}: the API is unreachable through it from its destruction until the new one is active and its name resolves (minutes); kubelets and clients of api.internal wait and retry. Apply it in a quiet hour.`);
  }
  const retemplated = Object.entries(masters).filter(([, c]) => c.launchTemplateUpdated).map(([m]) => m);
  if (retemplated.length) {
    notes.push(`the launch templates of ${retemplated.length} master(s) change in place (${retemplated.join(', ')}): the running instances keep theirs until replaced; replace them one at a time (terminate one, wait for its Node Ready and etcd healthy, then the next).`);
  }
  return { safe: refusals.length === 0, refusals, notes, masters };
}
