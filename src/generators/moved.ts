import { TerraformElement } from 'cdktn';
import type { Construct } from 'constructs';

/**
 * A `moved` block: terraform moves a resource's state to its new address instead of destroying it.
 * cdktn renders moved blocks only for resources of the same stack; this one moves anything (a module
 * call, a resource inside a child module) through the same renderer.
 */
export class Moved extends TerraformElement {
  constructor(
    scope: Construct,
    id: string,
    private readonly from: string,
    private readonly to: string,
  ) {
    super(scope, id, 'moved');
  }

  override toTerraform(): Record<string, unknown> {
    return { moved: [{ from: this.from, to: this.to }] };
  }

  override toHclTerraform(): Record<string, unknown> {
    // Wrapped as references; the render layer unwraps them into bare addresses.
    return { moved: [{ from: `\${${this.from}}`, to: `\${${this.to}}` }] };
  }
}

/**
 * `removed` blocks with `destroy = false` (Terraform 1.7+): stateful resources that left the
 * configuration (an etcd volume or member interface of a removed master) leave the state and stay
 * in AWS until an operator deletes them on purpose; prevent_destroy cannot do this, it goes with
 * the resource block it sits in. cdktn has no element for removed blocks (its stack renderer drops
 * unknown block kinds), so they are HCL text that the render layer appends to the root module.
 */
export function removedBlocks(addresses: readonly string[]): string {
  return addresses.map((a) => `\nremoved {\nfrom = ${a}\nlifecycle {\ndestroy = false\n}\n}\n`).join('');
}
