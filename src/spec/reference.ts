/** The README's YAML reference, rendered from the schema so that the two cannot drift apart. */

interface Node {
  description?: string;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, Node>;
  items?: Node;
  required?: string[];
}

export function renderReference(schema: Node): string {
  const rows: string[] = ['| field | type | default | description |', '| --- | --- | --- | --- |'];
  walk(schema, '', rows, new Set(schema.required ?? []));
  return `${rows.join('\n')}\n`;
}

function walk(node: Node, prefix: string, rows: string[], required: Set<string>): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const def = child.default === undefined ? (required.has(key) ? 'required' : '') : `\`${JSON.stringify(child.default)}\``;
    rows.push(`| \`${path}\` | ${typeOf(child)} | ${def} | ${(child.description ?? '').replace(/\|/g, '\\|')} |`);
    if (child.properties) walk(child, path, rows, new Set(child.required ?? []));
    if (child.items?.properties) walk(child.items, `${path}[]`, rows, new Set(child.items.required ?? []));
  }
}

function typeOf(n: Node): string {
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'any'}`;
  return n.type ?? 'object';
}
