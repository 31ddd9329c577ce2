import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateFiles } from '../../src/generate.js';
import { loadClusterText } from '../../src/spec/index.js';
import { haform } from '../cli/run.js';

/** The controllers, node groups and backups a cluster YAML asks for, read from what generate writes. */
const yaml = (extra: string, topology = 'public', masters = 3) => `apiVersion: haform.io/v1alpha1
kind: Cluster
metadata:
  name: cloud.example.com
spec:
  zones: [eu-west-1a, eu-west-1b, eu-west-1c]
  masterCount: ${masters}
  nodeCount: 4
  topology: ${topology}
${extra}`;

async function files(extra: string, topology = 'public', masters = 3) {
  const { spec, problems } = loadClusterText('c.yaml', yaml(extra, topology, masters));
  if (!spec) throw new Error(JSON.stringify(problems));
  return new Map((await generateFiles(spec)).map((f) => [f.path, f.content]));
}
const errors = (extra: string, topology = 'public') => (loadClusterText('c.yaml', yaml(extra, topology)).problems ?? []).filter((p) => p.severity === 'error').map((p) => p.rule);

/** The cloud-controller-manager's arguments, as the kustomization patches them in. */
function ccmArgs(f: Map<string, string>): string[] {
  const k = parse(f.get('addons/aws-cloud-controller-manager/kustomization.yaml')!);
  return parse(k.patches[0].patch)[0].value;
}

describe('the cloud controller and the routes', () => {
  it('kindnet: the cloud controller writes a route per node to the pod range; other networking: no routes', async () => {
    expect(ccmArgs(await files('  networking: kindnet\n'))).toEqual(expect.arrayContaining(['--configure-cloud-routes=true', '--allocate-node-cidrs=true', '--cluster-cidr=100.96.0.0/11']));
    const calico = ccmArgs(await files('  networking: calico\n'));
    expect(calico).toContain('--configure-cloud-routes=false');
    expect(calico.some((a) => a.startsWith('--cluster-cidr'))).toBe(false);
  });

  it('kindnet in private topology is refused: one route table per zone, the route controller needs one', () => {
    expect(errors('  networking: kindnet\n', 'private')).toEqual(['private-kindnet']);
    expect(errors('  networking: calico\n', 'private')).toEqual([]);
  });

  it('the cloud controller release follows the Kubernetes minor; a minor without one is refused', async () => {
    const f = await files('  kubernetesVersion: 1.33.2\n');
    expect(f.get('addons/aws-cloud-controller-manager/kustomization.yaml')).toContain('newTag: v1.33.4');
    expect(ccmArgs(f)).toContain('--cluster-name=cloud.example.com');
    expect(errors('  kubernetesVersion: 1.29.9\n')).toEqual(['kubernetes-version-unsupported']);
    expect(errors('  kubernetesVersion: 1.38.0\n')).toEqual(['kubernetes-version-unsupported']);
    expect(errors('  kubernetesVersion: 1.37.99\n')).toEqual(['kubernetes-patch-unknown']);
  });

  it('the default StorageClass is encrypted gp3, bound where the pod lands', async () => {
    const sc = parse((await files('')).get('addons/aws-ebs-csi-driver/storageclass.yaml')!);
    expect(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class']).toBe('true');
    expect(sc.parameters).toEqual({ type: 'gp3', encrypted: 'true' });
    expect(sc.volumeBindingMode).toBe('WaitForFirstConsumer');
  });

  it('controllers that call AWS run on the masters with the host network; one CSI controller per master, at most two', async () => {
    for (const [masters, replicas] of [[1, 1], [3, 2]] as const) {
      const f = await files('', 'public', masters);
      const k = parse(f.get('addons/aws-ebs-csi-driver/kustomization.yaml')!);
      const patch = parse(k.patches[0].patch);
      expect(patch.spec.template.spec.hostNetwork).toBe(true);
      expect(patch.spec.template.spec.nodeSelector).toEqual({ 'node-role.kubernetes.io/control-plane': '' });
      expect(patch.spec.replicas).toBe(replicas);
    }
  });
});

describe('worker node groups', () => {
  it('by default one group across every zone; perZone: a group per zone with the count spread', async () => {
    const spread = (await files('')).get('main.tf')!;
    expect([...spread.matchAll(/^module "(nodes\w*)"/gm)].map((m) => m[1])).toEqual(['nodes']);
    expect(spread).toMatch(/module "nodes" \{[\s\S]*?size\s+= 4[\s\S]*?subnet_ids = \[\s*module\.network\.subnet_ids\["eu-west-1a"\],\s*module\.network\.subnet_ids\["eu-west-1b"\],\s*module\.network\.subnet_ids\["eu-west-1c"\]/);
    const perZone = (await files('  nodeGroups: perZone\n')).get('main.tf')!;
    expect([...perZone.matchAll(/^module "(nodes\w*)" \{[\s\S]*?size\s+= (\d)/gm)].map((m) => `${m[1]}=${m[2]}`)).toEqual(['nodes_a=2', 'nodes_b=1', 'nodes_c=1']);
  });

  it('explain says what a zone\'s loss does to the workers, for either kind', () => {
    const r = haform(['explain', 'fixtures/examples/public.yaml']);
    expect(r.stdout).toContain('Workers: one autoscaling group of 3 node(s) across us-west-2a, us-west-2b, us-west-2c');
    expect(r.stdout).toMatch(/us-west-2a\s+1\s+relaunched in the other zones: 3 of 3 back/);
  });
});

describe('etcd backups', () => {
  it('expire after etcd.backupRetentionDays (kops keeps 90); the bucket is protected as the volumes are', async () => {
    const defaults = await files('');
    const dflt = defaults.get('modules/bucket/main.tf')!;
    expect(dflt).toMatch(/expiration \{\s*days = var.backup_retention_days\s*\}/);
    expect(defaults.get('main.tf')).toMatch(/module "bucket" \{[^}]*backup_retention_days = 90\n/);
    expect(dflt).toMatch(/resource "aws_s3_bucket" "this" \{[\s\S]*?prevent_destroy = true/);
    const short = await files('  etcd:\n    backupRetentionDays: 14\n    preventDestroy: false\n');
    const f = short.get('modules/bucket/main.tf')!;
    expect(short.get('main.tf')).toMatch(/module "bucket" \{[^}]*backup_retention_days = 14\n/);
    expect(f).not.toContain('prevent_destroy = true');
    expect(f).toMatch(/filter \{\s*prefix = "backups\/etcd\/main\/"/);
  });
});
