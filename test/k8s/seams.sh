#!/usr/bin/env bash
# The seams of the Kubernetes drill, in one file: everything a drill host runs that is not the real
# component. Linked under each name it stands in for (busybox style); the host's PATH finds these
# first, then the real binaries built by scripts/build-components.sh.
#
#   systemctl     No systemd here (PID 1 of the sandbox is not systemd). Runs the two units kubeadm and
#                 the boot scripts manage, as systemd would from the packages' unit files: containerd
#                 (containerd.service) and kubelet (kubelet.service with kubeadm's 10-kubeadm.conf
#                 drop-in: its kubeconfig and config flags, then $KUBELET_KUBEADM_ARGS from
#                 /var/lib/kubelet/kubeadm-flags.env), restarted when they exit. Other units (haform's
#                 own) are recorded as enabled, not run: the drill calls the boot script's steps itself.
#   kubeadm       The real kubeadm, with two additions for this machine's cgroup v1 (kernel cgroups are
#                 v1 here and cannot move to v2): kubelet is configured with the cgroupfs driver and
#                 failCgroupV1: false (KEP-5573; kubelet 1.35+ refuses cgroup v1 otherwise), and, through
#                 a kubeadm patch of this host only, a cgroup root of its own (several kubelets share one
#                 kernel); and preflight's
#                 SystemVerification, which reports cgroup v1 as an error for kubelet 1.35+
#                 (k8s.io/system-validators cgroup_validator_linux.go), is ignored. kube-proxy is told
#                 not to size the conntrack table (conntrack.maxPerCore: 0, as kind does): that sysctl
#                 is the kernel's, and the sandbox may not write it. Nothing else changes.
#   containerd    Started with the boot script's own /etc/containerd/config.toml, with two changes:
#                 SystemdCgroup = false (cgroupfs, as kubelet above) and restrict_oom_score_adj = true
#                 (the sandbox lacks CAP_SYS_RESOURCE, so runc cannot lower a pod's oom_score_adj).
#   hostnamectl   hostname in the host's own UTS namespace (no systemd-hostnamed).
#   modprobe      The modules are the sandbox kernel's; nothing to load.
#   logger        No journal: lines go to /var/log/haform.log of the host.
# Stubbed in the drill's test file, and named there: the AWS API (SSM and S3, a file per
# parameter), IMDS, package downloads (the binaries are preinstalled: kubeadm reports the wanted
# version, so install_kubernetes skips the package step and still configures the kernel and containerd).
set -euo pipefail
me=${DRILL_SEAM:-$(basename "$0")}
units=/run/drill-units
# Enabled units live on the root disk (the host's /etc), as systemd's wants links do: a reboot
# keeps them, a new instance has none.
enabled=/etc/drill-units
mkdir -p "${units}" "${enabled}"

unit_of() {
  local a
  for a in "$@"; do
    case ${a} in
      -*) ;;
      *) echo "${a%.service}" ;;
    esac
  done
}

start_unit() {
  local u=$1
  case ${u} in
    containerd | kubelet) ;;
    *) return 0 ;;
  esac
  if [[ -f ${units}/${u}.pid ]] && kill -0 "$(cat "${units}/${u}.pid")" 2>/dev/null; then return 0; fi
  # containerd's package enables its unit when it installs it (deb-systemd-helper).
  [[ ${u} == containerd ]] && touch "${enabled}/${u}"
  DRILL_SEAM="run-${u}" setsid "$0" >>"/var/log/${u}.log" 2>&1 </dev/null &
  echo $! >"${units}/${u}.pid"
  # containerd.service is Type=notify: systemctl returns once containerd serves its socket.
  if [[ ${u} == containerd ]]; then
    for _ in $(seq 100); do [[ -S /run/containerd/containerd.sock ]] && return 0; sleep 0.2; done
    echo "drill systemctl: containerd did not start" >&2
    return 1
  fi
}

stop_unit() {
  local u=$1 pid
  [[ -f ${units}/${u}.pid ]] || return 0
  pid=$(cat "${units}/${u}.pid")
  kill -- "-${pid}" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
  rm -f "${units}/${u}.pid"
}

