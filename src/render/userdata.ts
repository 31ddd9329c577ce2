import { gzipSync } from 'node:zlib';
import { HaformError } from '../errors.js';
import { CERT_METRICS_EVERY_HOURS, ETCD_DEFAULT_QUOTA_BYTES, METRICS, METRICS_EVERY_SECONDS } from '../model/alarms.js';
import { cniPlan, SERVICE_SUBNET } from '../model/cni.js';
import { basename } from 'node:path';
import { BACKUP_PREFIX, BOOT_PREFIX, MEMBER_TAG, userDataPath } from '../model/names.js';
import { mirrored, PROXIED_REGISTRIES, releaseOf } from '../model/versions.js';
import type { ClusterPlan } from '../model/plan.js';
import { templates } from './templates.js';
import type { OutputFile } from './write.js';

const API_PORT = 443;
/** EC2 refuses user data over 16 KB; the launch templates send each script gzip-compressed. */
export const USER_DATA_LIMIT = 16 * 1024;

/** The user data EC2 receives for a script: what Terraform's base64gzip compresses (best compression). */
export function userDataBytes(script: string): number {
  return gzipSync(userDataText(script), { level: 9 }).length;
}

/** The script as the launch template sends it: without its comment lines (instances.ts, COMMENT_LINE). */
export function userDataText(script: string): string {
  return script.replace(/^[ \t]*#([^!].*)?\n/gm, '');
}

/**
 * The boot scripts, as plain files in the output: reviewable in pull requests. Only static values
 * are baked in; everything known after apply (IDs, IPs, the load balancer's name in DNS, join
 * material) is found at boot through the AWS API, by tags.
 */
export function renderUserData(plan: ClusterPlan, header: string): OutputFile[] {
  const t = templates();
  const cni = cniPlan(plan.networking);
  const common = {
    header,
    cluster: plan.name,
    region: plan.region,
    kubernetesVersion: plan.kubernetesVersion,
    parameterPath: plan.parameterPath,
    apiPort: API_PORT,
    pauseImage: `registry.k8s.io/pause:${releaseOf(plan.kubernetesVersion).pause}`,
    assets: {
      kubernetesPackages: mirrored('https://pkgs.k8s.io/core:/stable:', plan.assets.fileRepository),
      containerProxy: plan.assets.containerProxy ?? '',
      proxiedRegistries: plan.assets.containerProxy ? PROXIED_REGISTRIES.join(' ') : '',
    },
  };
  const master = () =>
    t.master({
      ...common,
      initMember: plan.masters[0]!.member,
      networking: plan.networking,
      cniManifest: cni.manifest && mirrored(cni.manifest, plan.assets.fileRepository),
      cniManifestPodSubnet: cni.manifestPodSubnet ?? '',
      podSubnet: cni.podSubnet,
      serviceSubnet: SERVICE_SUBNET,
      loadBalancerName: plan.api.loadBalancerName,
      apiName: plan.api.dns?.recordName ?? '',
      internalApiName: plan.api.internalName,
      memberTagKey: MEMBER_TAG,
      backupPrefix: BACKUP_PREFIX,
      kmsKeyAlias: plan.kms.alias,
      etcdQuotaBackendBytes: plan.etcd.quotaBackendBytes,
      etcdCompactionRetention: plan.etcd.compactionRetention,
      monitorKey: `${BOOT_PREFIX}/${basename(userDataPath.monitor)}`,
    });
  const files: OutputFile[] = [
    { path: userDataPath.master, content: master() },
    { path: userDataPath.node, content: t.node(common) },
    ...(plan.bastion ? [{ path: userDataPath.bastion, content: t.bastion(common) }] : []),
  ];
  for (const f of files) {
    const bytes = userDataBytes(f.content);
    // A margin of 1 KB: Terraform's gzip may differ from Node's by a few bytes.
    if (bytes > USER_DATA_LIMIT - 1024) throw new HaformError(`${f.path} compresses to ${bytes} bytes, too close to EC2's user-data limit of ${USER_DATA_LIMIT}: this is a haform bug, please report it.`, 1);
  }
  // Not user data (no size limit): the masters take it from the bucket, where Terraform uploads userdata/*.sh.
  if (plan.alarms) {
    const monitor = t.monitor({
      ...common,
      namespace: plan.alarms.namespace,
      backupPrefix: BACKUP_PREFIX,
      metrics: METRICS,
      metricsEverySeconds: METRICS_EVERY_SECONDS,
      certMetricsEveryHours: CERT_METRICS_EVERY_HOURS,
      etcdDefaultQuota: ETCD_DEFAULT_QUOTA_BYTES,
    });
    files.push({ path: userDataPath.monitor, content: monitor });
  }
  return files;
}
