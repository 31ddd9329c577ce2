#!/usr/bin/env bash
# Drill hosts: each its own network, mount and UTS namespace on one bridge (a subnet), with its own
# /etc (an overlay over the machine's), /run, /var/lib/{kubelet,containerd,haform}, /mnt/haform,
# /opt/cni, /var/log and a cgroup root of its own; EBS volumes are ext4-less loop devices, which the
# boot script's own functions format and mount. The registry runs in the machine's network, on the
# bridge through a veth of its own.
#
#   hosts.sh net ID GW/16           the bridge (namespace hkv-ID) and the machine's address GW on it
#   hosts.sh up ID NAME IP/16 [master]  a host; prints its holder PID (nsenter -t PID -m -n -u)
#   hosts.sh volume ID NAME KIND    a blank 2 GiB volume: prints its loop device
#   hosts.sh down ID NAME           stops everything in the host, keeps its volumes
#   hosts.sh clean ID               every host, volume and the bridge of drill ID
set -euo pipefail
work=${DRILL_WORK:?}
cmd=$1 id=$2
vpc="hkv-${id}"

case ${cmd} in
  net)
    if ip -o addr show | grep -qF " ${3} "; then
      echo "hosts.sh: ${3} is on this machine already: another drill runs (or one left it: hosts.sh clean)" >&2
      exit 1
    fi
    ip netns add "${vpc}"
    ip netns exec "${vpc}" ip link add br0 type bridge
    ip netns exec "${vpc}" ip link set br0 up
    ip link add "hkr${id}" type veth peer name "reg${id}" netns "${vpc}"
    ip netns exec "${vpc}" ip link set "reg${id}" master br0 up
    ip addr add "$3" dev "hkr${id}"
    echo "${3%/*}" >"${work}/gateway"
    ip link set "hkr${id}" up
    ;;
  up)
    name=$3 addr=$4 base="${work}/hosts/$3" state="kubelet containerd haform"
    # A master's /var/lib/kubelet is its events volume's, bound there by the boot script, which
    # binds only what is not a mount point already (as after a reboot, from fstab).
    if [[ ${5:-} == master ]]; then state="containerd haform"; mkdir -p /var/lib/kubelet; fi
    mkdir -p "${base}"/{etc-up,etc-work,run,kubelet,containerd,haform,mnt,cni,log}
    ns="hk${id}${name}"
    ip netns add "${ns}"
    ip netns exec "${ns}" ip link set lo up
    ip link add "hv${id}${name}" netns "${vpc}" type veth peer name eth0 netns "${ns}"
    ip netns exec "${vpc}" ip link set "hv${id}${name}" master br0 up
    ip netns exec "${ns}" ip addr add "${addr}" dev eth0
    ip netns exec "${ns}" ip link set eth0 up
    # The subnet's router: kubelet and kubeadm take the node's address from the default route.
    ip netns exec "${ns}" ip route add default via "$(cat "${work}/gateway")"
    # A cgroup root per host: several kubelets share this kernel.
    for c in /sys/fs/cgroup/*/; do
      c=${c%/}
      [[ ${c} == */unified ]] && continue
      mkdir -p "${c}/${ns}"
    done
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/${ns}/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/${ns}/cpuset.mems"
    nsenter --net="/run/netns/${ns}" unshare --mount --uts --propagation private bash -c "
      set -e
      mount -t overlay overlay -o lowerdir=/etc,upperdir=${base}/etc-up,workdir=${base}/etc-work /etc
      mount -t tmpfs tmpfs /run
      for d in ${state}; do mkdir -p /var/lib/\$d; mount --bind ${base}/\$d /var/lib/\$d; done
      mkdir -p /mnt/haform /opt/cni /var/log
      mount --bind ${base}/mnt /mnt/haform
      mount --bind ${base}/cni /opt/cni
      mount --bind ${base}/log /var/log
      mount --make-rshared /
      hostname ${name}
      echo \$\$ >${base}/pid
      exec sleep infinity" >"${base}/holder.log" 2>&1 &
    for _ in $(seq 50); do [[ -s ${base}/pid ]] && break; sleep 0.1; done
    echo "${ns}" >"${base}/ns"
    cat "${base}/pid"
    ;;
  volume)
    img="${work}/volumes/$3-$4.img"
    mkdir -p "${work}/volumes"
    truncate -s 2G "${img}"
    losetup --find --show "${img}"
    ;;
  down)
    base="${work}/hosts/$3"
    [[ -f ${base}/pid ]] || exit 0
    pid=$(cat "${base}/pid") ns=$(cat "${base}/ns")
    # Every process of the host: those that share its mount or network namespace (the host's own
    # processes, host-network pods) and those in its cgroup root (every container).
    # Only while the holder is alive and still the host's (its network namespace is the host's): a
    # PID left in the file may since name another process, even one of the machine's. Otherwise
    # the cgroup root alone.
    mnt=none net=none
    if [[ $(readlink "/proc/${pid}/ns/net" 2>/dev/null) == "net:[$(stat -L -c %i "/run/netns/${ns}" 2>/dev/null)]" ]]; then
      mnt=$(readlink "/proc/${pid}/ns/mnt") net=$(readlink "/proc/${pid}/ns/net")
    fi
    # Until a pass finds none: a supervisor (the systemctl seam's restart loop) killed after its
    # child starts another, which the pass has gone by; that one would keep the namespace alive.
    for _ in $(seq 20); do
      killed=0
      for d in /proc/[0-9]*; do
        p=${d#/proc/}
        [[ $p == "$$" ]] && continue
        if [[ $(readlink "$d/ns/mnt" 2>/dev/null) == "${mnt}" || $(readlink "$d/ns/net" 2>/dev/null) == "${net}" ]] || grep -q ":/${ns}/" "$d/cgroup" 2>/dev/null; then
          kill -9 "$p" 2>/dev/null && killed=$((killed + 1))
        fi
      done
      sleep 0.5
      ((killed > 0)) || break
    done
    # The host's end of its link to the bridge, should anything still hold the namespace.
    ip netns exec "${vpc}" ip link del "hv${id}$3" 2>/dev/null || true
    for c in /sys/fs/cgroup/*/"${ns}"; do find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; done
    ip netns del "${ns}" 2>/dev/null || true
    rm -f "${base}/pid"
    ;;
  clean)
    for h in "${work}"/hosts/*/; do
      if [[ -d $h ]]; then "$0" down "${id}" "$(basename "$h")" || true; fi
    done
    for l in $(losetup -a | grep -F "${work}/volumes/" | cut -d: -f1 || true); do losetup -d "$l" || true; done
    ip netns del "${vpc}" 2>/dev/null || true
    ip link del "hkr${id}" 2>/dev/null || true
    ;;
esac
