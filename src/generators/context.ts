import type { Construct } from 'constructs';
import { propertyAccess, TerraformHclModule, TerraformOutput, TerraformStack, TerraformVariable, Token } from 'cdktn';
import type { IConstruct } from 'constructs';
import type { ClusterPlan } from '../model/plan.js';
import { hclLiteral } from '../render/hcl-fix.js';

/** The provider range: satisfied by the offline mirror here (5.100) and by current 6.x. */
export const AWS_PROVIDER = { source: 'hashicorp/aws', version: '>= 5.100.0, < 7.0.0' } as const;
/** 1.7: removed blocks. (The emitted tests/ha.tftest.json needs 1.11 for override_during.) */
export const TERRAFORM_REQUIRED_VERSION = '>= 1.7.0';

/** One directory of generated Terraform: the root or a child module. */
export interface ModuleSource {
  /** HCL of blocks cdktn cannot express (removed blocks), appended to the module's own. */
  readonly extraHcl?: string;
  /** Relative to the output directory: '' for the root, 'modules/network', ... */
  readonly dir: string;
  readonly stack: TerraformStack;
  /** Short text written above the module's `main.tf`. */
  readonly summary: string;
}

/** What a concern adds to the root module; generators refer to each other's modules by name only. */
export interface RootContext {
  readonly plan: ClusterPlan;
  readonly stack: TerraformStack;
  /** Module blocks added so far, by Terraform name (`network`, `master_a`, ...). */
  readonly modules: Map<string, TerraformHclModule>;
  /** Shared inputs every module call receives. */
  readonly shared: {
    readonly tags: unknown;
    readonly image: { readonly id: string; readonly rootDevice: string };
    /** The etcd volumes' settings, one local for every master (and the KMS key for bucket and IAM). */
    readonly etcdVolume: unknown;
  };
}

/** One concern of the cluster, like a kops model builder: its child module and how the root calls it. */
export interface Generator {
  readonly name: string;
  modules(scope: Construct, plan: ClusterPlan): ModuleSource[];
  wire(ctx: RootContext): void;
}

/** A child module: no provider block, only required_providers so that it validates on its own. */
export function moduleStack(scope: Construct, id: string): TerraformStack {
  const stack = new TerraformStack(scope, id);
  stack.addOverride('terraform.required_providers.aws', AWS_PROVIDER);
  return stack;
}

/** A module input; `validation` where a wrong value would hurt, so that a hand-written call fails at plan. */
export function variable(stack: TerraformStack, name: string, type: string, description: string, validation?: Validation[]): TerraformVariable {
  return tfName(new TerraformVariable(stack, `variable_${name}`, { type, description, validation }), name);
}

type Validation = { condition: string; errorMessage: string };

/** An Availability Zone name (us-west-2a), not a region: what volumes and subnets are bound to. */
export const AZ_NAME_REGEX = '^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$';

/** The cluster's SSM Parameter Store path, as the bucket and IAM modules take it. */
export function parameterPathVariable(stack: TerraformStack, description: string): TerraformVariable {
  return variable(stack, 'parameter_path', 'string', description, [
    { condition: '${startswith(var.parameter_path, "/") && !endswith(var.parameter_path, "/")}', errorMessage: 'parameter_path starts with / and does not end with one, e.g. /haform/my.cluster.' },
  ]);
}

/** `var.role_names.masters`: one attribute of an object variable (or local), as a string. */
export function field(value: unknown, name: string): string {
  return Token.asString(propertyAccess(value, [name]));
}

export function output(stack: TerraformStack, name: string, value: unknown, description: string): TerraformOutput {
  return tfName(new TerraformOutput(stack, `output_${name}`, { value, description }), name);
}

export function callModule(ctx: RootContext, name: string, dir: string, variables: Record<string, unknown>): TerraformHclModule {
  const mod = new TerraformHclModule(ctx.stack, name, { source: `./${dir}`, skipAssetCreationFromLocalModules: true, variables });
  ctx.modules.set(name, mod);
  return mod;
}

/** A module added earlier in the root, by name. */
export function moduleNamed(ctx: RootContext, name: string): TerraformHclModule {
  const mod = ctx.modules.get(name);
  if (!mod) throw new Error(`internal: module ${name} is wired after a module that needs it`);
  return mod;
}

/** Tags from the YAML are user text: marked literal so that `${` in them never becomes a reference. */
export function literalTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [hclLiteral(k), hclLiteral(v)]));
}

const comments = new WeakMap<IConstruct, string>();

/** A short comment written above the construct's block in the generated file. */
export function describe<T extends IConstruct>(construct: T, text: string): T {
  comments.set(construct, text);
  return construct;
}

export function commentOf(construct: IConstruct): string | undefined {
  return comments.get(construct);
}

/**
 * Terraform names repeat across resource types (`aws_lb.api`, `aws_lb_target_group.api`), construct
 * ids may not: the construct gets a unique id, the block the name a reader expects.
 */
export function tfName<T extends { overrideLogicalId(id: string): void }>(construct: T, name: string): T {
  construct.overrideLogicalId(name);
  return construct;
}
