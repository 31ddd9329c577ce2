#!/usr/bin/env bash
# The Kubernetes drill: seed example 1 (three masters in three zones, two nodes) from the rendered
# master.sh and node.sh, in hosts of their own (hosts.sh), at the seams of seams.sh, with real
# kubeadm, kubelet, containerd, runc, etcd, the apiserver, flannel, kube-proxy and CoreDNS.
# DRILL_OUT is a generation at the previous minor (KUBERNETES_UPGRADE_FROM of components.env),
# DRILL_OUT_NEW the same cluster regenerated at the default (KUBERNETES_VERSION): the cluster starts
# on the first and is upgraded to the second, whose scripts every later scenario runs.
#   bootstrap     every host booted at once: one init, two control-plane joins through the lock,
#                 two worker joins; flannel applied by the masters from the file repository
#   upgrade       master.sh upgrade on a, b, c in turn (the generated README's runbook), with a
#                 client on n2 polling the API through api.internal every half second and a
#                 Deployment under a PodDisruptionBudget; n1 then replaced by a new instance, n2
#                 upgraded in place (node.sh upgrade)
#   replacement   in the middle of the upgrade (a upgraded, b and c not), master b replaced with
#                 its volumes by an instance of the new generation: the same Node, label, taint, and
#                 the version of its static pods, not the new one
#   lost volumes  master c replaced with blank volumes: its stale etcd member removed, re-added, at
#                 the cluster's (new) version
#   reboot        master a rebooted while blkid cannot probe its volume, then while SSM throttles
#                 (each boot stops, nothing formatted or discarded), then again with both back: it
#                 comes back as itself
#   zone loss     us-west-2a (master a, node n1) lost at once: etcd keeps quorum, the API and the
#                 workload answer from the other zones once the load balancer has taken a out; the
#                 zone back, both return
#   mirror down   the file repository stopped while n1's replacement boots: the boot retries its
#                 download and completes once the repository is back
#   routing       replies to a master's primary address leave its primary interface (the load
#                 balancer's health checks pass); without the boot script's rule for them, EC2's
#                 source/destination check drops them (shown once, after the bootstrap)
# Prints "drill: KEY: VALUE" lines with Kubernetes' and etcd's own answers; the test asserts them.
#
# Stubbed, for want of a real one (each named here and in seams.sh):
#   IMDS           imds.py in each host, IMDSv2 on 169.254.169.254: instance ID, zone, names, the
#                  identity document (region) and the instance profile's credentials (moto's)
#   EC2 instances  each launch is a moto instance in its zone's subnet at the host's address (a
#                  termination frees it), tagged as the generated groups tag theirs: what the
#                  cloud controller reads back (provider ID, zone, type, addresses, existence;
#                  moto has no DescribeInstanceTopology, which the controller logs and goes on)
#   EC2 for masters  the volumes' attachment: a master's volumes are loop devices, handed to the
#                  script's own functions from mount_volume on (attach_volume and install_aws_cli are
#                  not run). The member interface is EC2's (moto's), made as terraform makes it; the
#                  boot script finds and attaches it itself, and the drill plays the attachment's
#                  arrival in the instance (hotplug: IMDS lists it, the kernel gets eth1 with its
#                  MAC). The member tag its autoscaling group puts on each instance is in moto's
#                  EC2; the current members' IPs (member_ips: their groups and interfaces) are the
#                  drill's
#   the VPC        a bridge with a router per subnet, EC2's source/destination check on every host
#                  interface and ARP answered for an interface's own addresses only (hosts.sh). A
#                  master's primary address is new with every instance; its member IP moves with the
#                  member interface. The load balancers' instance targets are primary addresses
#   S3 addons      the bucket (moto's S3) holds what terraform would upload of one addon, the
#                  cloud controller: its kustomize base on GitHub replaced by the same files from
#                  its Go module, and AWS_ENDPOINT_URL (moto) added to its container. The EBS CSI
#                  driver and the termination handler are not uploaded (no images of theirs here).
#                  apply_addons itself runs unchanged
#   Route53        api.internal in the nodes' /etc/hosts: the load balancer's address, as the
#                  private zone's alias says
#   the API load balancers  haproxy (Debian's) on the machine's side of the bridge, in TCP mode,
#                  not retrying, with the masters as instance targets and the health check of the
#                  generated target groups (HTTPS /readyz, 200, every 10 s, 2 to fall, 2 to rise):
#                  one haproxy for the internal load balancer of api.internal (kubelets, the
#                  clients on n2) and the API's own, which share those settings
#   pkgs.k8s.io    the file repository serves, for the minor of each version set of components.env,
#                  placeholder Release.key and InRelease files under pkgs.k8s.io/core:/stable:/v1.M/deb/;
#                  the packages themselves are the package seams (apt-get, apt-mark, gpg in seams.sh),
#                  which "install" the binaries built by scripts/build-components.sh. The host image
#                  ships no Kubernetes: every new instance installs the version its boot script picks.
#   SSM Run Command  for haform kubeconfig: an `aws` on its PATH runs the command it sends in host a
#                  with sh, as the SSM agent would, and answers with what it printed
# SSM is moto (test/emulator/moto_shim.py) through the real AWS CLI; faults come from ssm-fault.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${DRILL_WORK:?}" "${DRILL_OUT:?}" "${DRILL_OUT_NEW:?}" "${DRILL_ID:?}" "${HAFORM_COMPONENTS:?}"
# shellcheck source-path=SCRIPTDIR source=../../scripts/components.env
. "${here}/../../scripts/components.env"
c=${HAFORM_COMPONENTS}
# The package seams resolve kubeadm, kubelet and kubectl to ${c}/kubernetes-VERSION/bin of the
# version a host installed (seams.sh): no Kubernetes binary is on the hosts' PATH otherwise.
export DRILL_COMPONENTS=${c}
# The drill's own calls to moto (tags, parameters), as the hosts' scripts make theirs.
export AWS_ACCESS_KEY_ID=drill AWS_SECRET_ACCESS_KEY=drill
seams="${DRILL_WORK}/seams"
gw=10.98.0.1
mkdir -p "${seams}"
for s in systemctl kubeadm kubelet kubectl apt-get apt-mark gpg hostnamectl modprobe logger blkid; do ln -sf "${here}/seams.sh" "${seams}/$s"; done
path="${seams}:${c}/containerd-${CONTAINERD_VERSION}/bin:${c}/cri-tools-${CRI_TOOLS_VERSION}/bin:${c}/runc-${RUNC_VERSION}/bin:${PATH}"
hosts() { "${here}/hosts.sh" "$@"; }
services=()
cleanup() {
  hosts clean "${DRILL_ID}" >/dev/null 2>&1 || true
  for s in "${services[@]}"; do kill -- "-${s}" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 143' TERM INT
now() { date +%s; }
# serve NAME URL CMD...: a service on the machine's side of the bridge, up when URL answers.
serve() {
  local name=$1 url=$2
  shift 2
  setsid "$@" >"${DRILL_WORK}/${name}.log" 2>&1 &
  services+=($!)
  for _ in $(seq 150); do curl -s -o /dev/null "${url}" && return 0; sleep 0.2; done
  echo "drill: ${name} did not start (${DRILL_WORK}/${name}.log)" >&2
  return 1
}

t_start=$(now)
# Five kubelets and containerds share this kernel's inotify limits (per user, not per namespace):
# raised as kind's documentation has it, or kubelets fail with "too many open files".
for l in fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=524288; do
  (($(sysctl -n "${l%=*}") >= ${l#*=})) || sysctl -qw "${l}"
done
# The VPC (10.98.0.0/16): the machine's services on 10.98.0.1, one subnet per zone
# (10.98.1.0/24 ...) with its router on .1, EC2's source/destination check (hosts.sh).
hosts net "${DRILL_ID}" "${gw}/16" 10.98.0.254/24 10.98.1.1/24 10.98.2.1/24 10.98.3.1/24
"${here}/../../scripts/build-images.sh" build >"${DRILL_WORK}/images.log" 2>&1
serve registry "http://${gw}:5000/v2/" "${here}/../../scripts/build-images.sh" serve "${gw}:5000"
# The file repository (assets.fileRepository): the flannel manifest of the pinned release, from
# flannel's Go module (the same file as the release asset).
flannel_src=$(go mod download -json "github.com/flannel-io/flannel@v${FLANNEL_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
files="${DRILL_WORK}/files/github.com/flannel-io/flannel/releases/download/v${FLANNEL_VERSION}"
mkdir -p "${files}"
cp "${flannel_src}/Documentation/kube-flannel.yml" "${files}/kube-flannel.yml"
# pkgs.k8s.io (a seam, see the header): the repository of each minor the drill built, as far as the
# boot script (its Release.key) and the apt-get seam (its InRelease) read it.
for v in ${KUBERNETES_UPGRADE_FROM} ${KUBERNETES_VERSION}; do
  repo="${DRILL_WORK}/files/pkgs.k8s.io/core:/stable:/v${v%.*}/deb"
  mkdir -p "${repo}"
  echo "drill placeholder: the signing key of pkgs.k8s.io v${v%.*} (the gpg seam copies it, nothing verifies it)" >"${repo}/Release.key"
  printf 'Origin: drill placeholder of pkgs.k8s.io\nLabel: v%s\nNote: the packages are the apt-get seam of test/k8s/seams.sh\n' "${v%.*}" >"${repo}/InRelease"
done
serve_files() { serve files "http://${gw}:5001/" python3 -m http.server 5001 --bind "${gw}" --directory "${DRILL_WORK}/files"; }
serve_files
files_pid=${services[-1]}
serve moto "http://${gw}:5002/" python3 "${here}/../emulator/moto_shim.py" -H "${gw}" -p 5002
serve ssm-fault "http://${gw}:5003/" python3 "${here}/ssm-fault.py" "${gw}" 5003 ThrottlingException
echo "drill: services up in $(($(now) - t_start))s"
drill_aws() { aws --endpoint-url "http://${gw}:5002" --region us-west-2 "$@"; }
# The cluster's EC2 as the cloud controller reads it: a subnet per zone in the VPC, instances there.
vpc_id=$(drill_aws ec2 create-vpc --cidr-block 10.98.0.0/16 --query Vpc.VpcId --output text)
declare -A SUBNET=()
for i in 1 2 3; do
  z="us-west-2$(tr 123 abc <<<"${i}")"
  SUBNET[${z}]=$(drill_aws ec2 create-subnet --vpc-id "${vpc_id}" --cidr-block "10.98.${i}.0/24" --availability-zone "${z}" --query Subnet.SubnetId --output text)
done
# The instance types of the drill's YAML: the cloud controller labels each Node with its instance's.
master_type=$(sed -n 's/^  masterSize: //p' "${here}/../../fixtures/k8s/drill.yaml")
node_type=$(sed -n 's/^  nodeSize: //p' "${here}/../../fixtures/k8s/drill.yaml")
# The cluster bucket, its name in SSM, as terraform leaves them.
bucket="drill-bucket-${DRILL_ID}"
drill_aws s3api create-bucket --bucket "${bucket}" --create-bucket-configuration LocationConstraint=us-west-2 >/dev/null
drill_aws ssm put-parameter --type SecureString --overwrite --name /haform/hacluster.example.com/cluster/bucket --value "${bucket}" >/dev/null

# upload_addons OUT: what terraform's apply of generation OUT uploads (aws_s3_object.addons), as
# far as the drill runs it (see the header): the cloud controller's kustomization, unchanged but
# for its base (from GitHub at the pinned release; here the same directory of the Go module of
# that release) and moto as its AWS endpoint.
upload_addons() {
  local out=$1 dir k ref src
  dir="${DRILL_WORK}/addons/$(basename "$1")"
  k="${out}/addons/aws-cloud-controller-manager/kustomization.yaml"
  ref=$(sed -n 's#^ *- https://github.com/kubernetes/cloud-provider-aws/examples/existing-cluster/base?ref=\(v[0-9.]*\)$#\1#p' "${k}")
  src=$(go mod download -json "k8s.io/cloud-provider-aws@${ref}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -n ${ref} && -d ${src}/examples/existing-cluster/base ]] || { echo "drill: addons: no cloud controller base for ${k} (${ref})" >&2; return 1; }
  rm -rf "${dir}"
  mkdir -p "${dir}/aws-cloud-controller-manager"
  cp -r "${src}/examples/existing-cluster/base" "${dir}/aws-cloud-controller-manager/base"
  chmod -R u+w "${dir}"
  python3 - "${k}" "${dir}/aws-cloud-controller-manager/kustomization.yaml" "http://${gw}:5002" <<'PY'
import sys, yaml
k = yaml.safe_load(open(sys.argv[1]))
assert len(k["resources"]) == 1 and k["resources"][0].startswith("https://github.com/kubernetes/cloud-provider-aws/"), k["resources"]
k["resources"] = ["base"]
env = [{"op": "add", "path": "/spec/template/spec/containers/0/env", "value": [{"name": "AWS_ENDPOINT_URL", "value": sys.argv[3]}]}]
k["patches"].append({"target": {"kind": "DaemonSet", "name": "aws-cloud-controller-manager"}, "patch": yaml.safe_dump(env)})
yaml.safe_dump(k, open(sys.argv[2], "w"))
PY
  drill_aws s3 rm --recursive --quiet "s3://${bucket}/addons/"
  drill_aws s3 cp --recursive --quiet "${dir}" "s3://${bucket}/addons/"
}
upload_addons "${DRILL_OUT}"

declare -A IP=([a]=10.98.1.10 [b]=10.98.2.10 [c]=10.98.3.10 [n1]=10.98.1.20 [n2]=10.98.2.20)
declare -A ZONE=([a]=us-west-2a [b]=us-west-2b [c]=us-west-2c [n1]=us-west-2a [n2]=us-west-2b)
declare -A GEN=()
# primary NAME [GEN]: the address of the primary interface of host NAME's instance GEN (its current
# one by default). A node has one address; a master's primary address is new with every instance
# (10.98.Z.101, .102, ...), while its member IP (IP above) moves with the member interface.
primary() {
  if [[ $1 == n* ]]; then echo "${IP[$1]}"; else echo "${IP[$1]%.*}.$((100 + ${2:-${GEN[$1]}}))"; fi
}
# subnet NAME: the /24 of host NAME's zone; its router is its first address.
subnet() { echo "${IP[$1]%.*}.0/24"; }
router() { echo "${IP[$1]%.*}.1"; }
# The member interfaces, as terraform leaves them (modules/master, aws_network_interface.member): one
# per master in its zone's subnet, tagged with the cluster and the member. AWS picks their addresses;
# the drill fixes them (the member IPs above).
member_tag=$(sed -n 's/^readonly MEMBER_TAG="\(.*\)"$/\1/p' "${DRILL_OUT}/userdata/master.sh")
for m in a b c; do
  drill_aws ec2 create-network-interface --subnet-id "${SUBNET[${ZONE[$m]}]}" --private-ip-address "${IP[$m]}" \
    --description "etcd member interface of ${m}" \
    --tag-specifications "ResourceType=network-interface,Tags=[{Key=KubernetesCluster,Value=hacluster.example.com},{Key=${member_tag},Value=${m}}]" >/dev/null
done
# The generation the cluster's launch templates carry: the old one until the upgrade starts (its
# runbook applies the new generation first, so every instance launched from then on boots its
# scripts).
gen=${DRILL_OUT}
node_name() { echo "ip-${IP[$1]//./-}.us-west-2.compute.internal"; }

# launch NAME: a new instance in host NAME (a new root disk, a new instance ID each time): its
# group launches it in EC2 (moto), in its zone's subnet at the host's address, with the cluster's
# tags; its IMDS says who it is and serves the instance profile's credentials.
launch() {
  local name=$1 base="${DRILL_WORK}/hosts/$1" id mac type=${node_type}
  [[ ${name} == n* ]] || type=${master_type}
  GEN[${name}]=$((${GEN[${name}]:-0} + 1))
  read -r id mac < <(drill_aws ec2 run-instances --image-id ami-0d1c0ffee0d1c0ffe --instance-type "${type}" --subnet-id "${SUBNET[${ZONE[${name}]}]}" \
    --private-ip-address "$(primary "${name}")" --query 'Instances[0].[InstanceId,NetworkInterfaces[0].MacAddress]' --output text \
    --tag-specifications "ResourceType=instance,Tags=[{Key=KubernetesCluster,Value=hacluster.example.com},{Key=kubernetes.io/cluster/hacluster.example.com,Value=owned}]")
  [[ -n ${mac:-} ]] || { echo "drill: launch: no instance for ${name}" >&2; return 1; }
  mkdir -p "${DRILL_WORK}/report/instances"
  echo "${id}" >>"${DRILL_WORK}/report/instances/${name}"
  rm -rf "${base}"
  mkdir -p "${base}/imds/placement" "${base}/imds/iam/security-credentials" "${base}/imds-dynamic/instance-identity"
  echo "${id}" >"${base}/imds/instance-id"
  echo "${ZONE[${name}]}" >"${base}/imds/placement/availability-zone"
  echo us-west-2 >"${base}/imds/placement/region"
  echo "${type}" >"${base}/imds/instance-type"
  echo "ip-$(primary "${name}" | tr . -).us-west-2.compute.internal" >"${base}/imds/local-hostname"
  primary "${name}" >"${base}/imds/local-ipv4"
  echo "${mac}" >"${base}/imds/mac"
  nic_metadata "${name}" "${mac}" 0 "$(primary "${name}")" "$(subnet "${name}")"
  printf '{"instanceId": "%s", "region": "us-west-2", "availabilityZone": "%s", "instanceType": "%s", "privateIp": "%s"}\n' \
    "${id}" "${ZONE[${name}]}" "${type}" "$(primary "${name}")" >"${base}/imds-dynamic/instance-identity/document"
  printf '{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "drill", "SecretAccessKey": "drill", "Token": "drill", "Expiration": "2099-01-01T00:00:00Z", "LastUpdated": "2026-01-01T00:00:00Z"}\n' \
    >"${base}/imds/iam/security-credentials/drill-instance-profile"
  # A master's autoscaling group tags its instance with the member it is for (EC2, in moto): what
  # the boot finds out first, and what later commands (master.sh upgrade) ask again.
  if [[ ${name} != n* ]]; then
    drill_aws ec2 create-tags --resources "${id}" --tags "Key=${member_tag},Value=${name}"
  fi
  power_on "${name}"
}

# nic_metadata NAME MAC DEVICE IP SUBNET: what IMDS says of an interface attached to host NAME's
# instance.
nic_metadata() {
  local d="${DRILL_WORK}/hosts/$1/imds/network/interfaces/macs/$2"
  mkdir -p "${d}"
  echo "$3" >"${d}/device-number"
  echo "$4" >"${d}/local-ipv4s"
  echo "$5" >"${d}/subnet-ipv4-cidr-block"
  echo 10.98.0.0/16 >"${d}/vpc-ipv4-cidr-block"
}

# hotplug NAME SUBNET: EC2's attachment of an interface to host NAME's running instance, as the
# instance sees it: once moto has the boot script's AttachNetworkInterface, IMDS lists the interface
# and the kernel gets its device (eth1, down, no address: the boot script configures it). A reboot
# finds it attached (power_on plugs it at once). Runs in the background, in a session of its own.
hotplug() {
  local name=$1 base="${DRILL_WORK}/hosts/$1" id out mac ip
  id=$(cat "${base}/imds/instance-id")
  out=$(python3 - "http://${gw}:5002" "${id}" <<'PY'
import sys, time, boto3
ec2 = boto3.client('ec2', endpoint_url=sys.argv[1], region_name='us-west-2', aws_access_key_id='drill', aws_secret_access_key='drill')
for _ in range(600):
    for n in ec2.describe_network_interfaces(Filters=[{'Name': 'attachment.instance-id', 'Values': [sys.argv[2]]}])['NetworkInterfaces']:
        if n['Attachment']['DeviceIndex'] == 1:
            print(n['MacAddress'], n['PrivateIpAddress'])
            sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
PY
  ) || { echo "drill: hotplug: no interface attached to ${name}'s instance ${id} in 300s" >&2; return 1; }
  read -r mac ip <<<"${out}"
  nic_metadata "${name}" "${mac}" 1 "${ip}" "$2"
  "${here}/hosts.sh" plug "${DRILL_ID}" "${name}" "${mac}" "${ip}"
  echo "${mac} ${ip}" >"${base}/member-nic"
  echo "drill: hotplug: ${ip} (${mac}) attached to ${name} (${id})"
}
export -f hotplug nic_metadata
export DRILL_ID gw here

# power_on NAME: the host boots: its namespaces, IMDS on 169.254.169.254, the CNI plugins the
# kubernetes-cni package installs, and crictl's config from cri-tools.
power_on() {
  local name=$1 base="${DRILL_WORK}/hosts/$1" mac ip
  hosts up "${DRILL_ID}" "${name}" "$(primary "${name}")/24" "$(router "${name}")" "$(cat "${base}/imds/mac")" "$([[ ${name} == n* ]] || echo master)" >/dev/null
  mkdir -p "${base}/cni/bin"
  cp "${c}/cni-plugins-${CNI_PLUGINS_VERSION}/bin/"* "${base}/cni/bin/"
  in_ns "${name}" bash -c "mkdir -p /var/lib/haform /etc/systemd/system
    printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\n' >/etc/crictl.yaml
    ip addr add 169.254.169.254/32 dev lo
    setsid python3 ${here}/imds.py ${base}/imds >/var/log/imds.log 2>&1 </dev/null &"
  if [[ ${name} != n* ]]; then
    if [[ -f ${base}/member-nic ]]; then
      read -r mac ip <"${base}/member-nic"
      hosts plug "${DRILL_ID}" "${name}" "${mac}" "${ip}"
    else
      setsid bash -c 'hotplug "$@"' hotplug "${name}" "$(subnet "${name}")" >>"${DRILL_WORK}/hotplug.log" 2>&1 </dev/null &
      services+=($!)
    fi
  fi
  for _ in $(seq 50); do
    in_ns "${name}" curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token >/dev/null && return 0
    sleep 0.2
  done
  echo "drill: IMDS of ${name} did not start" >&2
  return 1
}

in_ns() {
  local name=$1
  shift
  nsenter -t "$(cat "${DRILL_WORK}/hosts/${name}/pid")" -m -n -u env PATH="${path}" DRILL_COMPONENTS="${c}" "$@"
}

# run_script NAME SCRIPT STEPS [ENV...]: SCRIPT sourced in host NAME (its functions, unchanged, but
# for the IMDS stub and the steps above), then STEPS. $0 is the installed copy, as at a reboot.
run_script() {
  local name=$1 script=$2 steps=$3
  shift 3
  cp "${script}" "${DRILL_WORK}/hosts/${name}/haform/$(basename "${script}")"
  in_ns "${name}" env DRILL_HOST="$(cat "${DRILL_WORK}/hosts/${name}/ns")" HAFORM_RETRY_ATTEMPTS=5 \
    AWS_ENDPOINT_URL="http://${gw}:5002" AWS_ACCESS_KEY_ID=drill AWS_SECRET_ACCESS_KEY=drill "$@" \
    bash ${DRILL_TRACE:+-x} -c "
set -euo pipefail
source ${script}
member_ips() { printf '%s\\n' ${IP[a]} ${IP[b]} ${IP[c]}; }
${steps}
" "/var/lib/haform/$(basename "${script}")"
}

# The master's boot from its volumes on: boot() without the EC2 half (see the header). Between the
# mounts and the script's own start, what systemd does at boot: the enabled units start (after a
# reboot, containerd and kubelet; on a new instance none are enabled yet).
master_steps() {
  cat <<STEPS
instance=\$(imds instance-id)
ZONE=\$(imds placement/availability-zone)
wait_for "the \${MEMBER_TAG} tag of \${instance} (set by its autoscaling group)" 30 2 member_tagged "\${instance}"
MEMBER=\$(member_of "\${instance}")
[[ \${MEMBER} == $1 ]] || fail "drill: host $1 booted as member \${MEMBER}"
attach_member_interface "\${instance}"
NODE_NAME=\$(member_node_name "\${MEMBER_IP}")
echo "\${MEMBER_IP}" >"\${ROOT}\${STATE_DIR}/member-ip"
hostnamectl set-hostname "\${NODE_NAME}"
mount_volume $2 \${MAIN_MOUNT}
mount_volume $3 \${EVENTS_MOUNT}
bind_member_state
systemctl drill-boot
start_member
node_identity
STEPS
}

# volumes NAME: the member's two volumes (new blank ones with "new").
volumes() {
  local name=$1 v="${DRILL_WORK}/hosts/$1.volumes"
  if [[ ${2:-} == new || ! -f ${v} ]]; then
    echo "$(hosts volume "${DRILL_ID}" "${name}-${GEN[${name}]:-0}" main) $(hosts volume "${DRILL_ID}" "${name}-${GEN[${name}]:-0}" events)" >"${v}"
  fi
  cat "${v}"
}

boot_master() {
  local name=$1 main events
  read -r main events <"${DRILL_WORK}/hosts/${name}.volumes"
  run_script "${name}" "${gen}/userdata/master.sh" "$(master_steps "${name}" "${main}" "${events}")" "${@:2}"
}

boot_node() {
  local name=$1 m
  echo "${gw} api.internal.hacluster.example.com" >"${DRILL_WORK}/hosts/${name}/etc-up/hosts.drill"
  in_ns "${name}" bash -c 'cat /etc/hosts.drill >>/etc/hosts'
  run_script "${name}" "${gen}/userdata/node.sh" boot
}

# packages NAME...: what each host installed through the package seams (seams.sh).
packages() {
  local h p
  for h in "$@"; do
    printf '%s' "${h}"
    for p in kubelet kubeadm kubectl; do printf ' %s=%s' "${p}" "$(in_ns "${h}" cat "/etc/drill-packages/${p}" 2>/dev/null || echo none)"; done
    printf '; '
  done
}

kubectl_a() { in_ns "${1:-a}" kubectl --kubeconfig /etc/kubernetes/admin.conf "${@:2}"; }
k() { kubectl_a "${ASK:-a}" "$@"; }
etcdctl() {
  # shellcheck disable=SC2016 # expanded by the host's bash
  in_ns "${ASK:-a}" bash -c 'crictl exec "$(crictl ps -q --name "^etcd$" | head -n1)" etcdctl --endpoints=https://127.0.0.1:2379 \
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key "$@"' etcdctl "$@"
}

# initialized NAME: host NAME's Node has its zone label and no uninitialized taint.
initialized() {
  local seen
  seen=$(k get node "$(node_name "$1")" -o 'jsonpath={.metadata.labels.topology\.kubernetes\.io/zone}{range .spec.taints[*]} {.key}{end}' 2>/dev/null) || return 1
  [[ ${seen} == "${ZONE[$1]}"* && ${seen} != *node.cloudprovider.kubernetes.io/uninitialized* ]]
}

# cloud_initialized SCENARIO NAME...: the cloud controller (the addon the masters applied, talking
# to moto) has initialized each host's Node: its instance found from the provider ID, the zone,
# region and instance type labels and the addresses set, the uninitialized taint gone (kubelet
# --cloud-provider=external registers with it; CoreDNS has nowhere to go until it is).
cloud_initialized() {
  local scenario=$1 t h
  shift
  t=$(now)
  for h in "$@"; do
    for _ in $(seq 150); do
      initialized "${h}" && break
      sleep 2
    done
    initialized "${h}" || {
      k -n kube-system logs daemonset/aws-cloud-controller-manager --tail=30 >&2 || true
      k get node "$(node_name "${h}")" -o yaml >&2 || true
      echo "drill: ${scenario}: the cloud controller did not initialize Node ${h} in 300s" >&2
      return 1
    }
  done
  echo "drill: ${scenario}: the cloud controller initialized $* in $(($(now) - t))s"
}

# terminate SCENARIO NAME: the group terminates host NAME's instance: the host stops and EC2 has the
# instance terminated. The cloud controller's node lifecycle controller deletes its Node once the
# Node is NotReady (its kubelet silent for the node monitor grace period) and the instance gone, as
# on AWS before the replacement's kubelet starts; waited for, and timed.
terminate() {
  local scenario=$1 name=$2 t gone=""
  t=$(now)
  hosts down "${DRILL_ID}" "${name}"
  drill_aws ec2 terminate-instances --instance-ids "$(cat "${DRILL_WORK}/hosts/${name}/imds/instance-id")" >/dev/null
  # Gone is NotFound; any other error (an apiserver restarting) is asked again.
  for _ in $(seq 150); do
    [[ $(k get node "$(node_name "${name}")" -o name --request-timeout=10s 2>&1) == *NotFound* ]] && gone=yes && break
    sleep 2
  done
  if [[ -z ${gone} ]]; then
    k -n kube-system logs daemonset/aws-cloud-controller-manager --tail=30 >&2 || true
    echo "drill: ${scenario}: the cloud controller did not delete Node ${name} of its terminated instance in 300s" >&2
    return 1
  fi
  echo "drill: ${scenario}: the cloud controller deleted Node ${name} of the terminated instance in $(($(now) - t))s"
}

# secret_reads: the drill's Secret as each master's own apiserver decrypts it (a GET reads etcd),
# retried while an apiserver that just came back starts.
secret_reads() {
  local m v
  for m in a b c; do
    for _ in $(seq 30); do
      v=$(kubectl_a "${m}" --server "https://${IP[${m}]}:443" get secret drill-secret -o 'jsonpath={.data.value}' --request-timeout=5s 2>/dev/null) && break
      v=""
      sleep 2
    done
    printf '%s=%s ' "${m}" "$(base64 -d <<<"${v}" 2>/dev/null || echo unreadable)"
  done
}

# report SCENARIO: Kubernetes' and etcd's own answers, as JSON under report/SCENARIO for the test.
report() {
  local dir="${DRILL_WORK}/report/$1"
  mkdir -p "${dir}"
  k get nodes -o json >"${dir}/nodes.json"
  etcdctl member list -w json --hex=true >"${dir}/members.json"
  etcdctl endpoint health --cluster -w json >"${dir}/health.json" 2>"${dir}/health.err" || true
  k get configmap drill-canary -o json >"${dir}/canary.json"
  echo "drill: $1: secret: $(secret_reads)"
  echo "drill: $1: secret at rest: $(etcdctl get /registry/secrets/default/drill-secret --print-value-only | tr -c '[:print:]' '.' | head -c 26)"
  echo "drill: $1: nodes: $(k get nodes --no-headers | awk '{printf "%s %s %s; ", $1, $2, $3}')"
  echo "drill: $1: etcd: $(etcdctl member list -w simple | awk -F', ' '{printf "%s %s %s; ", $1, $2, $3}')"
}

wait_ready() {
  local what=$1
  shift
  k wait --for=condition=Ready --timeout=300s "$@" >/dev/null || {
    k get nodes -o wide >&2
    echo "drill: ${what}: not Ready in 300s" >&2
    return 1
  }
}

# The API load balancers (a seam, see the header): haproxy in TCP mode with the target group of the
# generated modules/api, the masters' addresses as instance targets, health-checked as it says.
# Up before the hosts boot: the nodes join through api.internal.
cat >"${DRILL_WORK}/lb.cfg" <<CFG
global
  stats socket ${DRILL_WORK}/lb.sock mode 600 level admin
  log stdout format raw local0
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  # A network load balancer does not retry: a refused or reset connection reaches the client.
  retries 0
frontend api
  bind ${gw}:443
  default_backend masters
backend masters
  # The target group's health check: HTTPS GET /readyz answering 200, every 10 s, 2 to fall, 2 to rise.
  option httpchk GET /readyz
  http-check expect status 200
  default-server check check-ssl verify none inter 10s fall 2 rise 2
  server a $(primary a 1):443
  server b $(primary b 1):443
  server c $(primary c 1):443
CFG
setsid haproxy -db -f "${DRILL_WORK}/lb.cfg" >"${DRILL_WORK}/lb.log" 2>&1 </dev/null &
services+=($!)
# lb_target NAME deregister|register: what the master's autoscaling group does with its instance
# in the target group: deregisters it when it starts terminating the instance (before the
# termination hook), registers the new one, which takes traffic once its health checks pass.
lb_cli() {
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n"); print(s.recv(4096).decode().strip())' \
    "${DRILL_WORK}/lb.sock" "$1"
}
lb_target() {
  case $2 in
    deregister) lb_cli "set server masters/$1 state maint" ;;
    # A new target gets no traffic until its health checks pass (the target group's "initial"
    # state); haproxy leaving maintenance takes it as up at once, and a health set while in
    # maintenance does not hold (both measured: TLS errors to the clients while the new master's
    # apiserver was not yet listening). One line: haproxy runs both before it routes again.
    # An instance target is the instance's primary address, new with every instance.
    register) lb_cli "set server masters/$1 addr $(primary "$1"); set server masters/$1 state ready; set server masters/$1 health down" ;;
  esac
}
# lb_up NAME...: each target in service (its health checks passed), waited for.
lb_up() {
  local m
  for m in "$@"; do
    for _ in $(seq 60); do
      [[ $(lb_targets) == *"${m}=$(primary "${m}") UP;"* ]] && break
      sleep 2
    done
  done
}
# lb_targets: each target's address and state, as the target group reports them.
lb_targets() {
  lb_cli "show stat" | awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i} $1 == "masters" && $2 ~ /^[abc]$/ {a = $col["addr"]; sub(/:[0-9]+$/, "", a); printf "%s=%s %s; ", $2, a, $col["status"]}'
}
# --- bootstrap: every host at once ------------------------------------------------------------
t0=$(now)
for m in a b c; do
  launch "$m"
  volumes "$m" >/dev/null
done
launch n1
launch n2
pids=()
for m in a b c; do
  boot_master "$m" >"${DRILL_WORK}/boot-$m.log" 2>&1 &
  pids+=($!)
done
for n in n1 n2; do
  boot_node "$n" >"${DRILL_WORK}/boot-$n.log" 2>&1 &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
grep -h '^haform: ' "${DRILL_WORK}"/boot-*.log | sed 's/^/  /' || true
if ((failed)); then
  tail -n 30 "${DRILL_WORK}"/boot-*.log >&2
  echo "drill: bootstrap: a boot failed" >&2
  exit 1
fi
echo "drill: bootstrap: every boot script finished in $(($(now) - t0))s"
echo "drill: bootstrap: packages: $(packages a b c n1 n2)"
k create configmap drill-canary --from-literal=written=before >/dev/null
k create secret generic drill-secret --from-literal=value=before >/dev/null
cloud_initialized bootstrap a b c n1 n2
wait_ready bootstrap node --all
echo "drill: bootstrap: all Nodes Ready in $(($(now) - t0))s"
k -n kube-system rollout status deployment/coredns --timeout=300s >/dev/null
k -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=300s >/dev/null
echo "drill: bootstrap: coredns: $(k -n kube-system get deployment coredns -o 'jsonpath={.status.readyReplicas}/{.spec.replicas}')"
report bootstrap
# The reply path of a master with two interfaces: the load balancer's health check reaches master
# a's primary address, and the reply must leave the primary interface. Without the boot script's
# rule for replies from the primary address (member_routes, priority 10010), it leaves the member
# interface and EC2's source/destination check drops it: shown here, so that the drill can fail for
# that bug.
lb_up a b c
echo "drill: bootstrap: load balancer targets: $(lb_targets)"
probe() { curl -sk -o /dev/null -w '%{http_code}' -m 5 "https://$(primary a):443/readyz" || true; }
dropped=$(hosts dropped "${DRILL_ID}")
with=$(probe)
in_ns a ip rule del priority 10010
without=$(probe)
dropped=$(($(hosts dropped "${DRILL_ID}") - dropped))
in_ns a ip rule add priority 10010 from "$(primary a)" table 10
echo "drill: routing: a's primary address answers the health check: ${with}; without the reply rule: ${without}, ${dropped} packets dropped by the source/destination check; with it again: $(probe)"

# A pod on n1 (us-west-2a) serves; a pod on n2 (us-west-2b) reaches it across zones (flannel's
# VXLAN between the hosts), and resolves a Service name through CoreDNS.
flannel_image="ghcr.io/flannel-io/flannel:v${FLANNEL_VERSION}"
k run drill-server --image="${flannel_image}" --restart=Never --overrides="{\"spec\":{\"nodeName\":\"$(node_name n1)\"}}" \
  --command -- sh -c 'echo pod-to-pod >/tmp/index.html && exec busybox httpd -f -p 8080 -h /tmp' >/dev/null
k run drill-client --image="${flannel_image}" --restart=Never --overrides="{\"spec\":{\"nodeName\":\"$(node_name n2)\"}}" \
  --command -- sleep 3600 >/dev/null
k wait --for=condition=Ready --timeout=180s pod/drill-server pod/drill-client >/dev/null || {
  k describe pod drill-server drill-client | grep -A12 -E '^(Name|Conditions|Events):' >&2
  k get nodes -o wide >&2
  echo "drill: pods: not Ready in 180s" >&2
  exit 1
}
server_ip=$(k get pod drill-server -o 'jsonpath={.status.podIP}')
echo "drill: pods: server on $(k get pod drill-server -o 'jsonpath={.spec.nodeName}') client on $(k get pod drill-client -o 'jsonpath={.spec.nodeName}')"
# nc, not wget: busybox 1.35's wget in this image segfaults on the first request (exit 139).
echo "drill: pod-to-pod: $(k exec drill-client -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 10 ${server_ip} 8080" 2>&1 | tail -n1)"
echo "drill: dns: $(k exec drill-client -- nslookup kubernetes.default.svc.cluster.local 2>&1 | sed -n 's/^Address: *\([0-9.]*\).*/\1/p' | tail -n1)"
echo "drill: kubernetes service: $(k get service kubernetes -o 'jsonpath={.spec.clusterIP}')"
# A pod on master a reaches a's own apiserver at the member IP, as the kubernetes Service sends a
# third of its pods' requests: the reply, from the member IP to a pod of this host, must take the
# CNI's route, not the member interface (member_routes, priority 10005). A plain HTTP request to
# the TLS port: the apiserver's answer is its 400.
k run drill-on-a --image="${flannel_image}" --restart=Never --command \
  --overrides="{\"spec\":{\"nodeName\":\"$(node_name a)\",\"tolerations\":[{\"operator\":\"Exists\"}]}}" -- sleep 3600 >/dev/null
k wait --for=condition=Ready --timeout=180s pod/drill-on-a >/dev/null
echo "drill: routing: a pod on a reaches a's apiserver at its member IP: $(k exec drill-on-a -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 ${IP[a]} 443" 2>&1 | head -n 1 | tr -d '\r')"
k delete pod drill-on-a --wait=false >/dev/null

# --- upgrade: the new generation applied, then master by master, then the nodes -----------------
gen=${DRILL_OUT_NEW}
upload_addons "${DRILL_OUT_NEW}"
t_upgrade=$(now)
# The bare pods above would stop a drain (kubectl drain refuses pods no controller recreates).
k delete pod drill-server drill-client --wait=false >/dev/null
# A workload that must keep serving: two replicas in two zones, at most one down at a time (the
# drains respect the PodDisruptionBudget), ready when it answers, a short preStop so endpoints go
# before the pod.
k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: drill-web}
spec:
  replicas: 2
  selector: {matchLabels: {app: drill-web}}
  template:
    metadata: {labels: {app: drill-web}}
    spec:
      terminationGracePeriodSeconds: 10
      # One replica per zone, as a workload that must survive a zone's loss is spread: never both
      # in one zone while the other has a node (its Pending replica waits out a drain there).
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: drill-web}}}
      containers:
        - name: web
          image: ${flannel_image}
          command: [sh, -c, 'echo drill-web >/tmp/index.html && exec busybox httpd -f -p 8080 -h /tmp']
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 2}
          lifecycle: {preStop: {exec: {command: [busybox, sleep, '3']}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: drill-web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: drill-web}}
