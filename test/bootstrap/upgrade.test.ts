import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateFiles } from '../../src/generate.js';
import { loadClusterFile } from '../../src/spec/index.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../src/model/versions.js';

/**
 * Which Kubernetes a host installs, and the upgrade a master drives (master.sh upgrade), from the
 * rendered scripts' own functions: SSM, kubectl, kubeadm, kubelet, apt-get and crictl are shell
 * functions that answer from a small cluster state and record each call. The same steps run on
 * real kubeadm, kubelet and etcd in the Kubernetes drill (test/k8s); here every branch is held.
 */
const scripts: Record<string, string> = {};
beforeAll(async () => {
  for (const f of await generateFiles(loadClusterFile('fixtures/examples/public.yaml').spec!)) if (f.path.startsWith('userdata/')) scripts[f.path.slice(9)] = f.content;
});

const TARGET = DEFAULT_KUBERNETES_VERSION;
const PREVIOUS = `1.${Number(TARGET.split('.')[1]) - 1}.5`;

interface Cluster {
  /** SSM parameters under the cluster's path, by their name below it. */
  params?: Record<string, string>;
  /** What kubeadm of this host reports (none: not installed). */
  kubeadm?: string;
  kubelet?: string;
  /** The kubeadm-config ConfigMap's kubernetesVersion. */
  clusterVersion?: string;
  /** The image tag of the kube-apiserver manifest on the member's volume (none: no manifest). */
  apiserver?: string;
  /** kubelet versions of the control-plane nodes, as `kubectl get nodes` lists them. */
  masters?: string[];
  kubeletConf?: boolean;
  /** What each 'kubeadm upgrade' run prints when it fails, in turn (later runs succeed). */
  upgradeFailures?: string[];
}

