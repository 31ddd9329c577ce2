import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEMBER_TAG } from '../model/names.js';
import { buildPlan } from '../model/plan.js';
import { formatProblem } from '../spec/format.js';
import { loadClusterFile } from '../spec/index.js';
import { type CommandOutput, output } from './output.js';

/**
 * `haform kubeconfig FILE`: an admin kubeconfig for the cluster, as `kops export kubeconfig --admin`
 * gives one, without any secret leaving where it lives. The private key is made here and stays here;
 * only its certificate request goes to a running master, through SSM Run Command
 * (AWS-RunShellScript), where kubeadm's CA signs it for a few days (kubeadm's CA key never leaves
 * the master); the answer is the certificate and the CA's, both public. The subject puts the user
 * in kubeadm:cluster-admins, the group kubeadm binds to cluster-admin.
 */
export interface KubeconfigOptions {
  file: string;
  member?: string;
  user?: string;
  days?: number;
  out?: string;
  force?: boolean;
  /** The API's address; default api.<cluster>, or the load balancer's name for a gossip cluster. */
  server?: string;
}

/** kubeadm (1.29+) binds this group to cluster-admin (kubeadm:cluster-admins ClusterRoleBinding). */
export const ADMIN_GROUP = 'kubeadm:cluster-admins';
const WAIT_SECONDS = [1, 2, 3, 5, 5, 8, 8, 10, 10, 15, 15];

