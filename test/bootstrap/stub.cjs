#!/usr/bin/env node
// One stub for every command a boot script runs (aws, kubeadm, mount, ...): it records the call and
// answers from the scenario in $SIM_DIR, keeping what changes (attachments, parameters) in a state
// file, as AWS and the kernel would.
// CommonJS, not an ES module: node starts it in about half the time, and a boot runs it 140 times.
const { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');

const dir = process.env.SIM_DIR;
const root = process.env.HAFORM_ROOT;
const cmd = basename(process.argv[1]);
const args = process.argv.slice(2);
appendFileSync(join(dir, 'calls.jsonl'), `${JSON.stringify({ cmd, args })}\n`);

const stateFile = join(dir, 'state.json');
const before = readFileSync(stateFile, 'utf8');
const state = JSON.parse(before);
// Pipelines run two stubs at once (curl | gpg): write only a changed state, and atomically.
const save = () => {
  const after = JSON.stringify(state, null, 2);
  if (after === JSON.stringify(JSON.parse(before), null, 2)) return;
  writeFileSync(`${stateFile}.${process.pid}`, after);
  renameSync(`${stateFile}.${process.pid}`, stateFile);
};
const out = (text) => process.stdout.write(`${text}\n`);
const fail = (text, code = 1) => {
  process.stderr.write(`${text}\n`);
  save();
  process.exit(code);
};
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
/** The cluster bucket: the addons Terraform uploads, unless the scenario says otherwise. */
const objects = () =>
  state.objects ?? {
    'addons/aws-cloud-controller-manager/kustomization.yaml': 'kind: Kustomization\n',
    'addons/aws-ebs-csi-driver/kustomization.yaml': 'kind: Kustomization\n',
    'addons/aws-ebs-csi-driver/storageclass.yaml': 'kind: StorageClass\n',
    'addons/node-termination-handler/kustomization.yaml': 'kind: Kustomization\n',
    'addons/node-termination-handler/queue.env': 'QUEUE_URL=https://sqs.example/q',
    ...state.bucketObjects,
  };
const volumeByDevice = (device) => Object.values(state.volumes).find((v) => device.endsWith(v.id.replace('-', '')));
const uuidOf = (v) => `uuid-${v.id}`;
/** The volume an fstab line mounts at `target` (mount --fstab FILE TARGET), through its UUID. */
const volumeAt = (fstab, target) => {
  const line = readFileSync(fstab, 'utf8').split('\n').find((l) => l.split(' ')[1] === target);
  return Object.values(state.volumes).find((v) => line?.startsWith(`UUID=${uuidOf(v)} `));
};

switch (cmd) {
  case 'aws': {
    const [service, op] = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').match(/^--(region|output)$/));
    const query = opt('--query') ?? '';
    const zoneFilter = args.find((a) => a.startsWith('Name=availability-zone,Values='))?.split('=').pop();
    const inZone = (x) => x && (!zoneFilter || (x.zone ?? state.homeZone) === zoneFilter);
    if (service === 'ec2' && op === 'describe-tags') {
      out(state.member ?? 'None');
    } else if (service === 'autoscaling' && op === 'describe-auto-scaling-groups') {
      // The member tags of the current members' groups: this one's and the others'.
      if (state.autoscalingDown) fail(`An error occurred (${state.autoscalingDown}) when calling the DescribeAutoScalingGroups operation`, 254);
      out(state.noMemberGroups ? '' : [state.member, ...Object.keys(state.otherMembers ?? {})].filter(Boolean).join('\t'));
    } else if (service === 'ec2' && op === 'describe-network-interfaces') {
      const eni = state.eni;
      const member = args.find((a) => a.startsWith('Name=tag:') && !a.startsWith('Name=tag:KubernetesCluster,'))?.split('=').pop();
      if (args.includes('--filters') && query.includes('PrivateIpAddress')) out(member === state.member ? eni.ip : (state.otherMembers?.[member] ?? 'None'));
      else if (args.includes('--filters')) out(inZone(eni) ? eni.id : 'None');
      else if (query.includes('Status')) {
        if (eni.attachedTo && eni.attachedTo !== state.instanceId && eni.releaseAfter-- <= 0) eni.attachedTo = null;
        out(eni.attachedTo ? `in-use\t${eni.attachedTo}` : 'available\tNone');
      } else if (query.includes('PrivateIpAddress')) out(eni.ip);
      else if (query.includes('MacAddress')) out(eni.mac);
    } else if (service === 'ec2' && op === 'attach-network-interface') {
      if (state.eni.attachedTo && state.eni.attachedTo !== state.instanceId) fail('An error occurred (InvalidParameterValue): interface in use', 254);
      state.eni.attachedTo = opt('--instance-id');
      out('eni-attach-1');
    } else if (service === 'ec2' && op === 'describe-volumes') {
      if (args.includes('--filters')) {
        const kind = args.find((a) => a.startsWith('Name=tag-key,Values=k8s.io/etcd/')).split('/').pop();
        const v = state.volumes[kind];
        out(inZone(v) ? [v.id, ...(v.leftOver ? [v.leftOver] : [])].join('\t') : 'None');
      } else {
        const v = Object.values(state.volumes).find((x) => x.id === opt('--volume-ids'));
        if (query.includes('Attachments')) out(v.attachedTo ?? 'None');
        else {
          if (v.attachedTo && v.attachedTo !== state.instanceId && v.releaseAfter-- <= 0) v.attachedTo = null;
          out(v.attachedTo ? 'in-use' : 'available');
        }
      }
    } else if (service === 'ec2' && op === 'attach-volume') {
      const v = Object.values(state.volumes).find((x) => x.id === opt('--volume-id'));
      if (v.attachedTo && v.attachedTo !== state.instanceId) fail('An error occurred (VolumeInUse)', 254);
      v.attachedTo = opt('--instance-id');
      const dev = join(root, 'dev/disk/by-id', `nvme-Amazon_Elastic_Block_Store_${v.id.replace('-', '')}`);
      mkdirSync(dirname(dev), { recursive: true });
      writeFileSync(dev, '');
      out('attaching');
    } else if (service === 'ssm' && op === 'get-parameter' && opt('--name').endsWith('/cluster/bucket')) {
      // Written by Terraform with the bucket.
      out(state.bucket ?? 'hacluster-bucket-0123');
    } else if (service === 's3api' && op === 'list-objects-v2' && query.includes('LastModified')) {
      // monitor.sh: max_by(Contents, &LastModified).LastModified, as S3 writes it.
      const times = Object.keys(objects()).filter((k) => k.startsWith(opt('--prefix') ?? '')).map((k) => state.writtenAt?.[k] ?? new Date().toISOString());
      out(times.length ? times.sort().at(-1) : 'None');
    } else if (service === 's3api' && op === 'list-objects-v2') {
      const keys = Object.keys(objects()).filter((k) => k.startsWith(opt('--prefix') ?? ''));
      out(keys.length ? keys.join('\t') : 'None');
    } else if (service === 'cloudwatch' && op === 'put-metric-data') {
      const datum = Object.fromEntries(opt('--metric-data').split(',').map((kv) => kv.split('=')));
      state.metrics = [...(state.metrics ?? []), { namespace: opt('--namespace'), name: datum.MetricName, value: Number(datum.Value), unit: datum.Unit }];
    } else if (service === 's3api' && op === 'get-object') {
      const body = objects()[opt('--key')];
      if (body === undefined) fail('An error occurred (NoSuchKey) when calling the GetObject operation', 254);
      writeFileSync(args.at(-1), body);
      out('{}');
    } else if (service === 's3api' && op === 'put-object') {
      state.objects = { ...objects(), [opt('--key')]: readFileSync(opt('--body'), 'utf8') };
    } else if (service === 'ssm' && op === 'get-parameter' && (state.ssmDown || state.ssmErrors?.length)) {
      // SSM failing for a while (ssmErrors, one per call) or for good (ssmDown): throttled, a 5xx,
      // a KMS or IAM error. None of them says "not found".
      fail(`An error occurred (${state.ssmDown ?? state.ssmErrors.shift()}) when calling the GetParameter operation`, 254);
    } else if (service === 'ssm' && op === 'get-parameter') {
      const name = opt('--name');
      // Another master publishes all its material at once, after this many reads here.
      state.reads = (state.reads ?? 0) + 1;
      const late = state.paramsAppearAfter;
      if (late !== undefined && late !== null && state.reads > late) Object.assign(state.params, state.pending);
      if (!(name in state.params)) fail(`An error occurred (ParameterNotFound) when calling the GetParameter operation: ${name}`, 254);
      out(state.params[name]);
    } else if (service === 'ssm' && op === 'put-parameter') {
      const value = opt('--value');
      if (opt('--name') in state.params && !args.includes('--overwrite')) fail('An error occurred (ParameterAlreadyExists)', 254);
      state.params[opt('--name')] = value.startsWith('file://') ? readFileSync(value.slice(7), 'utf8') : value;
    } else if (service === 'ssm' && op === 'delete-parameter') {
      delete state.params[opt('--name')];
    } else if (service === 'elbv2' && op === 'describe-load-balancers') {
      out(`${opt('--names')}-0123456789.elb.${state.region}.amazonaws.com`);
    } else fail(`stub aws: unexpected call ${args.join(' ')}`, 2);
    break;
  }
  case 'curl': {
    const url = args.find((a) => a.startsWith('http'));
    const meta = url.split('/latest/meta-data/')[1];
    // curl -o FILE: the body goes to the file (downloads), else to stdout.
    const file = opt('-o');
    const body = (text) => (file ? writeFileSync(file, `${text}\n`) : out(text));
    if (state.curlFails?.[url.replace(/^https?:\/\/([^/]*).*/, '$1')]) fail(`curl: (7) Failed to connect to ${url}`, 7);
    if (url.endsWith('/latest/api/token')) out('token');
    else if (meta === 'mac') out(state.primaryMac ?? '0a:00:00:00:00:01');
    else if (meta === 'local-ipv4') out(state.primaryIp ?? '172.20.32.99');
    else if (url.endsWith(':2379/v3/cluster/member/list')) {
      // etcd's JSON gateway on the running member: the scenario's members, else just that one.
      const members = state.etcdMembers ?? [{ id: '111', peer: 'https://172.20.64.10:2380' }];
      // In etcd 3.6's form (grpc-gateway v2, measured on 3.6.8): a space after every comma between
      // fields and between members; 3.4's has none.
      const json = JSON.stringify({ header: { cluster_id: '324952591200643719', member_id: '111' }, members: members.map((m) => ({ ID: m.id, name: 'x', peerURLs: [m.peer], clientURLs: [] })) });
      out(json.replace(/,(?=["{])/g, ', '));
    } else if (url.endsWith(':2379/v3/cluster/member/remove')) {
      state.removedMembers = [...(state.removedMembers ?? []), JSON.parse(opt('-d')).ID];
      out('{}');
    }
    else if (meta === 'instance-id') out(state.instanceId);
    else if (meta === 'placement/availability-zone') out(state.zone);
    else if (meta === 'local-hostname') out(`ip-172-20-32-99.${state.region}.compute.internal`);
    else if (meta?.endsWith('/subnet-ipv4-cidr-block')) {
      if (state.eni?.attachedTo !== state.instanceId) process.exit(22);
      out(state.subnetCidr);
    } else if (meta?.endsWith('/vpc-ipv4-cidr-block')) {
      out(state.vpcCidr ?? '172.20.0.0/16');
    } else if (url.includes('pkgs.k8s.io')) body('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    else if (url.startsWith('https://')) body('cluster-pool-ipv4-cidr: "10.0.0.0/8"');
    else fail(`stub curl: unexpected ${url}`, 22);
    break;
  }
  case 'blkid': {
    if (state.blkidFails) process.exit(state.blkidFails);
    const v = volumeByDevice(args.at(-1));
    if (!v?.hasFilesystem) process.exit(2);
    if (args.includes('UUID')) out(uuidOf(v));
    break;
  }
  case 'mkfs.ext4':
    volumeByDevice(args.at(-1)).hasFilesystem = true;
    break;
  case 'mount': {
    const target = args.at(-1);
    const v = volumeAt(opt('--fstab'), target);
    if (v?.hasEtcdData) mkdirSync(join(target, 'data/member'), { recursive: true });
    break;
  }
  case 'ip':
    // ip rule del: nothing to delete on a fresh instance.
    if (args[0] === 'rule' && args[1] === 'del') process.exit(2);
    // ip -o link: the member interface appears once attached.
    if (args[0] === '-o' && args[1] === 'link') out(`2: ens5: <BROADCAST,MULTICAST,UP> mtu 9001 qdisc mq state UP\\    link/ether ${state.primaryMac ?? '0a:00:00:00:00:01'} brd ff:ff:ff:ff:ff:ff`);
    if (args[0] === '-o' && args[1] === 'link' && state.eni?.attachedTo === state.instanceId) out(`3: ens6: <BROADCAST,MULTICAST,UP> mtu 9001 qdisc mq state UP\\    link/ether ${state.eni.mac} brd ff:ff:ff:ff:ff:ff`);
    break;
  case 'mountpoint':
    process.exit(1);
    break;
  case 'crictl':
    // The etcd static pod: running while the scenario gives its status.
    if (args[0] === 'ps') out(state.etcdStatus ? 'etcd-0123' : '');
    else if (args[0] === 'exec' && args.includes('status') && state.etcdStatus) {
      // etcdctl endpoint status -w json (etcdctl's printer_json.go: [{"Endpoint", "Status": StatusResponse}]).
      out(JSON.stringify([{ Endpoint: 'https://127.0.0.1:2379', Status: { header: { cluster_id: 1, member_id: 2, revision: 9, raft_term: 3 }, version: '3.5.24', ...state.etcdStatus, leader: 2, raftIndex: 10, raftTerm: 3, raftAppliedIndex: 10 } }]));
    } else fail('stub crictl: etcd is not running', 1);
    break;
  case 'kubeadm':
    if (args[0] === 'version') process.exit(1);
    else if (args[0] === 'certs' && args[1] === 'check-expiration') {
      // -o json: output.kubeadm.k8s.io/v1alpha3 CertificateExpirationInfo, indented as kubeadm's JSON printer does.
      const cert = (c) => ({ name: c.name, expirationDate: c.missing ? null : new Date(Date.now() + c.residualTime * 1000).toISOString(), residualTime: c.missing ? 0 : c.residualTime, externallyManaged: false, ...(c.ca ? {} : { caName: 'ca' }), missing: !!c.missing });
      if (!state.certificates) fail('error reading the certificates: open /etc/kubernetes/pki/ca.crt: no such file or directory', 1);
      const certs = state.certificates;
      out(JSON.stringify({ kind: 'CertificateExpirationInfo', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', certificates: certs.map(cert), certificateAuthorities: [cert({ name: 'ca', residualTime: 315_000_000, ca: true })] }, null, 4));
    }
    else if (args[0] === 'certs' && args[1] === 'certificate-key') out('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    else if (args[0] === 'token' && args.includes('--print-join-command')) out('kubeadm join api:443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:0123abcd');
    else if (args[0] === 'join' && args[1] !== 'phase' && state.joinFailures > 0) {
      state.joinFailures--;
      fail('error execution phase kubelet-start: timed out', 1);
    } else if ((args[0] === 'join' || args[0] === 'init') && args[1] !== 'phase') {
      const config = opt('--config');
      if (config) appendFileSync(join(dir, 'kubeadm-configs.txt'), `--- ${args[0]}\n${readFileSync(config, 'utf8')}`);
      // Which apiserver this kubeadm would reach through api.internal.
      const hosts = join(root, 'etc/hosts');
      appendFileSync(join(dir, 'kubeadm-configs.txt'), `# /etc/hosts during ${args[0]}: ${existsSync(hosts) ? readFileSync(hosts, 'utf8').trim() : ''}\n`);
    }
    break;
  case 'containerd':
    out("    sandbox = 'registry.k8s.io/pause:3.8'\n  SystemdCgroup = false");
    break;
  case 'gpg':
    readFileSync(0);
    break;
  case 'kubectl':
    // kubectl apply -f -: what a pipeline hands it is kept for the test.
    if (args.includes('-')) appendFileSync(join(dir, 'kubectl-stdin.txt'), readFileSync(0));
    // The bootstrap token Secrets: "name base64(description)" lines, as the jsonpath asks.
    if (args.includes('secrets') && args.includes('type=bootstrap.kubernetes.io/token'))
      out((state.bootstrapTokens ?? []).map((t) => `bootstrap-token-${t.id} ${Buffer.from(t.description).toString('base64')}`).join('\n'));
    break;
  default:
    // apt-get, apt-mark, systemctl, modprobe, sysctl, netplan, snap, logger, kubectl, hostnamectl, sleep: recorded only.
    break;
}
save();
