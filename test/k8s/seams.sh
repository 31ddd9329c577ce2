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
#   kubeadm       The real kubeadm of the version the host installed (see Packages below), with two
#                 additions for this machine's cgroup v1 (kernel cgroups are v1 here and cannot move
#                 to v2): kubelet is configured with the cgroupfs driver and failCgroupV1: false
#                 (KEP-5573; kubelet 1.35+ refuses cgroup v1 otherwise), and, through a kubeadm patch of
#                 this host only, a cgroup root of its own (several kubelets share one kernel); and
#                 preflight's SystemVerification, which reports cgroup v1 as an error for kubelet 1.35+
#                 (k8s.io/system-validators cgroup_validator_linux.go), is ignored (init, join,
#                 upgrade apply and upgrade node run it). kube-proxy is told
#                 not to size the conntrack table (conntrack.maxPerCore: 0, as kind does): that sysctl
#                 is the kernel's, and the sandbox may not write it. kubeadm upgrade apply and upgrade
#                 node get the same per-host patch (--patches), or the kubelet configuration they
#                 rewrite would lose the host's cgroup root. Nothing else changes.
#   containerd    Started with the boot script's own /etc/containerd/config.toml, with two changes:
#                 SystemdCgroup = false (cgroupfs, as kubelet above) and restrict_oom_score_adj = true
#                 (the sandbox lacks CAP_SYS_RESOURCE, so runc cannot lower a pod's oom_score_adj).
#   hostnamectl   hostname in the host's own UTS namespace (no systemd-hostnamed).
#   modprobe      The modules are the sandbox kernel's; nothing to load.
#   blkid         The real one (util-linux), unless DRILL_BLKID_FAULT is set: then every call fails
#                 with exit 4, blkid's "usage or other error", as a probe of a device that cannot be
#                 read does (the drill's fault for mount_volume; exit 2 would mean no filesystem).
#   logger        No journal: lines go to /var/log/haform.log of the host.
# Packages (no apt repository, no dpkg here): what a host installed is recorded on its root disk,
# /etc/drill-packages (the host's /etc is an overlay of its own: a reboot keeps it, a new instance
# starts with nothing), one file per package holding its version, <package>.hold when held.
#   apt-get       update: no Ubuntu archive (its packages are the host image's, below); for the
#                 pkgs.k8s.io repository that /etc/apt/sources.list.d/kubernetes.list names, what apt
#                 would check: the signed-by keyring exists and the repository's InRelease answers (the
#                 drill's file repository serves placeholders, cluster.sh), and the list is recorded as
#                 fetched. install: kubelet, kubeadm, kubectl at VERSION-* (or the newest built patch
#                 of the minor without one), from the repository of the list as last fetched (a
#                 list changed without apt-get update is not seen, as with apt): the minor must match
#                 and the version must be built ($DRILL_COMPONENTS/kubernetes-VERSION, by
#                 scripts/build-components.sh), else "E: Version ... was not found", exit 100, nothing
#                 changed. Held packages change only with --allow-change-held-packages, downgrades only
#                 with --allow-downgrades, as apt does. The host image's packages (ca-certificates,
#                 curl, gpg, gnupg, apt-transport-https, and containerd, cri-tools, kubernetes-cni,
#                 which the drill puts on every host's PATH and /opt/cni/bin) install as no-ops; any
#                 other package is "Unable to locate". Package dependencies are not modelled, nor are
#                 the packages' maintainer scripts: installing kubelet neither enables nor restarts it.
#   apt-mark      hold, unhold, showhold on those records.
#   gpg           --dearmor [--yes] -o OUT [IN]: copies the (placeholder) key; nothing verifies it.
#   kubelet, kubectl, kubeadm
#                 The built binaries of the version the host installed (kubeadm through the seam
#                 above). A host that installed nothing has none ("command not found", 127): the
#                 drill's host image ships no Kubernetes, so the boot script's install step runs, with
#                 the version it chooses. Resolved at every start: the kubelet loop (run-kubelet)
#                 runs the newly installed kubelet once restarted. `command -v` finds the seam even
#                 when nothing is installed (the machine's own /usr/bin/kubectl must not be found).
# Stubbed in the drill's test file, and named there: the AWS API (SSM and S3, a file per
# parameter), IMDS.
set -euo pipefail
me=${DRILL_SEAM:-$(basename "$0")}
# Not inherited: what run-kubelet starts (kubelet, itself a seam) is named by its own $0.
unset DRILL_SEAM
units=/run/drill-units
# Enabled units live on the root disk (the host's /etc), as systemd's wants links do: a reboot
# keeps them, a new instance has none.
enabled=/etc/drill-units
mkdir -p "${units}" "${enabled}" /etc/drill-packages
# What the host installed (see Packages above), on its root disk too.
pkgs=/etc/drill-packages
components=${DRILL_COMPONENTS:-}
image_packages=" ca-certificates curl gpg gnupg apt-transport-https containerd cri-tools kubernetes-cni "
kube_packages=" kubelet kubeadm kubectl "
kube_list=/etc/apt/sources.list.d/kubernetes.list

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

