import { stringify } from 'yaml';
import { addonVersions } from '../model/addons.js';
import { cloudRoutes, cniPlan } from '../model/cni.js';
import { CLUSTER_TAG } from '../model/names.js';
import type { ClusterPlan } from '../model/plan.js';
import type { OutputFile } from './write.js';

/** Where the addons live in the output and, under the same names, in the cluster's bucket. */
export const ADDONS_DIR = 'addons';
/** The file Terraform writes next to the termination handler's kustomization: the queue's URL. */
export const QUEUE_ENV = 'node-termination-handler/queue.env';

const CONTROL_PLANE = { 'node-role.kubernetes.io/control-plane': '' };
const ON_CONTROL_PLANE = [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }];

/**
 * The controllers every master applies (`kubectl apply -k`) after kubeadm, as kustomizations of the
 * upstream manifests at pinned releases: the AWS cloud-controller-manager, the EBS CSI driver with a
 * default encrypted gp3 StorageClass, and the node termination handler in queue mode. Controllers
 * that call AWS run on the masters with the host's network: the masters' instance profile is their
 * credential, and the metadata hop limit of 1 keeps it from every other pod.
 */
export function renderAddons(plan: ClusterPlan, header: string): OutputFile[] {
  const v = addonVersions(plan.kubernetesVersion);
  if (!v) throw new Error(`internal: no addon versions for Kubernetes ${plan.kubernetesVersion}`);
  const comment = (lines: string[]) => `${header}\n${lines.map((l) => `# ${l}`).join('\n')}\n`;
  const file = (path: string, lines: string[], body: unknown): OutputFile => ({ path: `${ADDONS_DIR}/${path}`, content: `${comment(lines)}${stringify(body, { lineWidth: 0 })}` });
  const routes = cloudRoutes(plan.networking);
  const podSubnet = cniPlan(plan.networking).podSubnet;
  // Two replicas when there are two masters to hold them: host-network pods cannot share a host's ports.
  const replicas = Math.min(2, plan.masters.length);

  const ccm = file(
    'aws-cloud-controller-manager/kustomization.yaml',
    [
      `AWS cloud-controller-manager ${v.cloudControllerManager} for Kubernetes ${plan.kubernetesVersion}: provider IDs, zone labels,`,
      'Services of type LoadBalancer, removal of Node objects whose instance is gone.',
      ...(routes ? ['kindnet: it also writes a VPC route per node to its pod range and disables the source/destination check.'] : []),
    ],
    {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [`https://github.com/kubernetes/cloud-provider-aws/examples/existing-cluster/base?ref=${v.cloudControllerManager}`],
      images: [{ name: 'registry.k8s.io/provider-aws/cloud-controller-manager', newTag: v.cloudControllerManager }],
      patches: [
        {
          target: { kind: 'DaemonSet', name: 'aws-cloud-controller-manager' },
          patch: stringify([
            {
              op: 'replace',
              path: '/spec/template/spec/containers/0/args',
              value: [
                '--v=2',
                '--cloud-provider=aws',
                '--use-service-account-credentials=true',
                `--cluster-name=${plan.name}`,
                `--configure-cloud-routes=${routes}`,
                ...(routes ? ['--allocate-node-cidrs=true', `--cluster-cidr=${podSubnet}`] : []),
              ],
            },
          ]),
        },
      ],
    },
  );

  const ebs = file(
    'aws-ebs-csi-driver/kustomization.yaml',
    [`Amazon EBS CSI driver ${v.ebsCsiDriver}: PersistentVolumes on EBS, in the zone of the pod that first uses them.`, 'Its controller runs on the masters; the node plugin on every node reads its instance from the Node object.'],
    {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [`https://github.com/kubernetes-sigs/aws-ebs-csi-driver/deploy/kubernetes/overlays/stable?ref=${v.ebsCsiDriver}`, 'storageclass.yaml'],
      patches: [
        {
          target: { kind: 'Deployment', name: 'ebs-csi-controller' },
          patch: stringify({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'ebs-csi-controller', namespace: 'kube-system' },
            spec: { replicas, template: { spec: { hostNetwork: true, nodeSelector: CONTROL_PLANE, tolerations: ON_CONTROL_PLANE } } },
          }),
        },
        {
          // The cluster's tag on every volume and snapshot it creates: its IAM lets it touch no other
          // (generators/iam.ts). Container 0 is the driver (ebs-plugin).
          target: { kind: 'Deployment', name: 'ebs-csi-controller' },
          patch: stringify([{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: `--extra-tags=${CLUSTER_TAG}=${plan.name}` }]),
        },
      ],
    },
  );
  const storageClass = file('aws-ebs-csi-driver/storageclass.yaml', ['The default StorageClass: encrypted gp3, created in the zone of the first pod that mounts it.'], {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'gp3', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'ebs.csi.aws.com',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
    reclaimPolicy: 'Delete',
    parameters: { type: 'gp3', encrypted: 'true' },
  });

  const nth = file(
    'node-termination-handler/kustomization.yaml',
    [
      `AWS node termination handler ${v.nodeTerminationHandler} in queue mode: cordons and drains a node before its instance goes`,
      '(scale-in, instance refresh, spot interruption, rebalance, scheduled maintenance), from the SQS queue EventBridge',
      'and the groups\' termination lifecycle hooks feed. queue.env holds the queue URL; Terraform writes it.',
    ],
    {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [`https://github.com/aws/aws-node-termination-handler/releases/download/${v.nodeTerminationHandler}/all-resources-queue-processor.yaml`],
      configMapGenerator: [{ name: 'node-termination-handler-queue', namespace: 'kube-system', envs: ['queue.env'] }],
      patches: [
        {
          target: { kind: 'Deployment', name: 'aws-node-termination-handler' },
          patch: stringify({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'aws-node-termination-handler', namespace: 'kube-system' },
            spec: {
              template: {
                spec: {
                  hostNetwork: true,
                  nodeSelector: CONTROL_PLANE,
                  tolerations: ON_CONTROL_PLANE,
                  containers: [
                    {
                      name: 'aws-node-termination-handler',
                      env: [
                        // A strategic merge: null removes the manifest's empty value.
                        { name: 'QUEUE_URL', value: null, valueFrom: { configMapKeyRef: { name: 'node-termination-handler-queue', key: 'QUEUE_URL' } } },
                        { name: 'AWS_REGION', value: plan.region },
                        // Masters are named after their member IP, not their instance: find nodes by provider ID.
                        { name: 'USE_PROVIDER_ID', value: 'true' },
                      ],
                    },
                  ],
                },
              },
            },
          }),
        },
      ],
    },
  );
  return [ccm, ebs, storageClass, nth, ...(plan.clusterAutoscaler ? [clusterAutoscaler(plan, plan.clusterAutoscaler, file)] : [])];
}