---
apiVersion: v1
kind: Service
metadata: {name: drill-web}
spec:
  selector: {app: drill-web}
  ports: [{port: 80, targetPort: 8080}]
YAML
k rollout status deployment/drill-web --timeout=180s >/dev/null
web=$(k get service drill-web -o 'jsonpath={.spec.clusterIP}')
# The clients measure from the moment the Service answers on n2 (kube-proxy has its rules).
for _ in $(seq 60); do in_ns n2 curl -sf --max-time 2 "http://${web}/" >/dev/null && break; sleep 1; done
# The clients, on n2 (a host process, not a pod: n2 is drained and upgraded too): every half second
# the API's /version through api.internal (the nodes' name of the API, as kubelet and kube-proxy
# reach it) and the workload through its Service; every two seconds the Deployment's ready
# replicas, with the admin credentials. One line per request: time, what, answer.
in_ns a cat /etc/kubernetes/admin.conf >"${DRILL_WORK}/admin.conf"
rm -f "${DRILL_WORK}/poll.stop"
# shellcheck disable=SC2016 # expanded by the host's bash
in_ns n2 setsid bash -c '
  i=0
  while [[ ! -f $1/poll.stop ]]; do
    t=$(date +%s.%N | cut -c1-14)
    # The HTTP status, and the exit status of curl when the request failed (rc=7 refused, 28 timed out).
    echo "$t api $(curl -sk -o /dev/null -w "%{http_code}" --connect-timeout 3 --max-time 5 https://api.internal.hacluster.example.com:443/version || echo " rc=$?")"
    w=$(curl -s --connect-timeout 3 --max-time 5 "http://$2/" || echo "failed rc=$?")
    echo "$t web $w"
    # A failure is logged with the Service endpoints the API has then: address, node, ready.
    [[ $w == drill-web ]] || echo "$t webendpoints $(kubectl --kubeconfig "$1/admin.conf" get endpointslices -l kubernetes.io/service-name=drill-web --request-timeout=5s \
      -o "jsonpath={range .items[*].endpoints[*]}{.addresses[0]}/{.nodeName}/{.conditions.ready} {end}" 2>&1 | head -c 300)"
    if ((i++ % 4 == 0)); then
      # No readyReplicas field at all when none is ready. Read from etcd (a GET is a quorum read),
      # through api.internal.
      # A failure is logged with the last line kubectl wrote: what the server or the connection said.
      # Up to 10 s, a quorum read on a loaded two-core machine while etcd elects a leader (a
      # stopping member hands leadership over) is slow, not down; how slow is logged (readtook, in ms).
      s=$(date +%s%3N)
      r=$(kubectl --kubeconfig "$1/admin.conf" get deployment drill-web -o "jsonpath={.status.readyReplicas}" --request-timeout=10s 2>"$1/poll.err") &&
        r=${r:-0} || r="unknown: $(tail -n 1 "$1/poll.err" | cut -c1-300)"
      echo "$t ready $r"
      echo "$t readtook $(($(date +%s%3N) - s))"
    fi
    sleep 0.5
  done >>"$1/poll.log" 2>&1' poll "${DRILL_WORK}" "${web}" </dev/null >/dev/null 2>&1 &
