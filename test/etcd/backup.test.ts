import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { MEMBER_TAG } from '../../src/model/names.js';
import { buildPlan } from '../../src/model/plan.js';
import { loadClusterFile } from '../../src/spec/index.js';
import { type Emulator, emulatorOrSkip, startEmulator } from '../emulator/emulator.js';
import { Drill, drillOrSkip, type Host, type Member } from './drill.js';

/**
 * etcd backups of seed example 1, end to end: the rendered master.sh's own functions pick the leader,
 * snapshot its real etcd, upload the snapshot to the cluster bucket in the emulator's S3, and, after
 * every member has lost its data, restore each member from the bucket with the initial cluster read
 * from the member interfaces' tags. etcd's own answers say whether the keys came back.
 */
const FIXTURE = 'fixtures/examples/public.yaml';
const ready = drillOrSkip('the etcd backup drill') && emulatorOrSkip('the etcd backup drill');

describe.skipIf(!ready).sequential('etcd backup and restore: real etcd, the emulator\'s S3', () => {
  const spec = loadClusterFile(FIXTURE).spec!;
  const plan = buildPlan(spec);
  let d: Drill;
  let emu: Emulator;
  const members: Member[] = [];
  const hosts: Host[] = [];
  let key = '';
  const region = plan.region;
  /** The script's functions as a master would run them, with the member it is and the emulator's AWS. */
  const asMember = (h: Host, code: string, opts: { inNetwork?: boolean; allowFail?: boolean } = {}) =>
    d.bootFn(h, `MEMBER=${h.member.name}; MEMBER_IP=${h.member.ip}; NODE_NAME=$(member_node_name ${h.member.ip})\n${code}`, { ...opts, env: emu.env });

  beforeAll(async () => {
    const script = (await generateFiles(spec)).find((f) => f.path === 'userdata/master.sh')!.content;
    d = new Drill(mkdtempSync(join(tmpdir(), 'haform-backup-')), script, 115);
    emu = await startEmulator();
    // What terraform apply leaves: the bucket, its name in SSM, the member interfaces with their tags.
    const bucket = 'hacluster-example-com-backups';
    await emu.aws(region, ['s3api', 'create-bucket', '--bucket', bucket, '--create-bucket-configuration', `LocationConstraint=${region}`]);
    await emu.aws(region, ['s3api', 'put-bucket-versioning', '--bucket', bucket, '--versioning-configuration', 'Status=Enabled']);
    await emu.aws(region, ['ssm', 'put-parameter', '--type', 'String', '--name', `${plan.parameterPath}/cluster/bucket`, '--value', bucket]);
    const vpc = (await emu.aws(region, ['ec2', 'create-vpc', '--cidr-block', d.subnet])).Vpc.VpcId;
    const subnet = (await emu.aws(region, ['ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', d.subnet, '--availability-zone', `${region}a`])).Subnet.SubnetId;
    plan.masters.forEach((m, i) => members.push(d.memberOf(m.member, m.zone, i)));
    // A member is current while its autoscaling group exists; a removed member's interface stays
    // (Terraform's removed blocks) and must not come back as a phantom member of the restore.
    await emu.aws(region, ['autoscaling', 'create-launch-configuration', '--launch-configuration-name', 'masters', '--image-id', 'ami-03cf127a', '--instance-type', 't3.medium']);
    for (const m of members) {
      await emu.aws(region, [
        'autoscaling', 'create-auto-scaling-group', '--auto-scaling-group-name', `master-${m.name}`, '--launch-configuration-name', 'masters',
        '--min-size', '0', '--max-size', '0', '--availability-zones', `${region}a`,
        '--tags', `Key=${MEMBER_TAG},Value=${m.name},PropagateAtLaunch=true`, `Key=KubernetesCluster,Value=${plan.name},PropagateAtLaunch=true`,
      ]);
    }
    await emu.aws(region, [
      'ec2', 'create-network-interface', '--subnet-id', subnet, '--private-ip-address', `10.${d.net}.2.99`,
      '--tag-specifications', `ResourceType=network-interface,Tags=[{Key=${MEMBER_TAG},Value=removed},{Key=KubernetesCluster,Value=${plan.name}}]`,
    ]);
    for (const m of members) {
      await emu.aws(region, [
        'ec2', 'create-network-interface', '--subnet-id', subnet, '--private-ip-address', m.ip,
        '--tag-specifications', `ResourceType=network-interface,Tags=[{Key=${MEMBER_TAG},Value=${m.name}},{Key=KubernetesCluster,Value=${plan.name}}]`,
      ]);
      const h = d.launch(m);
      d.attachVolume(h);
      d.mountVolume(h);
      d.memberRoutes(h);
      hosts.push(h);
    }
    for (const h of hosts) d.start(h, { initial: members, state: 'new' });
    for (const h of hosts) if (!(await d.healthy(h))) throw new Error(`${h.member.name} did not start:\n${d.log(h)}`);
  }, 120_000);
  afterAll(async () => {
    await d?.teardown();
    await emu?.stop();
  });

  it('only the leader backs up: etcd_is_leader holds on exactly one member, the one etcd says leads', () => {
    const answers = hosts.map((h) => asMember(h, 'etcd_is_leader', { inNetwork: true, allowFail: true }));
    const leaders = hosts.filter((_, i) => answers[i]!.code === 0);
    expect(leaders.map((h) => h.member.name), answers.map((a) => a.out).join('\n')).toHaveLength(1);
    const status = d.etcdctl(leaders[0]!, ['endpoint', 'status', '-w', 'json']).out;
    const s = JSON.parse(status.slice(status.indexOf('[')))[0].Status;
    expect(s.leader).toBe(s.header.member_id);
  });

  it('the leader\'s snapshot goes to backups/etcd/main/ in the cluster bucket', () => {
    for (let i = 0; i < 50; i++) expect(d.etcdctl(hosts[0]!, ['put', `/registry/drill/k${i}`, `v${i}`]).code).toBe(0);
    const leader = hosts.find((h) => asMember(h, 'etcd_is_leader', { inNetwork: true, allowFail: true }).code === 0)!;
    mkdirSync(join(leader.root, 'var/lib/haform'), { recursive: true });
    const file = join(leader.root, 'var/lib/haform/etcd-snapshot.db');
    asMember(leader, `etcd_snapshot ${file}`, { inNetwork: true });
    // Uploads leave from the host's network, where the emulator listens.
    key = asMember(leader, `upload_snapshot ${file}`).out.trim().split('\n').at(-1)!;
    expect(key).toMatch(new RegExp(`^backups/etcd/main/\\d{4}-\\d\\d-\\d\\dT\\d{6}Z-${leader.member.name}\\.db$`));
  });

  it('every member\'s data lost; each restored from the bucket: one cluster of three, the keys are back', async () => {
    expect(key).not.toBe('');
    for (const h of hosts) {
      await d.stop(h);
      // The runbook stops etcd by moving its static pod manifest away.
      mkdirSync(join(h.root, 'etc/kubernetes'), { recursive: true });
      writeFileSync(join(h.root, 'etc/kubernetes/etcd.yaml.stopped'), 'spec:\n  containers:\n  - image: registry.k8s.io/etcd:3.5.15-0\n');
    }
    for (const h of hosts) d.bootFn(h, `rm -rf "\${ROOT}\${ETCD_DATA}"`);
    for (const h of hosts) {
      const r = asMember(h, `restore_etcd ${key}`);
      expect(r.out).toContain(`member ${h.member.name} restored`);
    }
    for (const h of hosts) d.start(h, { initial: members, state: 'existing' });
    for (const h of hosts) expect(await d.healthy(h), d.log(h)).toBe(true);
    expect(d.memberList(hosts[0]!).map((m) => m.name)).toEqual([...members].sort((a, b) => a.ip.localeCompare(b.ip)).map((m) => m.nodeName));
    for (const h of hosts) expect(d.etcdctl(h, ['get', '/registry/drill/k49', '--print-value-only']).out.trim()).toBe('v49');
    const keys = d.etcdctl(hosts[2]!, ['get', '/registry/drill/', '--prefix', '--keys-only']).out.split('\n').filter(Boolean);
    expect(keys).toHaveLength(50);
  });
});
