/**
 * The IAM actions each controller's project documents, for the versions pinned in
 * src/model/addons.ts, read from their sources at those tags. A version bump there fails the IAM test
 * until this file is read again from the new tag.
 */
export const UPSTREAM_IAM = {
  cloud_controller: {
    source: 'kubernetes/cloud-provider-aws docs/prerequisites.md, control plane policy',
    version: 'v1.37.1',
    // Its ecr: actions serve the kubelet's image pulls, not the controller: the PullImages statement.
    actions: `autoscaling:DescribeAutoScalingGroups autoscaling:DescribeLaunchConfigurations autoscaling:DescribeTags ec2:AttachVolume
      ec2:AuthorizeSecurityGroupIngress ec2:CreateRoute ec2:CreateSecurityGroup ec2:CreateTags ec2:CreateVolume ec2:DeleteRoute
      ec2:DeleteSecurityGroup ec2:DeleteVolume ec2:DescribeAvailabilityZones ec2:DescribeInstanceTopology ec2:DescribeInstances
      ec2:DescribeRegions ec2:DescribeRouteTables ec2:DescribeSecurityGroups ec2:DescribeSubnets ec2:DescribeVolumes ec2:DescribeVpcs
      ec2:DetachVolume ec2:ModifyInstanceAttribute ec2:ModifyVolume ec2:RevokeSecurityGroupIngress elasticloadbalancing:AddTags
      elasticloadbalancing:ApplySecurityGroupsToLoadBalancer elasticloadbalancing:AttachLoadBalancerToSubnets
      elasticloadbalancing:ConfigureHealthCheck elasticloadbalancing:CreateListener elasticloadbalancing:CreateLoadBalancer
      elasticloadbalancing:CreateLoadBalancerListeners elasticloadbalancing:CreateLoadBalancerPolicy elasticloadbalancing:CreateTargetGroup
      elasticloadbalancing:DeleteListener elasticloadbalancing:DeleteLoadBalancer elasticloadbalancing:DeleteLoadBalancerListeners
      elasticloadbalancing:DeleteTargetGroup elasticloadbalancing:DeregisterInstancesFromLoadBalancer elasticloadbalancing:DeregisterTargets
      elasticloadbalancing:DescribeListeners elasticloadbalancing:DescribeLoadBalancerAttributes elasticloadbalancing:DescribeLoadBalancerPolicies
      elasticloadbalancing:DescribeLoadBalancers elasticloadbalancing:DescribeTargetGroups elasticloadbalancing:DescribeTargetHealth
      elasticloadbalancing:DetachLoadBalancerFromSubnets elasticloadbalancing:ModifyListener elasticloadbalancing:ModifyLoadBalancerAttributes
      elasticloadbalancing:ModifyTargetGroup elasticloadbalancing:RegisterInstancesWithLoadBalancer elasticloadbalancing:RegisterTargets
      elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer elasticloadbalancing:SetLoadBalancerPoliciesOfListener
      elasticloadbalancing:SetSecurityGroups iam:CreateServiceLinkedRole kms:DescribeKey`,
  },
  ebs_csi: {
    source: 'kubernetes-sigs/aws-ebs-csi-driver docs/example-iam-policy.json',
    version: 'v1.44.0',
    actions: `ec2:DescribeAvailabilityZones ec2:DescribeInstances ec2:DescribeSnapshots ec2:DescribeTags ec2:DescribeVolumes
      ec2:DescribeVolumesModifications ec2:CreateSnapshot ec2:ModifyVolume ec2:AttachVolume ec2:DetachVolume ec2:CreateVolume
      ec2:EnableFastSnapshotRestores ec2:CreateTags ec2:DeleteTags ec2:DeleteVolume ec2:DeleteSnapshot`,
  },
  node_termination: {
    source: 'aws/aws-node-termination-handler README.md, queue processor policy',
    version: 'v1.25.6',
    actions: `autoscaling:CompleteLifecycleAction autoscaling:DescribeAutoScalingInstances autoscaling:DescribeTags ec2:DescribeInstances
      sqs:DeleteMessage sqs:ReceiveMessage`,
  },
} as const;

export const upstreamActions = (a: string) => [...new Set(a.split(/\s+/).filter(Boolean))].sort();

/**
 * What haform leaves out of an upstream policy because its configuration never makes the call, as
 * kops leaves them out (pkg/model/iam/iam_builder.go, AddCCMPermissions): read in the controller's
 * source (cloud-provider-aws pkg/providers/v1: no volume call at all; CreateRoute, DeleteRoute and
 * ModifyInstanceAttribute, the source/destination check, only in aws_routes.go).
 */
export function droppedActions(id: keyof typeof UPSTREAM_IAM, networking: string): string[] {
  if (id !== 'cloud_controller') return [];
  // The EBS CSI driver owns volumes; the in-tree volume code these served is gone from the controller.
  const volumes = ['ec2:AttachVolume', 'ec2:CreateVolume', 'ec2:DeleteVolume', 'ec2:DescribeVolumes', 'ec2:DetachVolume', 'ec2:ModifyVolume'];
  // --configure-cloud-routes=false unless kindnet (render/addons.ts).
  const routes = networking === 'kindnet' ? [] : ['ec2:CreateRoute', 'ec2:DeleteRoute', 'ec2:ModifyInstanceAttribute'];
  // ec2:CreateTags is kept: the policy holds it to security groups being created or already the cluster's.
  return [...volumes, ...routes].sort();
}

/**
 * The cluster-autoscaler's documented policy (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md,
 * "Full Cluster Autoscaler Features Policy"), the same at every tag haform pins (cluster-autoscaler-1.31.5
 * to 1.36.1, read 2026-12-03), apart from UPSTREAM_IAM because only a cluster that enables it has the
 * policy. Left out, with the calls read in cloudprovider/aws/aws_wrapper.go: eks:DescribeNodegroup (EKS
 * managed groups only), DescribeLaunchConfigurations (launch configurations; haform's groups use
 * launch templates), DescribeImages and GetInstanceTypesFromInstanceRequirements (both only for a mixed
 * instances policy by attribute requirements; haform names the instance types).
 */
export const UPSTREAM_CLUSTER_AUTOSCALER = {
  source: 'kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md, full features policy',
  version: 'v1.36.1',
  actions: `autoscaling:DescribeAutoScalingGroups autoscaling:DescribeAutoScalingInstances autoscaling:DescribeLaunchConfigurations
    autoscaling:DescribeScalingActivities ec2:DescribeImages ec2:DescribeInstanceTypes ec2:DescribeLaunchTemplateVersions
    ec2:GetInstanceTypesFromInstanceRequirements eks:DescribeNodegroup autoscaling:SetDesiredCapacity
    autoscaling:TerminateInstanceInAutoScalingGroup`,
  dropped: ['autoscaling:DescribeLaunchConfigurations', 'ec2:DescribeImages', 'ec2:GetInstanceTypesFromInstanceRequirements', 'eks:DescribeNodegroup'],
} as const;