# phase NAME: from here on, the clients' answers count for scenario NAME.
phase() { echo "$(date +%s.%N | cut -c1-14) phase $1" >>"${DRILL_WORK}/poll.log"; }
phase upgrade
sleep 5
params() {
  local p
  for p in control-plane/kubernetes-version node/kubernetes-version; do
    printf '%s=%s ' "${p}" "$(aws --endpoint-url "http://${gw}:5002" --region us-west-2 ssm get-parameter --with-decryption \
      --name "/haform/hacluster.example.com/${p}" --query Parameter.Value --output text 2>/dev/null || echo none)"
  done
}
echo "drill: upgrade: before: params: $(params)"
upgrade_master() {
  local t
  t=$(now)
  run_script "$1" "${gen}/userdata/master.sh" upgrade_member >"${DRILL_WORK}/upgrade-$1.log" 2>&1 || {
    tail -n 40 "${DRILL_WORK}/upgrade-$1.log" >&2
    # What the cluster was doing: kubeadm's health-check Job and its pod, the last events.
    k -n kube-system get jobs,pods -o wide --request-timeout=10s >&2 || true
    k get events -A --sort-by=.lastTimestamp --request-timeout=10s 2>&1 | tail -n 25 >&2 || true
    uptime >&2
    echo "drill: upgrade: master.sh upgrade failed on $1" >&2
    exit 1
  }
  grep -h '^haform: ' "${DRILL_WORK}/upgrade-$1.log" | sed 's/^/  /'
  echo "drill: upgrade: $1 in $(($(now) - t))s: packages: $(packages "$1")"
  echo "drill: upgrade: after $1: params: $(params)"
}
upgrade_master a

