import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { signScript } from '../../src/commands/kubeconfig.js';
import { haform } from './run.js';

/**
 * haform kubeconfig with the AWS API stubbed (an `aws` on PATH): describe-instances finds the
 * masters, send-command records what would go to the master, and get-command-invocation runs it
 * there as the SSM agent would (sh), against a CA made here in place of kubeadm's. openssl is real.
 * On real Kubernetes: the drill signs with master a's own CA and kubectl uses the result.
 */
const work = mkdtempSync(join(tmpdir(), 'haform-kubeconfig-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const pki = join(work, 'pki');
const bin = join(work, 'bin');
const sh = (cmd: string) => {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
};

beforeAll(() => {
  mkdirSync(pki);
  mkdirSync(bin);
  sh(`openssl req -x509 -newkey rsa:2048 -nodes -keyout ${pki}/ca.key -out ${pki}/ca.crt -days 3650 -subj /CN=kubernetes 2>/dev/null`);
  writeFileSync(
    join(bin, 'aws'),
    `#!/usr/bin/env bash
set -euo pipefail
echo "$*" >>"${work}/aws-calls"
case "$*" in
  *"ec2 describe-instances"*)
    echo '{"Reservations":[{"Instances":[{"InstanceId":"i-0bbb","Tags":[{"Key":"haform.io/etcd-member","Value":"b"}]},{"InstanceId":"i-0aaa","Tags":[{"Key":"haform.io/etcd-member","Value":"a"}]}]}]}' ;;
  *"ssm send-command"*)
    f=$(sed -n 's#.*file://\\([^ ]*\\).*#\\1#p' <<<"$*")
    cp "$f" "${work}/sent.json"
    echo '{"Command":{"CommandId":"cmd-1"}}' ;;
  *"ssm get-command-invocation"*)
    # The SSM agent: the commands, one per line, run by sh, as root on the master.
    python3 -c 'import json,sys; print("\\n".join(json.load(open(sys.argv[1]))["Parameters"]["commands"]))' "${work}/sent.json" |
      sed 's#/etc/kubernetes/pki#${pki}#g' >"${work}/script.sh"
    if out=$(sh "${work}/script.sh" 2>"${work}/script.err"); then status=Success; else status=Failed; fi
    python3 -c 'import json,sys; print(json.dumps({"Status": sys.argv[1], "StandardOutputContent": sys.argv[2], "StandardErrorContent": open(sys.argv[3]).read()}))' "$status" "$out" "${work}/script.err" ;;
  *) echo "stub aws: $*" >&2; exit 1 ;;
esac
`,
  );
  chmodSync(join(bin, 'aws'), 0o755);
});

const env = () => ({ PATH: `${bin}:${process.env.PATH}`, HAFORM_KUBECONFIG_WAIT_SCALE: '0', USER: 'ops' });

describe('haform kubeconfig', () => {
  it('an admin kubeconfig for api.<cluster>: a certificate of kubeadm:cluster-admins signed by the cluster CA for the key made here, which never left', () => {
    const out = join(work, 'admin.conf');
    const r = haform(['kubeconfig', 'fixtures/examples/public.yaml', '--out', out, '--days', '2'], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('signed by master a (i-0aaa)');
    expect((spawnSync('stat', ['-c', '%a', out], { encoding: 'utf8' }).stdout).trim()).toBe('600');
    const config = parse(readFileSync(out, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[] };
    expect(config.clusters[0]!.cluster.server).toBe('https://api.hacluster.example.com:443');
    const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
    writeFileSync(join(work, 'cert.pem'), pem(config.users[0]!.user['client-certificate-data']));
    writeFileSync(join(work, 'key.pem'), pem(config.users[0]!.user['client-key-data']));
    expect(pem(config.clusters[0]!.cluster['certificate-authority-data'])).toBe(readFileSync(join(pki, 'ca.crt'), 'utf8'));
    expect(sh(`openssl verify -CAfile ${pki}/ca.crt ${work}/cert.pem`)).toContain('OK');
    expect(sh(`openssl x509 -in ${work}/cert.pem -noout -subject -nameopt RFC2253`).trim()).toBe('subject=CN=haform-admin-ops,O=kubeadm:cluster-admins');
    expect(sh(`openssl x509 -in ${work}/cert.pem -noout -ext extendedKeyUsage`)).toContain('TLS Web Client Authentication');
    // Valid for the days asked, no more.
    const end = new Date(sh(`openssl x509 -in ${work}/cert.pem -noout -enddate`).trim().replace('notAfter=', '')).getTime();
    expect(Math.round((end - Date.now()) / 86_400_000)).toBe(2);
    // The certificate is for the key in the kubeconfig, and that key is nowhere in what went to AWS.
    expect(sh(`openssl x509 -in ${work}/cert.pem -noout -pubkey`)).toBe(sh(`openssl pkey -in ${work}/key.pem -pubout`));
    const sent = readFileSync(join(work, 'sent.json'), 'utf8');
    const keyBody = readFileSync(join(work, 'key.pem'), 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(keyBody.some((l) => sent.includes(l))).toBe(false);
    expect(JSON.parse(sent)).toMatchObject({ InstanceIds: ['i-0aaa'], DocumentName: 'AWS-RunShellScript' });
  });

  it('--member picks the master that signs; a member not running is named with those that are', () => {
    const b = haform(['kubeconfig', 'fixtures/examples/public.yaml', '--member', 'b'], { env: env() });
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stderr).toContain('signed by master b (i-0bbb)');
    expect(b.stdout).toContain('current-context: haform-admin-ops@hacluster.example.com');
    const c = haform(['kubeconfig', 'fixtures/examples/public.yaml', '--member', 'c'], { env: env() });
    expect(c.exitCode).toBe(1);
    expect(c.stderr).toContain('no running master of hacluster.example.com in us-west-2 with member c (running: b, a)');
  });

  it('the master signs only an admin client request: system:masters, or a second organisation, is refused there', () => {
    for (const subject of ['/O=system:masters/CN=x', '/O=kubeadm:cluster-admins/O=system:masters/CN=x', '/CN=x']) {
      const csr = sh(`openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout /dev/null -subj '${subject}' 2>/dev/null`);
      const script = join(work, 'sign.sh');
      writeFileSync(script, signScript(csr, 1).replaceAll('/etc/kubernetes/pki', pki));
      const r = spawnSync('sh', [script], { encoding: 'utf8' });
      expect(r.status, subject).not.toBe(0);
      expect(r.stderr, subject).toContain('haform: refused: not an admin client request');
      expect(r.stdout, subject).not.toContain('BEGIN CERTIFICATE');
    }
  });

  it('an existing --out is kept without --force', () => {
    const out = join(work, 'existing.conf');
    writeFileSync(out, 'mine');
    const r = haform(['kubeconfig', 'fixtures/examples/public.yaml', '--out', out], { env: env() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('exists; nothing written (--force replaces it)');
    expect(readFileSync(out, 'utf8')).toBe('mine');
  });
});