export function kubeconfig(o: KubeconfigOptions): CommandOutput {
  const { spec, problems } = loadClusterFile(o.file);
  if (!spec) return output('', problems.map((p) => `${formatProblem(p)}\n`).join(''), 1);
  if (o.out && existsSync(o.out) && !o.force) return output('', `haform kubeconfig: ${o.out} exists; nothing written (--force replaces it)\n`, 1);
  const plan = buildPlan(spec);
  const user = o.user ?? `haform-admin-${process.env.USER ?? 'user'}`;
  const days = o.days ?? 1;
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) return output('', `haform kubeconfig: --user ${user}: letters, digits and . _ @ - only (it becomes the certificate's common name)\n`, 2);
  if (!Number.isInteger(days) || days < 1 || days > 30) return output('', 'haform kubeconfig: --days takes a whole number of days from 1 to 30\n', 2);
  const aws = (args: string[]) => run('aws', ['--region', plan.region, '--output', 'json', ...args]);

  // A running master: any will do (each holds kubeadm's CA); --member picks one.
  const found = aws(['ec2', 'describe-instances', '--filters', `Name=tag:KubernetesCluster,Values=${plan.name}`, 'Name=tag:k8s.io/role/master,Values=1', 'Name=instance-state-name,Values=running']);
  if (found.error) return output('', `haform kubeconfig: could not list the masters of ${plan.name} (aws ec2 describe-instances): ${found.error}\n`, 1);
  const masters = (JSON.parse(found.stdout) as { Reservations: { Instances: { InstanceId: string; Tags?: { Key: string; Value: string }[] }[] }[] }).Reservations.flatMap((r) => r.Instances).map((i) => ({ id: i.InstanceId, member: i.Tags?.find((t) => t.Key === MEMBER_TAG)?.Value }));
  const master = o.member ? masters.find((m) => m.member === o.member) : masters.sort((a, b) => String(a.member).localeCompare(String(b.member)))[0];
  if (!master) return output('', `haform kubeconfig: no running master of ${plan.name} in ${plan.region}${o.member ? ` with member ${o.member}` : ''} (running: ${masters.map((m) => m.member).join(', ') || 'none'})\n`, 1);

  const dir = mkdtempSync(join(tmpdir(), 'haform-kubeconfig-'));
  try {
    const key = join(dir, 'key.pem');
    const csr = run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', `/O=${ADMIN_GROUP}/CN=${user}`]);
    if (csr.error) return output('', `haform kubeconfig: openssl could not make the key and its certificate request: ${csr.error}\n`, 1);
    const input = join(dir, 'command.json');
    writeFileSync(input, JSON.stringify({ InstanceIds: [master.id], DocumentName: 'AWS-RunShellScript', Comment: `haform kubeconfig: a ${days}-day admin certificate for ${user}`, Parameters: { commands: signScript(csr.stdout, days).split('\n') } }));
    const sent = aws(['ssm', 'send-command', '--cli-input-json', `file://${input}`]);
    if (sent.error) return output('', `haform kubeconfig: could not send the certificate request to ${master.id} (aws ssm send-command; needs ssm:SendCommand on it): ${sent.error}\n`, 1);
    const commandId = (JSON.parse(sent.stdout) as { Command: { CommandId: string } }).Command.CommandId;
    const answer = waitForAnswer((args) => aws(args), commandId, master.id);
    if ('error' in answer) return output('', `haform kubeconfig: ${answer.error}\n`, 1);
    const parts = /(-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----)\s*--- ca ---\s*(-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----)/.exec(answer.stdout);
    if (!parts) return output('', `haform kubeconfig: master ${master.member} (${master.id}) answered without a certificate: ${answer.stdout.slice(0, 300)}\n`, 1);
    const server = o.server ?? serverOf(plan, (args) => aws(args));
    if (typeof server !== 'string') return output('', `haform kubeconfig: ${server.error}\n`, 1);
    const config = kubeconfigYaml(plan.name, server, user, parts[2]!, parts[1]!, readFileSync(key, 'utf8'));
    const note = `haform kubeconfig: an admin certificate for ${user} (group ${ADMIN_GROUP}), valid ${days} day(s), signed by master ${master.member} (${master.id}); the key never left this machine\n`;
    if (!o.out) return output(config, note, 0);
    writeFileSync(o.out, config, { mode: 0o600 });
    return output('', `${note}haform kubeconfig: wrote ${o.out} (0600): kubectl --kubeconfig ${o.out} get nodes\n`, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What runs on the master (as root, by the SSM agent): the request checked to ask for an admin
 * client certificate and nothing else, signed by kubeadm's CA for DAYS days, printed with the CA.
 */
export function signScript(csrPem: string, days: number): string {
  // The agent runs the commands with sh (dash on Ubuntu): bash is asked for by name.
  return `bash <<'HAFORM'
set -euo pipefail
umask 077
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
echo '${Buffer.from(csrPem).toString('base64')}' | base64 -d >"$d/csr.pem"
subject=$(openssl req -in "$d/csr.pem" -noout -subject -nameopt RFC2253)
[[ $subject =~ ^subject=CN=[A-Za-z0-9._@-]+,O=${ADMIN_GROUP}$ ]] || { echo "haform: refused: not an admin client request ($subject)" >&2; exit 1; }
printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=clientAuth\\n' >"$d/ext"
openssl x509 -req -in "$d/csr.pem" -CA /etc/kubernetes/pki/ca.crt -CAkey /etc/kubernetes/pki/ca.key -CAserial "$d/serial" -CAcreateserial -days ${days} -sha256 -extfile "$d/ext" 2>/dev/null
echo '--- ca ---'
cat /etc/kubernetes/pki/ca.crt
HAFORM`;
}

type Aws = (args: string[]) => { stdout: string; error?: string };

function waitForAnswer(aws: Aws, commandId: string, instanceId: string): { stdout: string } | { error: string } {
  let last = 'not yet delivered';
  for (const wait of WAIT_SECONDS) {
    sleep(wait);
    const r = aws(['ssm', 'get-command-invocation', '--command-id', commandId, '--instance-id', instanceId]);
    if (r.error) {
      // Not there yet right after send-command (InvocationDoesNotExist): asked again.
      last = r.error;
      continue;
    }
    const inv = JSON.parse(r.stdout) as { Status: string; StandardOutputContent?: string; StandardErrorContent?: string };
    if (inv.Status === 'Success') return { stdout: inv.StandardOutputContent ?? '' };
    if (['Failed', 'Cancelled', 'TimedOut', 'Undeliverable', 'Terminated'].includes(inv.Status)) {
      return { error: `the master answered ${inv.Status}: ${(inv.StandardErrorContent ?? '').trim().slice(0, 300)}` };
    }
    last = inv.Status;
  }
  return { error: `gave up waiting for ${instanceId} to run the signing command ${commandId} (last: ${last}); is its SSM agent online? (aws ssm describe-instance-information)` };
}

/** api.<cluster>, or for a gossip cluster the API load balancer's own name. */
function serverOf(plan: ReturnType<typeof buildPlan>, aws: Aws): string | { error: string } {
  if (plan.api.dns) return `https://${plan.api.dns.recordName}:443`;
  const lb = aws(['elbv2', 'describe-load-balancers', '--names', plan.api.loadBalancerName]);
  if (lb.error) return { error: `could not find the API load balancer ${plan.api.loadBalancerName}: ${lb.error}` };
  return `https://${(JSON.parse(lb.stdout) as { LoadBalancers: { DNSName: string }[] }).LoadBalancers[0]!.DNSName}:443`;
}

export function kubeconfigYaml(cluster: string, server: string, user: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s.endsWith('\n') ? s : `${s}\n`).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
  - name: ${cluster}
    cluster:
      server: ${server}
      certificate-authority-data: ${b64(caPem)}
users:
  - name: ${user}@${cluster}
    user:
      client-certificate-data: ${b64(certPem)}
      client-key-data: ${b64(keyPem)}
contexts:
  - name: ${user}@${cluster}
    context:
      cluster: ${cluster}
      user: ${user}@${cluster}
current-context: ${user}@${cluster}
`;
}

function run(cmd: string, args: string[]): { stdout: string; error?: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) return { stdout: '', error: `${cmd}: ${r.error.message}` };
  if (r.status !== 0) return { stdout: r.stdout, error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
  return { stdout: r.stdout };
}

function sleep(seconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000 * Number(process.env.HAFORM_KUBECONFIG_WAIT_SCALE ?? 1));
}