# --- replacement, in the middle of the upgrade: b terminated, a new instance with its volumes ----
phase replacement
lb_target b deregister
terminate replacement b
t0=$(now)
launch b
lb_target b register
boot_master b >"${DRILL_WORK}/replace-b.log" 2>&1 || { tail -n 40 "${DRILL_WORK}/replace-b.log" >&2; exit 1; }
grep -h '^haform: ' "${DRILL_WORK}/replace-b.log" | sed 's/^/  /'
wait_ready replacement "node/$(node_name b)"
for _ in $(seq 60); do etcdctl endpoint health --cluster >/dev/null 2>&1 && break; sleep 2; done
echo "drill: replacement: b Node Ready and etcd healthy in $(($(now) - t0))s"
echo "drill: replacement: packages: $(packages b)"
lb_up b
echo "drill: replacement: load balancer targets: $(lb_targets)"
report replacement

phase upgrade
upgrade_master b
upgrade_master c
# The nodes, within the skew rules now that every master runs the new version: n1 replaced by a new
# instance (drained first; the Node of the terminated instance deleted by the cloud controller),
# n2 drained and upgraded in place.
t0=$(now)
k drain "$(node_name n1)" --ignore-daemonsets --delete-emptydir-data --timeout=300s >/dev/null
terminate upgrade n1
# The mirror down during a first boot: the file repository (assets.fileRepository) stops before
# n1's new instance boots, and comes back once the boot has retried its download; the boot waits
# (retrying with backoff) and completes.
kill -- "-${files_pid}"
launch n1
boot_node n1 >"${DRILL_WORK}/replace-n1.log" 2>&1 &
boot_pid=$!
for _ in $(seq 90); do grep -q '^haform: retrying: downloading' "${DRILL_WORK}/replace-n1.log" && break; sleep 1; done
echo "drill: mirror-down: $(grep -h '^haform: retrying: downloading' "${DRILL_WORK}/replace-n1.log" | head -n 1)"
serve_files
files_pid=${services[-1]}
wait "${boot_pid}" || { tail -n 40 "${DRILL_WORK}/replace-n1.log" >&2; exit 1; }
grep -h '^haform: ' "${DRILL_WORK}/replace-n1.log" | sed 's/^/  /'
cloud_initialized upgrade n1
wait_ready upgrade "node/$(node_name n1)"
echo "drill: upgrade: n1 replaced in $(($(now) - t0))s: packages: $(packages n1)"
t0=$(now)
k drain "$(node_name n2)" --ignore-daemonsets --delete-emptydir-data --timeout=300s >/dev/null
run_script n2 "${gen}/userdata/node.sh" upgrade_node >"${DRILL_WORK}/upgrade-n2.log" 2>&1 || { tail -n 40 "${DRILL_WORK}/upgrade-n2.log" >&2; exit 1; }
grep -h '^haform: ' "${DRILL_WORK}/upgrade-n2.log" | sed 's/^/  /'
for _ in $(seq 60); do
  [[ $(k get node "$(node_name n2)" -o 'jsonpath={.status.nodeInfo.kubeletVersion}') == "v${KUBERNETES_VERSION}" ]] && break
  sleep 2
