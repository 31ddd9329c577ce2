#!/usr/bin/env bash
# Drill hosts: each its own network, mount and UTS namespace on one bridge (the VPC), with its own
# /etc (an overlay over the machine's), /run, /var/lib/{kubelet,containerd,haform}, /mnt/haform,
# /opt/cni, /var/log and a cgroup root of its own; EBS volumes are ext4-less loop devices, which the
# boot script's own functions format and mount. The registry runs in the machine's network, on the
# bridge through a veth of its own.
#
# The VPC, as far as a host's packets meet it (the bridge's namespace, hkv-ID):
#   - the subnets' routers: each subnet's first address (10.98.1.1, ...) on the bridge, forwarding;
#   - EC2's source/destination check, on every host interface (nftables, bridge family): a packet
#     leaves an interface only with that interface's own address as its source; anything else is
#     dropped and counted (`hosts.sh dropped ID`);
#   - the fabric, not the instance, answers ARP in a VPC: a host answers only for the addresses of
#     the interface asked (arp_ignore 1, arp_announce 2), so an address's traffic reaches its own
#     interface, as EC2 delivers it. rp_filter is 2 (loose), as Ubuntu's systemd sets it.
#
#   hosts.sh net ID GW/16 ROUTER/24...   the bridge, the routers, the check, and the machine's
#                                        address GW on the bridge
#   hosts.sh up ID NAME IP/24 ROUTER MAC [master]
#                                   a host, its primary interface eth0 (MAC) configured as DHCP
#                                   leaves it (the subnet and the default route via ROUTER, metric
#                                   100); prints its holder PID (nsenter -t PID -m -n -u)
#   hosts.sh plug ID NAME MAC IP    an interface attached to the running host (eth1), as the kernel
#                                   sees a hot-plugged ENI: down, no address; checked for IP
#   hosts.sh volume ID NAME KIND    a blank 2 GiB volume: prints its loop device
#   hosts.sh down ID NAME           stops everything in the host, keeps its volumes
#   hosts.sh dropped ID             how many packets the source/destination check dropped
#   hosts.sh clean ID               every host, volume and the bridge of drill ID
set -euo pipefail
work=${DRILL_WORK:?}
cmd=$1 id=$2
vpc="hkv-${id}"

# check PORT IP: the source/destination check for the host interface behind bridge port PORT.
check() {
  uncheck "$1"
  ip netns exec "${vpc}" nft add element bridge srcdst checked "{ \"$1\" }"
  ip netns exec "${vpc}" nft add element bridge srcdst owns "{ \"$1\" . $2 }"
}
uncheck() {
  local ip
  for ip in $(ip netns exec "${vpc}" nft list set bridge srcdst owns 2>/dev/null | grep -oE "\"$1\" \. [0-9.]+" | awk '{print $3}'); do
    ip netns exec "${vpc}" nft delete element bridge srcdst owns "{ \"$1\" . ${ip} }"
  done
  ip netns exec "${vpc}" nft delete element bridge srcdst checked "{ \"$1\" }" 2>/dev/null || true
}

case ${cmd} in
  net)
    if ip -o addr show | grep -qF " ${3} "; then
      echo "hosts.sh: ${3} is on this machine already: another drill runs (or one left it: hosts.sh clean)" >&2
      exit 1
    fi
    ip netns add "${vpc}"
    # The routers' MAC address is fixed, as a VPC router's is: a bridge takes the lowest MAC of its
    # ports otherwise, so each host (re)joining the bridge could change it, and every host's ARP
    # entry for its router would go stale (seen: a master unreachable on its primary address for
    # half a minute while another was replaced).
    ip netns exec "${vpc}" ip link add br0 address 0e:00:00:00:00:01 type bridge
    ip netns exec "${vpc}" ip link set br0 up
    for r in "${@:4}"; do ip netns exec "${vpc}" ip addr add "${r}" dev br0; done
    ip netns exec "${vpc}" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.br0.send_redirects=0
    # The source/destination check: the interfaces checked (set checked) and the address each owns
    # (set owns). Frames between hosts pass the bridge's forward hook, those to the routers its
    # input hook. (Delivery is ARP's: see above. A destination check here would also count every
    # copy of a frame the bridge floods.)
    ip netns exec "${vpc}" nft -f - <<'NFT'
table bridge srcdst {
  set checked { type ifname; }
  set owns { type ifname . ipv4_addr; }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ether type ip iifname @checked iifname . ip saddr != @owns counter drop
  }
  chain input {
    type filter hook input priority 0; policy accept;
    ether type ip iifname @checked iifname . ip saddr != @owns counter drop
  }
}
NFT
    ip link add "hkr${id}" type veth peer name "reg${id}" netns "${vpc}"
    ip netns exec "${vpc}" ip link set "reg${id}" master br0 up
    ip addr add "$3" dev "hkr${id}"
    ip link set "hkr${id}" up
    ;;
  dropped)
    ip netns exec "${vpc}" nft list table bridge srcdst | awk '/counter packets/ {for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1)} END {print n + 0}'
    ;;
  up)
    name=$3 addr=$4 router=$5 mac=$6 base="${work}/hosts/$3" state="kubelet containerd haform"
    # A master's /var/lib/kubelet is its events volume's, bound there by the boot script, which
    # binds only what is not a mount point already (as after a reboot, from fstab).
    if [[ ${7:-} == master ]]; then state="containerd haform"; mkdir -p /var/lib/kubelet; fi
    mkdir -p "${base}"/{etc-up,etc-work,run,kubelet,containerd,haform,mnt,cni,log}
    ns="hk${id}${name}"
    ip netns add "${ns}"
    ip netns exec "${ns}" ip link set lo up
    ip netns exec "${ns}" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
      net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.default.rp_filter=2
    ip link add "hv${id}${name}" netns "${vpc}" type veth peer name eth0 address "${mac}" netns "${ns}"
    ip netns exec "${vpc}" ip link set "hv${id}${name}" master br0 up
    check "hv${id}${name}" "${addr%/*}"
    # As DHCP leaves it on EC2 (networkd, route metric 100): the subnet, and the default route
    # through the subnet's router. kubelet and kubeadm take the node's address from the default route.
    ip netns exec "${ns}" ip addr add "${addr}" dev eth0 metric 100
    ip netns exec "${ns}" ip link set eth0 up
    ip netns exec "${ns}" ip route add default via "${router}" dev eth0 metric 100
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
  plug)
    name=$3 mac=$4 ip=$5 ns=$(cat "${work}/hosts/$3/ns")
    ip link add "hv${id}${name}1" netns "${vpc}" type veth peer name eth1 address "${mac}" netns "${ns}"
    ip netns exec "${vpc}" ip link set "hv${id}${name}1" master br0 up
    check "hv${id}${name}1" "${ip}"
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
    # The host's end of its links to the bridge, should anything still hold the namespace, and what
    # the source/destination check knew of them (a new instance has other addresses).
    for port in "hv${id}$3" "hv${id}$3"1; do
      ip netns exec "${vpc}" ip link del "${port}" 2>/dev/null || true
      uncheck "${port}"
    done
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
