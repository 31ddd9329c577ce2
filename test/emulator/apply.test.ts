import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBootDirs } from '../bootstrap/simulator.js';
import { haform } from '../cli/run.js';
import { findTerraform, REQUIRE_TERRAFORM } from '../terraform/harness.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { legacyMoves } from '../../src/model/layout-moves.js';
import type { ClusterPlan } from '../../src/model/plan.js';
import { apply, bootCluster, type Change, cloudViolations, emulatorYaml, init, masterViolations, moveStateBack, networkViolations, PLAN_JSON, planChanges, planOf } from './cluster.js';
import { type Emulator, emulatorOrSkip, startEmulator, writeEmulatorOverride } from './emulator.js';

/**
 * `terraform apply` of the generated output against moto, one emulator for the file, the clusters
 * side by side (the time is the provider's waits, not CPU). Then the AWS state is read back the way
 * the boot scripts read it, and a second plan must find nothing to do.
 */
const { tf, missing } = findTerraform();
if (!tf && REQUIRE_TERRAFORM) throw new Error(`emulator apply tests cannot run: ${missing} (HAFORM_REQUIRE_TERRAFORM=1)`);
if (!tf) console.warn(`\n!!! SKIPPING the emulator apply tests: ${missing}.\n`);
const ready = !!tf && emulatorOrSkip('the emulator apply tests');