done
wait_ready upgrade "node/$(node_name n2)"
k uncordon "$(node_name n2)" >/dev/null
echo "drill: upgrade: n2 upgraded in place in $(($(now) - t0))s: packages: $(packages n2)"
k rollout status deployment/drill-web --timeout=180s >/dev/null
echo "drill: upgrade: done in $(($(now) - t_upgrade))s"
echo "drill: upgrade: after: params: $(params)"
report upgrade
k -n kube-system get pods -l tier=control-plane -o json >"${DRILL_WORK}/report/upgrade/control-plane.json"

# --- lost volumes: master c terminated, its replacement gets blank volumes --------------------
phase lost-volumes
lb_target c deregister
# A replacement instance boots in minutes; by then the Node of the old one is gone (kubeadm's join
# refuses a Ready Node of the same name).
terminate lost-volumes c
t0=$(now)
launch c
lb_target c register
volumes c new >/dev/null
boot_master c >"${DRILL_WORK}/lost-c.log" 2>&1 || { tail -n 40 "${DRILL_WORK}/lost-c.log" >&2; exit 1; }
grep -h '^haform: ' "${DRILL_WORK}/lost-c.log" | sed 's/^/  /'
wait_ready lost-volumes "node/$(node_name c)"
for _ in $(seq 60); do etcdctl endpoint health --cluster >/dev/null 2>&1 && break; sleep 2; done
echo "drill: lost-volumes: c Node Ready and etcd healthy in $(($(now) - t0))s"
echo "drill: lost-volumes: packages: $(packages c)"
report lost-volumes