case ${me} in
  systemctl)
    cmd=${1:-}
    shift || true
    case ${cmd} in
      start | restart | reload-or-restart)
        for u in $(unit_of "$@"); do
          [[ ${cmd} == start ]] || stop_unit "${u}"
          start_unit "${u}"
        done
        ;;
      stop) for u in $(unit_of "$@"); do stop_unit "${u}"; done ;;
      enable)
        for u in $(unit_of "$@"); do touch "${enabled}/${u}"; done
        if [[ " $* " == *" --now "* ]]; then
          for u in $(unit_of "$@"); do start_unit "${u}"; done
        fi
        ;;
      is-active) for u in $(unit_of "$@"); do [[ -f ${units}/${u}.pid ]] && kill -0 "$(cat "${units}/${u}.pid")" 2>/dev/null || exit 3; done ;;
      is-enabled) for u in $(unit_of "$@"); do [[ -f ${enabled}/${u} ]] || exit 1; done ;;
      # What systemd does at boot, after local-fs.target (fstab's mounts): start the enabled
      # units, containerd before kubelet. Not a systemctl command: the drill calls it.
      drill-boot) for u in containerd kubelet; do if [[ -f ${enabled}/${u} ]]; then start_unit "${u}"; fi; done ;;
      status) exit 0 ;;
      daemon-reload | disable | mask | unmask) ;;
      *) echo "drill systemctl: ${cmd} not emulated" >&2 ;;
    esac
    ;;
  run-containerd)
    sed -e 's/SystemdCgroup = true/SystemdCgroup = false/' -e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' \
      /etc/containerd/config.toml >/run/drill-containerd.toml
    exec containerd --config /run/drill-containerd.toml
    ;;
  run-kubelet)
    while true; do
      KUBELET_KUBEADM_ARGS=""
      # shellcheck disable=SC1091
      [[ -f /var/lib/kubelet/kubeadm-flags.env ]] && . /var/lib/kubelet/kubeadm-flags.env
      if [[ -f /var/lib/kubelet/config.yaml ]]; then
        # shellcheck disable=SC2086
        kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf \
          --config=/var/lib/kubelet/config.yaml ${KUBELET_KUBEADM_ARGS} || true
      fi
      sleep 2
    done
    ;;
  kubeadm)
    args=("$@")
    sub="${1:-} ${2:-} ${3:-}"
    config=""
    for ((i = 0; i < ${#args[@]}; i++)); do [[ ${args[i]} == --config ]] && config=${args[i + 1]}; done
    if [[ -n ${config} ]]; then
      # Cluster-wide (kubeadm uploads it to the kubelet-config ConfigMap that joining kubelets read):
      # the cgroup driver and cgroup v1. Per host (a kubeadm patch, applied to this node's kubelet
      # configuration only): its cgroup root, or a joining kubelet would share the first host's and
      # each would kill the other's pods as orphans.
      if [[ ${sub} == "init "* ]] && grep -q '^kind: InitConfiguration' "${config}" && ! grep -q '^kind: KubeletConfiguration' "${config}"; then
        printf -- '---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: cgroupfs\nfailCgroupV1: false\n' >>"${config}"
        # kube-proxy leaves the kernel-wide conntrack table size alone (the sandbox may not set it).
        printf -- '---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nconntrack:\n  maxPerCore: 0\n' >>"${config}"
      fi
      if grep -q '^kind: \(Init\|Join\)Configuration' "${config}" && ! grep -q '^patches:' "${config}"; then
        mkdir -p /run/drill-patches
        printf 'cgroupRoot: /%s\n' "${DRILL_HOST}" >/run/drill-patches/kubeletconfiguration+merge.yaml
        sed -i 's#^kind: \(Init\|Join\)Configuration$#&\npatches:\n  directory: /run/drill-patches#' "${config}"
      fi
    fi
    case ${sub} in
      "init phase preflight" | "join phase preflight") args+=(--ignore-preflight-errors=SystemVerification) ;;
      "init phase"* | "join phase"*) ;;
      "init "* | "join "*) args+=(--ignore-preflight-errors=SystemVerification) ;;
    esac
    exec "${DRILL_BIN}/kubeadm" "${args[@]}"
    ;;
  hostnamectl) [[ ${1:-} == set-hostname ]] && hostname "$2" ;;
  modprobe) ;;
  logger) echo "${*: -1}" >>/var/log/haform.log ;;
  *)
    echo "drill seams: no seam named ${me}" >&2
    exit 2
    ;;
esac