// One scenario alone takes about 6.5 minutes (examples/public: apply, three relayout plans, every
// master booted); under the whole suite on 2 cores, seven side by side beside the etcd and
// Kubernetes drills, the three with relayout plans went past 20 (at d3f4757). A bound, not a speed.
const APPLY_TIMEOUT = 35 * 60_000;
const work = mkdtempSync(join(tmpdir(), 'haform-emu-'));
let emu: Emulator;
beforeAll(async () => {
  if (ready) emu = await startEmulator();
});
afterAll(async () => {
  removeBootDirs();
  await emu?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Changes a second plan shows only because moto differs from AWS (none at the moment). */
const EMULATOR_DRIFT: readonly RegExp[] = [];
const realChanges = (changes: Change[]) => changes.filter((c) => !EMULATOR_DRIFT.some((re) => re.test(c.address)));

/**
 * The scenarios whose masters and a node are also booted on the applied state. The boot reads
 * what the masters' groups, tags, volumes, interfaces and SSM hold, which the topology and the
 * network's owner do not change: one master per zone (public), several in one zone (same-az), and
 * five joining in turn under the lock (large). The others' boots would repeat public's, each
 * boot dozens of AWS CLI calls on a machine whose two cores the suite already keeps busy.
 */
const BOOTED = ['examples/public', 'examples/same-az', 'valid/large'];

/** The scenarios whose state is also taken back to the per-zone network layout of haform before for_each. */
const RELAYOUT = ['examples/private', 'valid/existing-vpc', 'valid/existing-subnets'];

/**
 * Upgrade from the per-zone network layout on real state: the state and manifest as an earlier
 * haform left them, the regeneration adds moved blocks, and terraform then plans nothing: no NAT
 * gateway, address, route, subnet or tag replaced.
 */
async function relayout(out: string, yaml: string, plan: ClusterPlan): Promise<void> {
  const moves = legacyMoves(plan);
  expect(moveStateBack(out, moves)).toBe(moves.length);
  // Without the moved blocks terraform would destroy every one of them and create it anew (and with
  // the subnets, the masters' member interfaces: their etcd peer addresses).
  const without = await planChanges(tf!, out);
  expect(without.filter((c) => c.actions.includes('delete')).map((c) => c.address)).toEqual(expect.arrayContaining(moves.map((m) => m.from)));
  const manifest = join(out, '.haform-manifest.json');
  const { layout: _layout, ...earlier } = JSON.parse(readFileSync(manifest, 'utf8'));
  writeFileSync(manifest, JSON.stringify(earlier));
  const g = haform(['generate', yaml, '--out', out]);
  expect(g.exitCode, g.stderr).toBe(0);
  expect(g.stdout).toContain(`${moves.length} moved blocks move their resources in the state`);
  expect(realChanges(await planChanges(tf!, out))).toEqual([]);
}

async function generateAndApply(fixture: string, dir: string): Promise<string> {
  const yaml = await emulatorYaml(emu, fixture, join(work, `${dir}.yaml`));
  const out = join(work, dir);
  const g = haform(['generate', yaml, '--out', out]);
  expect(g.exitCode, g.stderr).toBe(0);
  writeEmulatorOverride(out, emu.url);
  await init(tf!, out);
  await apply(tf!, out);
  return yaml;
}

describe.skipIf(!ready).concurrent('terraform apply against the AWS API emulator', () => {
  it.each(['examples/public', 'examples/private', 'examples/same-az', 'valid/large', 'valid/existing-vpc', 'valid/existing-subnets'])(
    '%s: applies; every master is one instance in its zone with its volumes and interface; a second plan is empty',
    async (fixture) => {
      const out = join(work, fixture.replace('/', '-'));
      const yaml = await generateAndApply(`fixtures/${fixture}.yaml`, fixture.replace('/', '-'));
      const plan = planOf(yaml);
      expect(await masterViolations(emu, plan)).toEqual([]);
      const addons = readdirSync(join(out, 'addons'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(out, join(e.parentPath, e.name)));
      expect(await cloudViolations(emu, plan, addons)).toEqual([]);
      // In the user's own VPC (created first, outside haform): used, never duplicated.
      if (plan.network.existingVpc) expect(await networkViolations(emu, plan)).toEqual([]);
      const again = realChanges(await planChanges(tf!, out));
      expect(again).toEqual([]);
      if (RELAYOUT.includes(fixture)) await relayout(out, yaml, plan);
      if (!BOOTED.includes(fixture)) return;

      // The boot scripts on this state: every master comes up, the first inits, the others join.
      const scripts = { master: readFileSync(join(out, 'userdata/master.sh'), 'utf8'), node: readFileSync(join(out, 'userdata/node.sh'), 'utf8') };
      const { masters, node } = await bootCluster(emu, plan, scripts);
      for (const b of masters) expect(b.code, `master ${b.member}:\n${b.stderr}`).toBe(0);
      expect(masters.map((b) => b.member)).toEqual(plan.masters.map((m) => m.member));
      expect(masters[0]!.stderr).toContain('first boot of the cluster: kubeadm init');
      for (const b of masters.slice(1)) expect(b.stderr).toContain(`joining the control plane as new etcd member ${b.member}`);
      expect(node.code, node.stderr).toBe(0);
      expect(node.stderr).toContain('node is up');
      // What the boots left in AWS: interfaces and volumes attached to their instances, the
      // material, the marker and the cluster's Kubernetes version (for joining masters and nodes) in
      // SSM, the join lock released.
      expect(await masterViolations(emu, plan, { booted: true })).toEqual([]);
      const stored: { Name: string; Type: string }[] = (await emu.aws(plan.region, ['ssm', 'get-parameters-by-path', '--path', plan.parameterPath, '--recursive'])).Parameters;
      const params = stored.map((p) => p.Name.slice(plan.parameterPath.length + 1)).sort();
      expect(params).toEqual(['cluster/bucket', 'control-plane/certificate-key', 'control-plane/initialized', 'control-plane/join-endpoint', 'control-plane/kubernetes-version', 'control-plane/secrets-encryption-key', 'node/api-endpoint', 'node/ca-cert-hash', 'node/kubernetes-version', 'node/token']);
      // The key that encrypts Secrets in etcd, like the join material, is never a plain String.
      for (const p of stored.filter((p) => /certificate-key|secrets-encryption-key|node\/token/.test(p.Name))) expect(p.Type, p.Name).toBe('SecureString');
    },
    APPLY_TIMEOUT,
  );

  it(
    'day 2 on real state: 1 -> 3 -> 5 masters, then a zone added; nothing destroyed or replaced',
    async () => {
      const out = join(work, 'day2');
      mkdirSync(out, { recursive: true });
      let yaml = await generateAndApply('fixtures/day2/one-master.yaml', 'day2');
      for (const next of ['three-masters', 'five-masters', 'five-masters-four-zones']) {
        yaml = await emulatorYaml(emu, `fixtures/day2/${next}.yaml`, join(work, `day2.yaml`));
        const g = haform(['generate', yaml, '--out', out]);
        expect(g.exitCode, `${next}: ${g.stderr}`).toBe(0);
        await init(tf!, out);
        const changes = await planChanges(tf!, out);
        const destructive = changes.filter((c) => c.actions.includes('delete'));
        expect(destructive.map((c) => `${c.address}: ${c.actions.join('+')}`), next).toEqual([]);
        expect(changes.some((c) => c.actions.includes('create')), next).toBe(true);
        // Growth and a new zone pass the quorum guard as they are.
        const check = planCheck(out);
        expect(check.exitCode, `${next}: ${check.stderr}`).toBe(0);
        expect(check.stdout).toContain('safe to apply in one run');
        await apply(tf!, out);
        expect(await masterViolations(emu, planOf(yaml)), next).toEqual([]);
      }
      expect(realChanges(await planChanges(tf!, out))).toEqual([]);

      // 5 -> 3 masters (after removing members a2 and b2 from etcd): their groups go, their volumes
      // and interfaces are forgotten by terraform and stay in AWS.
      yaml = await emulatorYaml(emu, 'fixtures/day2/four-zones.yaml', join(work, 'day2.yaml'));
      const refusedGenerate = haform(['generate', yaml, '--out', out]);
      expect(refusedGenerate.exitCode, refusedGenerate.stderr).toBe(1);
      const g = haform(['generate', yaml, '--out', out, '--allow-destroy']);
      expect(g.exitCode, g.stderr).toBe(0);
      const shrink = await planChanges(tf!, out);
      const stateful = /aws_ebs_volume|aws_network_interface/;
      expect(shrink.filter((c) => stateful.test(c.address) && c.actions.includes('delete')).map((c) => c.address)).toEqual([]);
      expect(shrink.filter((c) => c.actions.includes('forget')).map((c) => c.address).sort()).toEqual(
        ['a2', 'b2'].flatMap((m) => [`module.master_${m}.aws_ebs_volume.etcd_events`, `module.master_${m}.aws_ebs_volume.etcd_main`, `module.master_${m}.aws_network_interface.member`]),
      );
      // The quorum guard: two masters' groups go in one apply, so it refuses and says the order,
      // --allow-destroy or not (no member's data is destroyed: it is forgotten, and said so).
      for (const extra of [[], ['--allow-destroy']]) {
        const refused = planCheck(out, '--format', 'json', ...extra);
        expect(refused.exitCode, refused.stdout + refused.stderr).toBe(1);
        const doc = JSON.parse(refused.stdout) as { refusals: string[]; notes: string[]; masters: Record<string, { removed: boolean; stateLost: string[]; forgotten: string[] }> };
        expect(doc.refusals).toHaveLength(1);
        expect(doc.refusals[0]).toContain('replaces or destroys 2 masters in one apply');
        expect(doc.refusals[0]).toContain('terraform apply -target=module.master_a2, then terraform apply -target=module.master_b2');
        expect(Object.entries(doc.masters).filter(([, c]) => c.removed).map(([m]) => m).sort()).toEqual(['a2', 'b2']);
        expect(Object.values(doc.masters).flatMap((c) => c.stateLost)).toEqual([]);
        expect(Object.values(doc.masters).flatMap((c) => c.forgotten)).toHaveLength(6);
      }
      await apply(tf!, out);
      for (const m of ['a2', 'b2']) {
        const vols = (await emu.aws('us-east-1', ['ec2', 'describe-volumes', '--filters', `Name=tag:haform.io/etcd-member,Values=${m}`, 'Name=tag:KubernetesCluster,Values=day2.k8s.local'])).Volumes;
        expect(vols.length, `volumes of ${m} kept`).toBe(2);
      }
      expect(realChanges(await planChanges(tf!, out))).toEqual([]);

      // A bigger instance type for every master: five launch templates change in place, no instance
      // goes (the masters keep theirs until replaced, one at a time): safe, with that note.
      const bigger = join(work, 'day2-bigger.yaml');
      writeFileSync(bigger, readFileSync(yaml, 'utf8').replace(/^spec:$/m, 'spec:\n  masterSize: m6i.xlarge'));
      expect(haform(['generate', bigger, '--out', out]).exitCode).toBe(0);
      const resized = await planChanges(tf!, out);
      expect(resized.filter((c) => c.actions.includes('delete')).map((c) => c.address)).toEqual([]);
      const retemplated = planCheck(out);
      expect(retemplated.exitCode, retemplated.stderr).toBe(0);
      expect(retemplated.stdout).toMatch(/the launch templates of 3 master\(s\) change in place \(a, b, c\): the running instances keep theirs until replaced; replace them one at a time/);

      // A zone without masters taken away (us-east-1d): its subnet goes, no master's, so generate
      // and the quorum guard both pass it. The API's load balancers leave the zone, which an NLB
      // cannot: they are replaced, and the guard says what that costs.
      yaml = await emulatorYaml(emu, 'fixtures/day2/three-masters.yaml', join(work, 'day2.yaml'));
      const zoneRemoved = haform(['generate', yaml, '--out', out]);
      expect(zoneRemoved.exitCode, zoneRemoved.stderr).toBe(0);
      const zoneGone = await planChanges(tf!, out);
      const gone = zoneGone.filter((c) => c.actions.includes('delete')).map((c) => c.address);
      expect(gone.filter((a) => /aws_subnet|aws_ebs_volume|aws_network_interface|aws_autoscaling_group|aws_launch_template/.test(a))).toEqual(['module.network.aws_subnet.public["us-east-1d"]']);
      const fewerZones = planCheck(out);
      expect(fewerZones.exitCode, fewerZones.stderr).toBe(0);
      for (const lb of gone.filter((a) => a.endsWith('aws_lb.api'))) expect(fewerZones.stdout).toContain(`${lb} (replaced)`);
      expect(fewerZones.stdout).toContain('the API is unreachable through it');

      // The same plan with a master's subnet replaced in it: what the guard must refuse without
      // --allow-destroy, naming the master.
      const doc = JSON.parse(readFileSync(join(out, PLAN_JSON), 'utf8')) as { resource_changes: { address: string; type: string; change: { actions: string[]; before: Record<string, unknown> | null } }[] };
      const eni = doc.resource_changes.find((rc) => rc.address === 'module.master_a.aws_network_interface.member')!;
      const subnet = doc.resource_changes.find((rc) => rc.type === 'aws_subnet' && rc.change.before?.id === eni.change.before!.subnet_id)!;
      subnet.change.actions = ['delete', 'create'];
      writeFileSync(join(out, PLAN_JSON), JSON.stringify(doc));
      const subnetGone = planCheck(out);
      expect(subnetGone.exitCode).toBe(1);
      expect(subnetGone.stderr).toContain(`${subnet.address} (replaced): the subnet of master a`);
      expect(planCheck(out, '--allow-destroy').exitCode).toBe(0);
    },
    APPLY_TIMEOUT,
  );
});

/** haform plan-check on the plan planChanges last made in OUT. */
const planCheck = (out: string, ...args: string[]) => haform(['plan-check', join(out, PLAN_JSON), ...args]);
