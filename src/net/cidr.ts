/** IPv4 CIDR arithmetic: just what subnet planning and validation need. */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`. Returns undefined when malformed; `hostBits` is true when bits below the prefix are set. */
export function parseCidr(text: string): { cidr: Cidr; hostBits: boolean } | undefined {
  const m = CIDR_RE.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  if (m.slice(1, 5).some((o) => o.length > 1 && o.startsWith('0'))) return undefined;
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const base = maskBase(addr, prefix);
  return { cidr: { base, prefix }, hostBits: base !== addr };
}

function maskBase(addr: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(addr / size) * size;
}

export function formatCidr(c: Cidr): string {
  const o = [24, 16, 8, 0].map((s) => Math.floor(c.base / 2 ** s) % 256);
  return `${o.join('.')}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + size(inner) <= outer.base + size(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** Splits `c` into `2^bits` equal blocks, in address order. */
export function split(c: Cidr, bits: number): Cidr[] {
  const prefix = c.prefix + bits;
  if (prefix > 32) return [];
  const step = 2 ** (32 - prefix);
  return Array.from({ length: 2 ** bits }, (_, i) => ({ base: c.base + i * step, prefix }));
}