# --- reboot: master a, SSM throttling, then SSM back --------------------------------------------
phase reboot
ASK=b
ca() { in_ns a sha256sum /etc/kubernetes/pki/ca.crt | cut -c1-16; }
ca_before=$(ca)
# reboot: an EC2 reboot is the OS's own: systemd stops the kubelet, then sends the containers left
# SIGTERM and gives them time (the apiserver fails /readyz and serves on for its shutdown delay,
# while the load balancer's checks take it out); then every process of the host stops and its
# mounts go, and the same instance boots again.
reboot() {
  in_ns a systemctl stop kubelet
  # shellcheck disable=SC2016 # expanded by the host's bash
  in_ns a bash -c 'ids=$(crictl ps -q); [[ -z ${ids} ]] || crictl stop --timeout 60 ${ids} >/dev/null' || true
  hosts down "${DRILL_ID}" a
  power_on a
}
node_uid() { k get node "$(node_name "$1")" -o 'jsonpath={.metadata.uid}'; }
uid_a=$(node_uid a)
reboot
# A volume that cannot be probed (the blkid seam fails as for an I/O error): the boot stops before
# any mkfs, the filesystem stays as it was.
fs_uuid() { blkid -p -s UUID -o value "$(cut -d' ' -f1 "${DRILL_WORK}/hosts/a.volumes")"; }
uuid_before=$(fs_uuid)
if boot_master a DRILL_BLKID_FAULT=1 >"${DRILL_WORK}/reboot-a-blkid.log" 2>&1; then
  echo "drill: blkid-fault: the boot went on while blkid failed" >&2
  exit 1