function run(script: string, code: string, c: Cluster) {
  const dir = mkdtempSync(join(tmpdir(), 'haform-upgrade-'));
  const file = join(dir, 'script.sh');
  writeFileSync(file, scripts[script]!);
  // $0 of the shell: the new script as the operator runs it (not the sourced file, or it would boot).
  const self = join(dir, `new-${script}`);
  writeFileSync(self, scripts[script]!);
  if (c.apiserver) {
    mkdirSync(join(dir, 'etc/kubernetes/manifests'), { recursive: true });
    writeFileSync(join(dir, 'etc/kubernetes/manifests/kube-apiserver.yaml'), `spec:\n  containers:\n  - command:\n    - kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v${c.apiserver}\n`);
  }
  if (c.kubeletConf) {
    mkdirSync(join(dir, 'etc/kubernetes'), { recursive: true });
    writeFileSync(join(dir, 'etc/kubernetes/kubelet.conf'), '');
  }
  mkdirSync(join(dir, 'var/lib/haform'), { recursive: true });
  writeFileSync(join(dir, 'var/lib/haform/member-ip'), '172.20.32.10');
  const state = join(dir, 'state');
  mkdirSync(state);
  const put = (k: string, v: string) => writeFileSync(join(state, k), v);
  for (const [k, v] of Object.entries(c.params ?? {})) {
    mkdirSync(join(state, 'params', k, '..'), { recursive: true });
    writeFileSync(join(state, 'params', k), v);
  }
  (c.upgradeFailures ?? []).forEach((out, i) => put(`upgrade-fails.${i + 1}`, out));
  if (c.kubeadm) put('kubeadm', c.kubeadm);
  if (c.kubelet) put('kubelet', c.kubelet);
  put('cluster', c.clusterVersion ?? '');
  put('masters', (c.masters ?? []).map((v) => `v${v}`).join('\n'));
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source ${file}
S=${state}
rec() { echo "$*" >>"$S/calls"; }
param_get() { [[ -f $S/params/$1 ]] || return 100; cat "$S/params/$1"; }
param_put() { rec "param_put $1 $2"; mkdir -p "$(dirname "$S/params/$1")"; printf '%s' "$2" >"$S/params/$1"; }
imds() { case $1 in instance-id) echo i-0new ;; placement/availability-zone) echo us-west-2a ;; esac; }
member_of() { echo a; }
download() { rec "download $1"; : >"$2"; }
gpg() { :; }
apt-get() {
  rec "apt-get $*"
  local a
  for a in "$@"; do
    case $a in kubeadm=*) v=\${a#kubeadm=}; printf '%s' "\${v%-\\*}" >"$S/kubeadm" ;; kubelet=*) v=\${a#kubelet=}; printf '%s' "\${v%-\\*}" >"$S/kubelet" ;; esac
  done
}
apt-mark() { rec "apt-mark $*"; }
kubeadm() {
  case $1 in
    version) [[ -f $S/kubeadm ]] && echo "v$(cat "$S/kubeadm")" || return 1 ;;
    upgrade) rec "kubeadm $*"; echo >>"$S/upgrades"; n=$(wc -l <"$S/upgrades")
      if [[ -f $S/upgrade-fails.$n ]]; then cat "$S/upgrade-fails.$n"; return 1; fi
      [[ $2 == apply ]] && printf '%s' "\${3#v}" >"$S/cluster"; [[ $2 == apply || $2 == node ]] && printf '%s' "$(cat "$S/kubeadm")" >"$S/apiserver" ;;
    *) rec "kubeadm $*" ;;
  esac
}
kubelet() { [[ -f $S/kubelet ]] && echo "Kubernetes v$(cat "$S/kubelet")"; }
kubectl() {
  case "$*" in
    *"get configmap kubeadm-config"*) printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: v%s\\n' "$(cat "$S/cluster")" ;;
    *"get node "*) echo "v$(cat "$S/kubelet") True" ;;
    *"get nodes -l node-role.kubernetes.io/control-plane"*) { cat "$S/masters"; echo; echo "v$(cat "$S/kubelet")"; } | grep . | sort -u ;;
    *) rec "kubectl $*" ;;
  esac
}
# The static pods run while their manifests are there (the kubelet stops a pod whose manifest goes).
manifests() { ls "$HAFORM_ROOT/etc/kubernetes/manifests" 2>/dev/null | paste -sd, -; }
crictl() { case $1 in ps) [[ -z $(manifests) ]] || echo etcd-1 ;; exec) shift 2; rec "$(printf '%s ' "$@" | sed 's/--[a-z]*=[^ ]* //g')" ;; esac; }
systemctl() { rec "systemctl $* (manifests: $(manifests))"; }
configure_kernel() { :; }
configure_containerd() { :; }
sleep() { :; }
${code}`,
      self,
    ],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HAFORM_ROOT: dir } },
  );
  const manifests = existsSync(join(dir, 'etc/kubernetes/manifests')) ? readdirSync(join(dir, 'etc/kubernetes/manifests')) : [];
  const stopped = existsSync(join(dir, 'etc/kubernetes/manifests-stopped-for-upgrade'));
  const read = (f: string) => {
    try {
      return readFileSync(join(state, f), 'utf8');
    } catch {
      return '';
    }
  };
  const out = { manifests, stopped, code: r.status, stdout: r.stdout, stderr: r.stderr, calls: read('calls').trim().split('\n').filter(Boolean), kubeadm: read('kubeadm'), kubelet: read('kubelet'), params: { cp: read('params/control-plane/kubernetes-version'), node: read('params/node/kubernetes-version') } };
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** Asserts that `wanted` appear in this order (other calls may come between). */
function expectInOrder(actual: string[], wanted: string[]) {
  let at = 0;
  for (const w of wanted) {
    const i = actual.findIndex((a, j) => j >= at && a.startsWith(w));
    expect(i, `${w} after position ${at} in:\n${actual.join('\n')}`).toBeGreaterThanOrEqual(0);
    at = i + 1;
  }
}

describe('the Kubernetes a new or rebooted host installs', () => {
  it(`a joining master installs the control plane's version, not the newer one of its script (${PREVIOUS} before the upgrade reached the cluster)`, () => {
    const r = run('master.sh', 'MEMBER=b; install_kubernetes "$(member_kubernetes join)"', { params: { 'control-plane/kubernetes-version': PREVIOUS } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.kubeadm).toBe(PREVIOUS);
    // The repository of the installed version's minor: pkgs.k8s.io has one per minor.
    expect(r.calls.find((c) => c.startsWith('download'))).toContain(`/v${PREVIOUS.split('.').slice(0, 2).join('.')}/deb/Release.key`);
    expect(r.calls.find((c) => c.startsWith('apt-get install') && c.includes('kubelet='))).toContain(`kubelet=${PREVIOUS}-* kubeadm=${PREVIOUS}-* kubectl=${PREVIOUS}-*`);
  });

  it('a master of a cluster without the version parameter (a new cluster) takes the script\'s version', () => {
    const r = run('master.sh', 'MEMBER=b; install_kubernetes "$(member_kubernetes join)"', {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.kubeadm).toBe(TARGET);
  });

  it('a master that comes back with its volumes runs what its static pods say, upgraded or not; without a manifest it stops', () => {
    for (const v of [PREVIOUS, TARGET]) {
      const r = run('master.sh', 'MEMBER=b; install_kubernetes "$(member_kubernetes restart)"', { apiserver: v, params: { 'control-plane/kubernetes-version': TARGET } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.kubeadm).toBe(v);
    }
    const none = run('master.sh', 'MEMBER=b; member_kubernetes restart', {});
    expect(none.code).toBe(97);
    expect(none.stderr).toContain('not guessing which Kubernetes to run');
  });

  it('a rebooted master keeps its packages: nothing is installed when they match its static pods', () => {
    const r = run('master.sh', 'MEMBER=b; install_kubernetes "$(member_kubernetes restart)"', { apiserver: PREVIOUS, kubeadm: PREVIOUS, kubelet: PREVIOUS });
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.startsWith('apt-get'))).toEqual([]);
  });

  it('a new node installs the version the masters released to nodes; a rebooted node keeps its own', () => {
    const fresh = run('node.sh', 'install_aws_cli() { :; }; wait_for() { :; }; join_node() { rec join; }; boot', { params: { 'node/kubernetes-version': PREVIOUS } });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.kubeadm).toBe(PREVIOUS);
    const rebooted = run('node.sh', 'install_aws_cli() { :; }; boot', { kubeletConf: true, kubeadm: PREVIOUS, kubelet: PREVIOUS, params: { 'node/kubernetes-version': TARGET } });
    expect(rebooted.code, rebooted.stderr).toBe(0);
    expect(rebooted.calls.filter((c) => c.startsWith('apt-get'))).toEqual([]);
  });
});