# installed PACKAGE: its recorded version, or fails.
installed() { [[ -f ${pkgs}/$1 ]] && cat "${pkgs}/$1"; }

# kube_bin NAME: the built binary of the version the host installed; "command not found" without one.
kube_bin() {
  local v
  if ! v=$(installed "$1"); then
    echo "bash: $1: command not found (drill: the host installed no $1 package)" >&2
    exit 127
  fi
  [[ -n ${components} ]] || { echo "drill seams: DRILL_COMPONENTS is not set" >&2; exit 2; }
  echo "${components}/kubernetes-${v}/bin/$1"
}

apt_fail() {
  echo "E: $*" >&2
  exit 100
}

# repo_minor LIST: the minor (1.37) of the pkgs.k8s.io repository a sources list names.
repo_minor() {
  [[ -f $1 ]] || return 0
  sed -n 's#^deb .*/core:/stable:/v\(1\.[0-9]*\)/deb/ .*#\1#p' "$1" | head -n 1
}

# newest_built MINOR: the newest patch of MINOR that is built.
newest_built() {
  local d
  for d in "${components}/kubernetes-$1".*/; do [[ -f ${d}.done ]] && basename "${d}"; done | sed 's/^kubernetes-//' | sort -V | tail -n 1
}

apt_update() {
  local url keyring
  if [[ ! -f ${kube_list} ]]; then
    rm -f "${pkgs}/lists.kubernetes"
    echo "Reading package lists... Done (drill: the Ubuntu archive is the host image's)"
    return 0
  fi
  read -r keyring url < <(sed -n 's#^deb \[signed-by=\([^]]*\)\] \([^ ]*\) .*#\1 \2#p' "${kube_list}" | head -n 1) || true
  [[ -n ${url:-} ]] || apt_fail "drill apt-get: no 'deb [signed-by=KEYRING] URL /' line in ${kube_list}"
  [[ -f ${keyring} ]] || apt_fail "The repository '${url} ./ InRelease' is not signed (no keyring ${keyring})."
  curl -fsS -o /dev/null "${url}InRelease" || apt_fail "The repository '${url} ./ Release' does not have a Release file."
  echo "Get:1 ${url} InRelease"
  cp "${kube_list}" "${pkgs}/lists.kubernetes"
  echo "Reading package lists... Done"
}

apt_install() {
  local allow_held=0 allow_down=0 a name ver v cur minor changes=() c
  local wanted=()
  for a in "$@"; do
    case ${a} in
      --allow-change-held-packages) allow_held=1 ;;
      --allow-downgrades) allow_down=1 ;;
      -*) ;;
      *) wanted+=("${a}") ;;
    esac
  done
  minor=$(repo_minor "${pkgs}/lists.kubernetes")
  # Every package checked before any changes: apt changes nothing when it refuses.
  for a in "${wanted[@]}"; do
    name=${a%%=*} ver=""
    [[ ${a} == *=* ]] && ver=${a#*=}
    if [[ ${image_packages} == *" ${name} "* ]]; then
      echo "${name} is already the newest version (drill: the host image's)."
      continue
    fi
    [[ ${kube_packages} == *" ${name} "* && -n ${minor} ]] || apt_fail "Unable to locate package ${name}"
    v=${ver%%-*}
    [[ -n ${ver} ]] || v=$(newest_built "${minor}")
    [[ ${v} == "${minor}".* ]] || apt_fail "Version '${ver}' for '${name}' was not found (drill: the repository in ${kube_list}, as last fetched, is v${minor})"
    [[ -f ${components}/kubernetes-${v}/.done ]] ||
      apt_fail "Version '${ver}' for '${name}' was not found (drill: Kubernetes ${v} is not built in ${components}; scripts/build-components.sh builds KUBERNETES_VERSION and KUBERNETES_UPGRADE_FROM of scripts/components.env)"
    cur=$(installed "${name}" || true)
    if [[ ${cur} == "${v}" ]]; then
      echo "${name} is already the newest version (${v}-1.1)."
      continue
    fi
    if [[ -n ${cur} && -f ${pkgs}/${name}.hold ]] && ((!allow_held)); then
      apt_fail "Held packages were changed and -y was used without --allow-change-held-packages."
    fi
    if [[ -n ${cur} && $(printf '%s\n' "${cur}" "${v}" | sort -V | head -n 1) == "${v}" ]] && ((!allow_down)); then
      apt_fail "Packages were downgraded and -y was used without --allow-downgrades."
    fi
    changes+=("${name} ${v} ${cur}")
  done
  for c in "${changes[@]}"; do
    read -r name v cur <<<"${c}"
    echo "Setting up ${name} (${v}-1.1)${cur:+, replacing ${cur}-1.1} ..."
    # Renamed into place, as dpkg installs files: a kubectl started meanwhile finds one version.
    echo "${v}" >"${pkgs}/${name}.new"
    mv -f "${pkgs}/${name}.new" "${pkgs}/${name}"
  done
}

