#!/usr/bin/env bash
# The control-plane drill: the rendered master.sh's own functions bring up real kubeadm, kubelet,
# containerd, etcd and the apiserver in hosts of their own (hosts.sh), at the seams of seams.sh.
#   member a: volumes formatted and mounted by the script, kubeadm init, join material published,
#   the control-plane label and taint set by kubeadm's phase as at every boot
#   (DRILL_JOIN=1: member b joins through the lock and kubeadm's phases; not passing yet)
# Prints "drill: ..." lines with Kubernetes' and etcd's own answers; exits non-zero on any failure.
# Stubbed here, at function level, for want of a real one: the AWS API (SSM parameters as files;
# no addons or CNI from S3/GitHub yet), IMDS (the provider ID), the member interface (each host's
# one address is its member IP: routing is held by the boot simulator's tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${DRILL_WORK:?}" "${DRILL_SCRIPT:?}" "${DRILL_ID:?}" "${HAFORM_COMPONENTS:?}"
# shellcheck source=../../scripts/components.env
. "${here}/../../scripts/components.env"
c=${HAFORM_COMPONENTS}
export DRILL_BIN="${c}/kubernetes-${KUBERNETES_VERSION}/bin"
seams="${DRILL_WORK}/seams"
mkdir -p "${seams}" "${DRILL_WORK}/ssm"
for s in systemctl kubeadm hostnamectl modprobe logger; do ln -sf "${here}/seams.sh" "${seams}/$s"; done
path="${seams}:${DRILL_BIN}:${c}/containerd-${CONTAINERD_VERSION}/bin:${c}/cri-tools-${CRI_TOOLS_VERSION}/bin:${c}/runc-${RUNC_VERSION}/bin:${PATH}"
hosts() { "${here}/hosts.sh" "$@"; }
cleanup() { hosts clean "${DRILL_ID}" >/dev/null 2>&1 || true; [[ -n ${registry:-} ]] && kill -- "-${registry}" 2>/dev/null || true; }
trap cleanup EXIT

hosts net "${DRILL_ID}" 10.98.0.1/16
"${here}/../../scripts/build-images.sh" build >"${DRILL_WORK}/images.log" 2>&1
setsid "${here}/../../scripts/build-images.sh" serve 10.98.0.1:5000 >"${DRILL_WORK}/registry.log" 2>&1 &
registry=$!
for _ in $(seq 100); do curl -sf http://10.98.0.1:5000/v2/ >/dev/null && break; sleep 0.3; done

# in_host NAME IP MEMBER ZONE MAIN EVENTS STEPS: the boot script sourced in the host, its AWS calls
# answered by files, then STEPS.
in_host() {
  local name=$1 ip=$2 member=$3 zone=$4 main=$5 events=$6 steps=$7 pid
  pid=$(cat "${DRILL_WORK}/hosts/${name}/pid")
  nsenter -t "${pid}" -m -n -u env PATH="${path}" DRILL_HOST="$(cat "${DRILL_WORK}/hosts/${name}/ns")" DRILL_BIN="${DRILL_BIN}" \
    HAFORM_RETRY_ATTEMPTS=5 bash ${DRILL_TRACE:+-x} -c "
set -euo pipefail
source ${DRILL_SCRIPT}
ssm=${DRILL_WORK}/ssm
awsq() {
  local op=\$2 name='' value='' overwrite=0 a prev=''
  for a in \"\$@\"; do
    case \$prev in --name) name=\${a//\//%} ;; --value) value=\$a ;; esac
    [[ \$a == --overwrite ]] && overwrite=1
    prev=\$a
  done
  case \"\$1 \$op\" in
    'ssm get-parameter') [[ -f \$ssm/\$name ]] || return 100; cat \"\$ssm/\$name\" ;;
    'ssm put-parameter')
      [[ \$value == file://* ]] && value=\$(cat \"\${value#file://}\")
      if ((overwrite == 0)); then (set -o noclobber; printf %s \"\$value\" >\"\$ssm/\$name\") 2>/dev/null || return 100; else printf %s \"\$value\" >\"\$ssm/\$name\"; fi ;;
    'ssm delete-parameter') rm -f \"\$ssm/\$name\" ;;
    *) echo \"drill awsq: \$* not emulated\" >&2; return 1 ;;
  esac
}
apply_addons() { log 'drill: no addons (they come from S3 and GitHub)'; }
apply_networking() { log 'drill: no pod networking yet'; }
api_endpoint() { echo api.hacluster.example.com; }
provider_id() { echo aws:///${zone}/i-${name}; }
MEMBER=${member} ZONE=${zone} MEMBER_IP=${ip} NODE_NAME=\$(member_node_name ${ip})
echo ${ip} >/var/lib/haform/member-ip
printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\n' >/etc/crictl.yaml
mount_volume ${main} \${MAIN_MOUNT}
mount_volume ${events} \${EVENTS_MOUNT}
bind_member_state
install_kubernetes
${steps}
"
}

boot_member() {
  local name=$1 ip=$2 member=$3 zone=$4 t0 main events
  t0=$(date +%s)
  hosts up "${DRILL_ID}" "${name}" "${ip}/16" >/dev/null
  main=$(hosts volume "${DRILL_ID}" "${name}" main)
  events=$(hosts volume "${DRILL_ID}" "${name}" events)
  in_host "${name}" "${ip}" "${member}" "${zone}" "${main}" "${events}" '
action=$(boot_action)
log "drill: boot action ${action}"
case ${action} in init) init_cluster ;; join) join_control_plane ;; *) fail "unexpected ${action}" ;; esac
node_identity'
  echo "drill: ${name} (member ${member}) up in $(($(date +%s) - t0))s"
}

# kubectl and etcdctl on host NAME, with its admin credentials: the cluster's own answers.
ask() {
  local name=$1
  shift
  nsenter -t "$(cat "${DRILL_WORK}/hosts/${name}/pid")" -m -n -u env PATH="${path}" "$@"
}
etcd_members() {
  ask "$1" bash -c 'crictl exec "$(crictl ps -q --name "^etcd$" | head -n1)" etcdctl --endpoints=https://127.0.0.1:2379 \
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key '"$2"
}

boot_member a 10.98.1.10 a us-west-2a
ask a kubectl --kubeconfig /etc/kubernetes/admin.conf create configmap drill-canary --from-literal=written=before >/dev/null
echo "drill: node: $(ask a kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o 'jsonpath={range .items[*]}{.metadata.name} control-plane={.metadata.labels.node-role\.kubernetes\.io/control-plane} taint={.spec.taints[0].key}:{.spec.taints[0].effect};{end}')"
echo "drill: etcd members: $(etcd_members a 'member list -w simple' | tr '\n' ';')"
echo "drill: etcd data dir: $(ask a ls /mnt/haform/etcd-main/data | tr '\n' ' ')"
echo "drill: join material: $(ls "${DRILL_WORK}/ssm" | tr '%' '/' | sort | tr '\n' ' ')"
echo "drill: canary: $(ask a kubectl --kubeconfig /etc/kubernetes/admin.conf get configmap drill-canary -o 'jsonpath={.data.written}')"
if [[ -n ${DRILL_JOIN:-} ]]; then
  # Not yet passing (the next step of the drill): b's kubelet never completes its TLS bootstrap.
  boot_member b 10.98.2.10 b us-west-2b
  echo "drill: members after b joined: $(etcd_members a 'member list -w simple' | tr '\n' ';')"
fi
echo "drill: done"