describe('master.sh upgrade, one master at a time', () => {
  const running = { kubeadm: PREVIOUS, kubelet: PREVIOUS, apiserver: PREVIOUS, params: { 'control-plane/kubernetes-version': PREVIOUS, 'node/kubernetes-version': PREVIOUS } };

  it('the first master: new kubeadm, kubeadm upgrade apply, the cluster version published, then drain, kubelet, uncordon', () => {
    const r = run('master.sh', 'upgrade_member', { ...running, clusterVersion: PREVIOUS, masters: [PREVIOUS, PREVIOUS] });
    expect(r.code, r.stderr).toBe(0);
    expectInOrder(r.calls, [
      'etcdctl endpoint health --cluster',
      `apt-get install -y -q --allow-change-held-packages --allow-downgrades kubeadm=${TARGET}-*`,
      `kubeadm upgrade apply v${TARGET} --yes`,
      `param_put control-plane/kubernetes-version ${TARGET}`,
      'etcdctl endpoint health --cluster',
      'kubectl --kubeconfig',
      `apt-get install -y -q --allow-change-held-packages --allow-downgrades kubelet=${TARGET}-* kubectl=${TARGET}-*`,
      'systemctl restart kubelet',
      'etcdctl endpoint health --cluster',
    ]);
    expect(r.calls.find((c) => c.includes(' drain '))).toContain('--ignore-daemonsets');
    expect(r.calls.some((c) => c.includes(' uncordon '))).toBe(true);
    expect(r.calls.some((c) => c.startsWith('kubeadm upgrade node'))).toBe(false);
    // The new kubelet starts with no static pod to kill as an orphan (a one-second grace): they
    // stopped first, with their own, and are back once it runs.
    expect(r.calls.find((c) => c.startsWith('systemctl restart kubelet'))).toBe('systemctl restart kubelet (manifests: )');
    expect(r.stderr).toContain('static pods of ip-172-20-32-10.us-west-2.compute.internal stopping for the kubelet upgrade');
    expect(r.manifests).toEqual(['kube-apiserver.yaml']);
    expect(r.stopped).toBe(false);
    expect(r.params.cp).toBe(TARGET);
    // Other masters still run the previous version: nodes stay on it.
    expect(r.params.node).toBe(PREVIOUS);
    expect(r.stderr).toContain('upgrade them next');
  });

  // kubeadm's own words (1.37, under the drill's load in CI): its preflight phase changes nothing.
  const preflight = `[upgrade] Running cluster health checks
[preflight] Some fatal errors occurred:
\t[ERROR CreateJob]: Job "upgrade-health-check-1796323125430" in the namespace "kube-system" did not complete in 1m0s: no condition of type Complete
error: error execution phase preflight: preflight checks failed
`;
  it('kubeadm upgrade apply stopped by its preflight health checks (a Job not done in 60 s): retried, then the upgrade goes on', () => {
    const r = run('master.sh', 'upgrade_member', { ...running, clusterVersion: PREVIOUS, masters: [PREVIOUS, PREVIOUS], upgradeFailures: [preflight, preflight] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.startsWith('kubeadm upgrade apply'))).toHaveLength(3);
    expect(r.stderr).toContain('retrying: kubeadm upgrade apply (preflight: [ERROR CreateJob]: Job "upgrade-health-check-1796323125430"');
    expect(r.params.cp).toBe(TARGET);
  });

  it('kubeadm upgrade stopped after its preflight, or by it three times: no retry, nothing published, the upgrade stops', () => {
    const later = `[upgrade/staticpods] Moving new manifest to "/etc/kubernetes/manifests/kube-apiserver.yaml"\nerror: error execution phase control-plane: couldn't upgrade control plane\n`;
    const stopped = run('master.sh', 'upgrade_member', { ...running, clusterVersion: PREVIOUS, masters: [PREVIOUS, PREVIOUS], upgradeFailures: [later] });
    const thrice = run('master.sh', 'upgrade_member', { ...running, clusterVersion: PREVIOUS, masters: [PREVIOUS, PREVIOUS], upgradeFailures: [preflight, preflight, preflight] });
    for (const [r, runs] of [[stopped, 1], [thrice, 3]] as const) {
      expect(r.code).toBe(97);
      expect(r.calls.filter((c) => c.startsWith('kubeadm upgrade apply'))).toHaveLength(runs);
      expect(r.stderr).toContain('kubeadm upgrade apply failed (full output in /var/lib/haform/kubeadm-upgrade.log)');
      expect(r.params.cp).toBe(PREVIOUS);
      expect(r.calls.some((c) => c.includes(' drain '))).toBe(false);
    }
    expect(stopped.stderr).not.toContain('retrying');
    const node = run('node.sh', 'upgrade_node', { kubeadm: PREVIOUS, kubelet: PREVIOUS, params: { 'node/kubernetes-version': TARGET }, upgradeFailures: [preflight] });
    expect(node.code, node.stderr).toBe(0);
    expect(node.calls.filter((c) => c === 'kubeadm upgrade node')).toHaveLength(2);
  });

  it('a later master: kubeadm upgrade node, never apply; the last one releases the version to nodes', () => {
    const r = run('master.sh', 'upgrade_member', { ...running, clusterVersion: TARGET, params: { ...running.params, 'control-plane/kubernetes-version': TARGET }, masters: [TARGET, TARGET] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.some((c) => c === 'kubeadm upgrade node')).toBe(true);
    expect(r.calls.some((c) => c.startsWith('kubeadm upgrade apply'))).toBe(false);
    expect(r.params.node).toBe(TARGET);
  });

  it('a master at the version already: checks only, installs nothing (a rerun, or a master replaced at the new version)', () => {
    const r = run('master.sh', 'upgrade_member', { kubeadm: TARGET, kubelet: TARGET, apiserver: TARGET, clusterVersion: TARGET, masters: [TARGET, TARGET] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.startsWith('apt-get') || c.startsWith('kubeadm upgrade'))).toEqual([]);
  });

  it('an upgrade stopped while the static pods were down: the rerun puts them back first; two copies of one stop it', () => {
    const stopped = (both: boolean) =>
      `mkdir -p "$HAFORM_ROOT/etc/kubernetes/manifests-stopped-for-upgrade"; mv "$HAFORM_ROOT/etc/kubernetes/manifests/kube-apiserver.yaml" "$HAFORM_ROOT/etc/kubernetes/manifests-stopped-for-upgrade/"
${both ? 'cp "$HAFORM_ROOT/etc/kubernetes/manifests-stopped-for-upgrade/kube-apiserver.yaml" "$HAFORM_ROOT/etc/kubernetes/manifests/"' : ''}
upgrade_member`;
    const done = { ...running, kubeadm: TARGET, kubelet: TARGET, apiserver: TARGET, clusterVersion: TARGET, masters: [TARGET, TARGET] };
    const rerun = run('master.sh', stopped(false), done);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain('back in /etc/kubernetes/manifests');
    expect(rerun.manifests).toEqual(['kube-apiserver.yaml']);
    expect(rerun.stopped).toBe(false);
    const both = run('master.sh', stopped(true), done);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('kube-apiserver.yaml is both in /etc/kubernetes/manifests and in /etc/kubernetes/manifests-stopped-for-upgrade');
    expect(both.stopped).toBe(true);
  });

  it('refuses to skip a minor or to go down, before touching anything', () => {
    const skip = run('master.sh', 'upgrade_member', { ...running, kubeadm: '1.35.9', apiserver: '1.35.9', clusterVersion: '1.35.9' });
    expect(skip.code).toBe(97);
    expect(skip.stderr).toContain(`Kubernetes 1.35.9 -> ${TARGET} is not one step`);
    const down = run('master.sh', 'upgrade_member', { ...running, clusterVersion: `${TARGET.split('.').slice(0, 2).join('.')}.9` });
    expect(down.code).toBe(97);
    expect(down.stderr).toContain('is a downgrade');
    for (const r of [skip, down]) expect(r.calls.filter((c) => c.startsWith('apt-get') || c.startsWith('kubeadm'))).toEqual([]);
  });

  it('node.sh upgrade: to the version the masters released, kubeadm first, then kubelet; at it already, nothing', () => {
    const r = run('node.sh', 'upgrade_node', { kubeadm: PREVIOUS, kubelet: PREVIOUS, params: { 'node/kubernetes-version': TARGET } });
    expect(r.code, r.stderr).toBe(0);
    expectInOrder(r.calls, [`apt-get install -y -q --allow-change-held-packages --allow-downgrades kubeadm=${TARGET}-*`, 'kubeadm upgrade node', `apt-get install -y -q --allow-change-held-packages --allow-downgrades kubelet=${TARGET}-* kubectl=${TARGET}-*`, 'systemctl restart kubelet']);
    const done = run('node.sh', 'upgrade_node', { kubeadm: TARGET, kubelet: TARGET, params: { 'node/kubernetes-version': TARGET } });
    expect(done.code, done.stderr).toBe(0);
    expect(done.calls.filter((c) => c.startsWith('apt-get') || c.startsWith('kubeadm'))).toEqual([]);
  });
});
