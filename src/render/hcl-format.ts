import { format } from '@cdktn/hcl-tools';

/**
 * hclwrite's formatter (the code behind `terraform fmt`, compiled to WASM by the cdktn project):
 * indentation, alignment of `=`, spacing. What `terraform fmt` does beyond it (unwrapping
 * interpolation-only strings) is done by fixHcl before this runs.
 */
export async function formatHcl(src: string): Promise<string> {
  const out = await format(src);
  return `${out.replace(/\s+$/, '')}\n`;
}