fi
echo "drill: blkid-fault: $(grep -h '^haform: ' "${DRILL_WORK}/reboot-a-blkid.log" | tail -n1)"
echo "drill: blkid-fault: etcd volume: $([[ $(fs_uuid) == "${uuid_before}" ]] && echo "the same filesystem" || echo REFORMATTED)"
if boot_master a AWS_ENDPOINT_URL_SSM="http://${gw}:5003" HAFORM_RETRY_ATTEMPTS=3 >"${DRILL_WORK}/reboot-a-fault.log" 2>&1; then
  echo "drill: reboot-fault: the boot went on while SSM failed" >&2
  exit 1
fi
echo "drill: reboot-fault: $(grep -h '^haform: ' "${DRILL_WORK}/reboot-a-fault.log" | tail -n1)"
echo "drill: reboot-fault: etcd data: $(in_ns a ls /mnt/haform/etcd-main/data | tr '\n' ' ')"
echo "drill: reboot-fault: ca: $([[ $(ca) == "${ca_before}" ]] && echo unchanged || echo CHANGED)"
reboot
t0=$(now)
boot_master a >"${DRILL_WORK}/reboot-a.log" 2>&1 || { tail -n 40 "${DRILL_WORK}/reboot-a.log" >&2; exit 1; }
grep -h '^haform: ' "${DRILL_WORK}/reboot-a.log" | sed 's/^/  /'
wait_ready reboot "node/$(node_name a)"
for _ in $(seq 60); do etcdctl endpoint health --cluster >/dev/null 2>&1 && break; sleep 2; done
echo "drill: reboot: a Node Ready and etcd healthy in $(($(now) - t0))s"
echo "drill: reboot: packages: $(packages a)"
echo "drill: reboot: ca: $([[ $(ca) == "${ca_before}" ]] && echo unchanged || echo CHANGED)"
# The instance rebooted, it was never gone: the cloud controller keeps its Node.
echo "drill: reboot: Node a: $([[ $(node_uid a) == "${uid_a}" ]] && echo kept || echo "deleted and registered again")"
report reboot

# --- zone loss: us-west-2a, master a and node n1 at once ----------------------------------------
# The zone's instances stop together, without a shutdown (the zone's power or network lost): etcd
# keeps its quorum with b and c, the load balancer takes a out once its health checks fail, and
# the API and the workload answer from the other zones; a write goes through. Then the zone comes
# back: the same instances boot again, a through its boot unit (master.sh boot), n1 through its
# enabled units (kubelet), as after a reboot.
phase zone-loss
t0=$(now)
hosts down "${DRILL_ID}" a &
down_a=$!
hosts down "${DRILL_ID}" n1 &
down_n1=$!
wait "${down_a}" "${down_n1}"
echo "drill: zone-loss: us-west-2a down (a, n1) in $(($(now) - t0))s"
written=""
for _ in $(seq 30); do
  k create configmap drill-zone-loss --from-literal=written=during-zone-loss --request-timeout=10s >/dev/null 2>&1 && written=yes && break
  sleep 2
done
echo "drill: zone-loss: write through b: $([[ -n ${written} ]] && k get configmap drill-zone-loss -o 'jsonpath={.data.written}' || echo failed) (+$(($(now) - t0))s)"
# etcd's own answer: each member's health, as b sees the cluster (a cannot answer).
echo "drill: zone-loss: etcd health: $(etcdctl endpoint health --cluster -w json 2>/dev/null | python3 -c '
import json, sys
print(" ".join("%s=%s" % (e["endpoint"].split("//")[1].split(":")[0], "healthy" if e["health"] else "unhealthy") for e in sorted(json.load(sys.stdin), key=lambda e: e["endpoint"])))' || true)"
for _ in $(seq 60); do
  [[ $(lb_targets) == *"a=$(primary a) DOWN;"* ]] && break
  sleep 1
done
echo "drill: zone-loss: the load balancer took a out after $(($(now) - t0))s: $(lb_targets)"
# n1's pods leave the workload's endpoints once the node lifecycle controller has found n1
# unreachable (its node monitor grace period) and marked them not ready.
for _ in $(seq 120); do
  [[ $(k get endpointslices -l kubernetes.io/service-name=drill-web --request-timeout=5s \
    -o "jsonpath={range .items[*].endpoints[*]}{.nodeName}/{.conditions.ready} {end}" 2>/dev/null) != *"$(node_name n1)/true"* ]] && break
  sleep 1
done
echo "drill: zone-loss: the workload's endpoints on n1 out of service after $(($(now) - t0))s"
# The clients go on with the zone lost, for two minutes from its loss.
left=$((t0 + 120 - $(now)))
sleep $((left > 0 ? left : 0))
echo "drill: zone-loss: nodes: $(k get nodes --no-headers | awk '{printf "%s %s; ", $1, $2}')"
phase zone-back
t0=$(now)
power_on a
power_on n1
boot_master a >"${DRILL_WORK}/zone-back-a.log" 2>&1 &
boot_a=$!
in_ns n1 systemctl drill-boot
wait "${boot_a}" || { tail -n 40 "${DRILL_WORK}/zone-back-a.log" >&2; exit 1; }
grep -h '^haform: ' "${DRILL_WORK}/zone-back-a.log" | sed 's/^/  /'
wait_ready zone-back "node/$(node_name a)" "node/$(node_name n1)"
for _ in $(seq 60); do etcdctl endpoint health --cluster >/dev/null 2>&1 && break; sleep 2; done
echo "drill: zone-back: a and n1 Ready and etcd healthy in $(($(now) - t0))s"
echo "drill: zone-back: written during the loss: $(k get configmap drill-zone-loss -o 'jsonpath={.data.written}')"
lb_up a
report zone-back
# The clients stop; what they saw, per scenario (the test reads the whole log).
phase end
echo "drill: network: the source/destination check dropped $(hosts dropped "${DRILL_ID}") packets in all"
touch "${DRILL_WORK}/poll.stop"
sleep 6
cp "${DRILL_WORK}/poll.log" "${DRILL_WORK}/report/poll.log"
for what in api web ready; do
  echo "drill: clients: ${what} answers: $(awk -v w="${what}" '$2 == w {print $3}' "${DRILL_WORK}/poll.log" | sort | uniq -c | awk '{printf "%s x%s; ", $2, $1}')"
done

