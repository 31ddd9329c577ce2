import { cniPlan, SERVICE_SUBNET } from '../model/cni.js';
import { MEMBER_TAG, userDataPath } from '../model/names.js';
import type { ClusterPlan } from '../model/plan.js';
import { templates } from './templates.js';
import type { OutputFile } from './write.js';

const API_PORT = 443;

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
    kubernetesMinor: `v${plan.kubernetesVersion.split('.').slice(0, 2).join('.')}`,
    parameterPath: plan.parameterPath,
    apiPort: API_PORT,
  };
  const master = () =>
    t.master({
      ...common,
      initMember: plan.masters[0]!.member,
      networking: plan.networking,
      cniManifest: cni.manifest,
      podSubnet: cni.podSubnet,
      serviceSubnet: SERVICE_SUBNET,
      loadBalancerName: plan.api.loadBalancerName,
      apiName: plan.api.dns?.recordName ?? '',
      memberTagKey: MEMBER_TAG,
    });
  return [
    { path: userDataPath.master, content: master() },
    { path: userDataPath.node, content: t.node(common) },
    ...(plan.bastion ? [{ path: userDataPath.bastion, content: t.bastion(common) }] : []),
  ];
}