/** The upstream AWS manifest the cluster-autoscaler's kustomization starts from, at its release's tag. */
export function clusterAutoscalerManifest(version: string): string {
  return `https://raw.githubusercontent.com/kubernetes/autoscaler/cluster-autoscaler-${version.replace(/^v/, '')}/cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml`;
}

/**
 * The cluster-autoscaler (clusterAutoscaler.enabled), from kubernetes/autoscaler's AWS
 * auto-discovery example at the release of the cluster's minor: it scales the groups that carry both
 * discovery tags (nodes.minSize < nodes.maxSize), within their range. On the masters, as the other
 * controllers that call AWS: their instance profile is its credential. One replica, as upstream has
 * it: a second on the same host-network master would find the metrics port (8085) taken, and leader
 * election makes a second idle anyway.
 */
function clusterAutoscaler(plan: ClusterPlan, ca: NonNullable<ClusterPlan['clusterAutoscaler']>, file: (path: string, lines: string[], body: unknown) => OutputFile): OutputFile {
  return file(
    'cluster-autoscaler/kustomization.yaml',
    [
      `cluster-autoscaler ${ca.version} for Kubernetes ${plan.kubernetesVersion}: adds nodes for pods that fit nowhere, removes nodes`,
      `that stay underused; only in the groups tagged ${ca.discoveryTags.join(' and ')}, between their min and max size.`,
    ],
    {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [clusterAutoscalerManifest(ca.version)],
      images: [{ name: 'registry.k8s.io/autoscaling/cluster-autoscaler', newTag: ca.version }],
      patches: [
        {
          target: { kind: 'Deployment', name: 'cluster-autoscaler' },
          patch: stringify([
            {
              op: 'replace',
              path: '/spec/template/spec/containers/0/command',
              value: [
                './cluster-autoscaler',
                '--v=4',
                '--stderrthreshold=info',
                '--cloud-provider=aws',
                // A node whose pods keep emptyDir data may still go: the drain evicts them as the PDBs allow.
                '--skip-nodes-with-local-storage=false',
                `--expander=${ca.expander}`,
                `--balance-similar-node-groups=${ca.balanceSimilarNodeGroups}`,
                `--node-group-auto-discovery=asg:tag=${ca.discoveryTags.join(',')}`,
              ],
            },
            // The example mounts the host's CA bundle at Amazon Linux's path, which Ubuntu lacks; the
            // image (distroless/static) carries its own.
            { op: 'remove', path: '/spec/template/spec/containers/0/volumeMounts' },
            { op: 'remove', path: '/spec/template/spec/volumes' },
          ]),
        },
        {
          target: { kind: 'Deployment', name: 'cluster-autoscaler' },
          patch: stringify({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'cluster-autoscaler', namespace: 'kube-system' },
            spec: {
              template: {
                spec: {
                  hostNetwork: true,
                  nodeSelector: CONTROL_PLANE,
                  tolerations: ON_CONTROL_PLANE,
                  containers: [{ name: 'cluster-autoscaler', env: [{ name: 'AWS_REGION', value: plan.region }] }],
                },
              },
            },
          }),
        },
      ],
    },
  );
}