# --- restore: every member from one snapshot, by the generated README's runbook ----------------
# The leader's snapshot to the cluster bucket (moto's S3); after it, the Secret changes and a
# ConfigMap is made; then on every master the apiserver and etcd stop, master.sh restore, both
# start again. What the snapshot held is back, read through each master's own apiserver: the
# Secret decrypts with the key on the member's volume.
t0=$(now)
for m in a b c; do
  run_script "${m}" "${gen}/userdata/master.sh" 'load_member && backup_etcd' >>"${DRILL_WORK}/backup.log" 2>&1 || { tail -n 20 "${DRILL_WORK}/backup.log" >&2; exit 1; }
done
snapshot=$(sed -n 's#^haform: etcd snapshot uploaded to s3://[^/]*/##p' "${DRILL_WORK}/backup.log")
echo "drill: restore: snapshots: $(wc -w <<<"${snapshot}") ${snapshot}"
k patch secret drill-secret --type merge -p '{"stringData":{"value":"after"}}' >/dev/null
k create configmap drill-after-backup --from-literal=written=after >/dev/null
echo "drill: restore: before: secret: $(secret_reads)"
static_running() { [[ -z $(in_ns "$1" crictl ps -q --name '^(etcd|kube-apiserver)$') ]]; }
for m in a b c; do
  in_ns "${m}" bash -c 'cd /etc/kubernetes && mv manifests/kube-apiserver.yaml kube-apiserver.yaml.stopped && mv manifests/etcd.yaml etcd.yaml.stopped'
done
for m in a b c; do
  for _ in $(seq 60); do static_running "${m}" && break; sleep 2; done
  static_running "${m}" || { echo "drill: restore: etcd and the apiserver of ${m} did not stop" >&2; exit 1; }
done
for m in a b c; do
  run_script "${m}" "${gen}/userdata/master.sh" "load_member && restore_etcd ${snapshot}" >"${DRILL_WORK}/restore-${m}.log" 2>&1 || { tail -n 20 "${DRILL_WORK}/restore-${m}.log" >&2; exit 1; }
  grep -h '^haform: ' "${DRILL_WORK}/restore-${m}.log" | sed 's/^/  /'
  echo "drill: restore: ${m}: restore.db left: $(in_ns "${m}" ls /var/lib/haform/restore.db 2>/dev/null || echo none)"
done
for m in a b c; do
  in_ns "${m}" bash -c 'cd /etc/kubernetes && mv kube-apiserver.yaml.stopped manifests/kube-apiserver.yaml && mv etcd.yaml.stopped manifests/etcd.yaml'
done
for _ in $(seq 90); do etcdctl endpoint health --cluster >/dev/null 2>&1 && break; sleep 2; done
# A restarted apiserver answers 403 until its authorizer has read the restored RBAC objects
# (measured: kubectl wait failed at once on "kubernetes-admin cannot list nodes").
for _ in $(seq 60); do k get nodes >/dev/null 2>&1 && break; sleep 2; done
wait_ready restore node --all
echo "drill: restore: etcd healthy and every Node Ready in $(($(now) - t0))s"
echo "drill: restore: configmap made after the snapshot: $(k get configmap drill-after-backup -o name 2>&1 | grep -o NotFound || echo present)"
report restore

# --- kubeconfig: haform kubeconfig, its certificate signed by master a's CA -----------------------
# SSM Run Command has a stand-in (no SSM agent here), an `aws` first on haform's PATH:
# describe-instances names master a's instance, send-command keeps what would go to it, and
# get-command-invocation runs that in host a with sh, as the agent does. haform kubeconfig itself,
# openssl, kubeadm's CA and the apiserver that checks the certificate are real. Its findings are
# lines for the test file; a failure here stops nothing else.
kc="${DRILL_WORK}/kubeconfig"
mkdir -p "${kc}/bin"
cat >"${kc}/bin/aws" <<STAND_IN
#!/usr/bin/env bash
set -euo pipefail
case "\$*" in
  *"ec2 describe-instances"*)
    echo '{"Reservations":[{"Instances":[{"InstanceId":"$(cat "${DRILL_WORK}/hosts/a/imds/instance-id")","Tags":[{"Key":"haform.io/etcd-member","Value":"a"}]}]}]}' ;;
  *"ssm send-command"*)
    cp "\$(sed -n 's#.*file://\([^ ]*\).*#\1#p' <<<"\$*")" "${kc}/sent.json"
    echo '{"Command":{"CommandId":"drill-1"}}' ;;
  *"ssm get-command-invocation"*)
    python3 -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1]))["Parameters"]["commands"]))' "${kc}/sent.json" >"${kc}/script.sh"
    if out=\$(nsenter -t "$(cat "${DRILL_WORK}/hosts/a/pid")" -m -n -u sh "${kc}/script.sh" 2>"${kc}/script.err"); then status=Success; else status=Failed; fi
    python3 -c 'import json, sys; print(json.dumps({"Status": sys.argv[1], "StandardOutputContent": sys.argv[2], "StandardErrorContent": open(sys.argv[3]).read()}))' "\${status}" "\${out}" "${kc}/script.err" ;;
  *) echo "drill aws stand-in: not modelled: \$*" >&2; exit 1 ;;
esac
STAND_IN
chmod +x "${kc}/bin/aws"
if PATH="${kc}/bin:${PATH}" HAFORM_KUBECONFIG_WAIT_SCALE=0.2 node "${here}/../../dist/cli.js" kubeconfig "${here}/../../fixtures/k8s/drill.yaml" \
  --user drill-admin --server "https://api.internal.hacluster.example.com:443" --out "${kc}/admin.conf" 2>"${kc}/err"; then
  echo "drill: kubeconfig: $(grep -o 'signed by master [a-z]* ([^)]*)' "${kc}/err")"
  # From n2, through api.internal: who the apiserver says this is, and what it may do. Asked again
  # on a connection error, as any client does: the masters were restored just before (a CI run saw
  # one EOF through the load balancer there); the credential is what is proven here.
  as_admin() {
    local out i
    for i in 1 2 3 4 5; do
      out=$(in_ns n2 kubectl --kubeconfig "${kc}/admin.conf" --request-timeout=10s "$@" 2>&1) && break
      [[ ${out} == *"Unable to connect"* ]] || break
      echo "drill: kubeconfig: try ${i}: ${out}" >&2
      sleep 3
    done
    printf '%s' "${out}"
  }
  echo "drill: kubeconfig: whoami: $(as_admin auth whoami -o 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}' | head -c 300)"
  echo "drill: kubeconfig: nodes: $(as_admin get nodes -o name | grep -c '^node/' || true)"
  echo "drill: kubeconfig: can delete secrets: $(as_admin auth can-i delete secrets -A | head -c 100)"
else
  echo "drill: kubeconfig: failed: $(tail -n 3 "${kc}/err" | tr '\n' ' ' | head -c 400)"
fi

# --- kube-bench: the CIS Kubernetes Benchmark on master a, reported (kube-bench 0.16.0's newest
# benchmark is cis-1.12, written for Kubernetes 1.32-1.34). Its findings go to the log and the
# report; the test file asserts them.
kb="${c}/kube-bench-${KUBE_BENCH_VERSION}"
if [[ -x ${kb}/bin/kube-bench ]]; then
  in_ns a "${kb}/bin/kube-bench" run --benchmark cis-1.12 --config-dir "${kb}/cfg" --targets master,controlplane,etcd,node,policies \
    --json >"${DRILL_WORK}/report/kube-bench.json" 2>"${DRILL_WORK}/kube-bench.err" || echo "drill: kube-bench: exit $?: $(tail -n 1 "${DRILL_WORK}/kube-bench.err")"
  python3 - "${DRILL_WORK}/report/kube-bench.json" <<'PY' || echo "drill: kube-bench: no report"
import json, sys
doc = json.load(open(sys.argv[1]))
by = {}
for control in doc.get("Controls", []):
    for group in control.get("tests") or []:
        for r in group.get("results") or []:
            by.setdefault(r.get("status"), []).append(r.get("test_number"))
print("drill: kube-bench: totals: " + " ".join(f"{k}={len(v)}" for k, v in sorted(by.items())))
for status in ("FAIL", "WARN"):
    print(f"drill: kube-bench: {status}: " + " ".join(by.get(status, [])))
PY
else
  echo "drill: kube-bench: not built (scripts/build-components.sh kube-bench)"
fi
echo "drill: done in $(($(now) - t_start))s"
