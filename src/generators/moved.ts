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