# kubeadm_patches: this host's kubelet configuration patch (its cgroup root), for init, join and upgrade.
kubeadm_patches() {
  mkdir -p /run/drill-patches
  printf 'cgroupRoot: /%s\n' "${DRILL_HOST:?}" >/run/drill-patches/kubeletconfiguration+merge.yaml
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
    kube_bin kubeadm >/dev/null
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
        kubeadm_patches
        sed -i 's#^kind: \(Init\|Join\)Configuration$#&\npatches:\n  directory: /run/drill-patches#' "${config}"
      fi
    fi
    case ${sub} in
      "init phase preflight" | "join phase preflight") args+=(--ignore-preflight-errors=SystemVerification) ;;
      "init phase"* | "join phase"*) ;;
      "init "* | "join "*) args+=(--ignore-preflight-errors=SystemVerification) ;;
      "upgrade apply"* | "upgrade node"*)
        # Both run the same SystemVerification preflight as init (cgroup v1, above).
        args+=(--ignore-preflight-errors=SystemVerification)
        if [[ " ${args[*]} " != *" --patches"* ]]; then
          kubeadm_patches
          args+=(--patches /run/drill-patches)
        fi
        ;;
    esac
    exec "$(kube_bin kubeadm)" "${args[@]}"
    ;;
  kubelet | kubectl)
    kube_bin "${me}" >/dev/null
    exec "$(kube_bin "${me}")" "$@"
    ;;
  apt-get)
    sub=""
    for a in "$@"; do [[ ${a} == -* ]] || { sub=${a}; break; }; done
    case ${sub} in
      update) apt_update ;;
      install)
        args=()
        for a in "$@"; do [[ ${a} == install ]] || args+=("${a}"); done
        apt_install "${args[@]}"
        ;;
      *) echo "drill apt-get: ${sub:-(no command)} not emulated" >&2; exit 100 ;;
    esac
    ;;
  apt-mark)
    cmd=${1:-}
    shift || true
    case ${cmd} in
      hold) for p in "$@"; do touch "${pkgs}/${p}.hold"; echo "${p} set on hold."; done ;;
      unhold)
        for p in "$@"; do
          if [[ -f ${pkgs}/${p}.hold ]]; then rm -f "${pkgs}/${p}.hold"; echo "Canceled hold on ${p}."; else echo "${p} was already not on hold."; fi
        done
        ;;
      showhold) for f in "${pkgs}"/*.hold; do [[ -f ${f} ]] && basename "${f}" .hold; done; true ;;
      *) echo "drill apt-mark: ${cmd} not emulated" >&2; exit 100 ;;
    esac
    ;;
  gpg)
    out="" in="" dearmor=0 yes=0
    while (($#)); do
      case $1 in
        --dearmor | --dearmour) dearmor=1 ;;
        --yes) yes=1 ;;
        -o | --output) out=$2; shift ;;
        --batch | -q | --quiet | --no-tty) ;;
        -*) echo "drill gpg: $1 not emulated" >&2; exit 2 ;;
        *) in=$1 ;;
      esac
      shift
    done
    ((dearmor)) || { echo "drill gpg: only --dearmor is emulated" >&2; exit 2; }
    if [[ -n ${out} && -e ${out} ]] && ((!yes)); then
      echo "File '${out}' exists. Overwrite? (y/N) gpg: Sorry, no terminal at all requested - can't get input" >&2
      exit 2
    fi
    if [[ -n ${out} ]]; then cat -- ${in:+"${in}"} >"${out}"; else cat -- ${in:+"${in}"}; fi
    ;;
  hostnamectl) [[ ${1:-} == set-hostname ]] && hostname "$2" ;;
  modprobe) ;;
  blkid)
    if [[ -n ${DRILL_BLKID_FAULT:-} ]]; then
      echo "blkid: drill fault: cannot probe ${*: -1}" >&2
      exit 4
    fi
    exec /usr/sbin/blkid "$@"
    ;;
  logger) echo "${*: -1}" >>/var/log/haform.log ;;
  *)
    echo "drill seams: no seam named ${me}" >&2
    exit 2
    ;;
esac
