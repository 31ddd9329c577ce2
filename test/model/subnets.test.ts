import { describe, expect, it } from 'vitest';
import { contains, formatCidr, overlaps, parseCidr, split } from '../../src/net/cidr.js';
import { defaultSubnetCidrs } from '../../src/model/subnets.js';

describe('cidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8', false],
    ['10.1.2.3/8', '10.0.0.0/8', true],
    ['172.20.32.0/19', '172.20.32.0/19', false],
    ['0.0.0.0/0', '0.0.0.0/0', false],
    ['255.255.255.255/32', '255.255.255.255/32', false],
  ])('parses %s', (text, network, hostBits) => {
    const p = parseCidr(text)!;
    expect(formatCidr(p.cidr)).toBe(network);
    expect(p.hostBits).toBe(hostBits);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '256.0.0.0/8', '10.0.0/8', 'a.b.c.d/8', '010.0.0.0/8', ''])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it('contains and overlaps', () => {
    const c = (s: string) => parseCidr(s)!.cidr;
    expect(contains(c('172.20.0.0/16'), c('172.20.96.0/19'))).toBe(true);
    expect(contains(c('172.20.0.0/16'), c('172.21.0.0/19'))).toBe(false);
    expect(overlaps(c('172.20.32.0/19'), c('172.20.48.0/20'))).toBe(true);
    expect(overlaps(c('172.20.32.0/19'), c('172.20.64.0/19'))).toBe(false);
    expect(split(c('10.0.0.0/16'), 2).map(formatCidr)).toEqual(['10.0.0.0/18', '10.0.64.0/18', '10.0.128.0/18', '10.0.192.0/18']);
  });
});

describe('defaultSubnetCidrs (kops split)', () => {
  it('three zones of 172.20.0.0/16 as kops assigns them', () => {
    expect(defaultSubnetCidrs('172.20.0.0/16', ['a', 'b', 'c'])).toEqual([
      { zone: 'a', cidr: '172.20.32.0/19', utilityCidr: '172.20.0.0/22' },
      { zone: 'b', cidr: '172.20.64.0/19', utilityCidr: '172.20.4.0/22' },
      { zone: 'c', cidr: '172.20.96.0/19', utilityCidr: '172.20.8.0/22' },
    ]);
  });

  it('more than seven zones split the network further, still without overlap', () => {
    const zones = Array.from({ length: 9 }, (_, i) => `z${i}`);
    const subnets = defaultSubnetCidrs('10.0.0.0/16', zones)!;
    const all = subnets.flatMap((s) => [s.cidr, s.utilityCidr]).map((s) => parseCidr(s)!.cidr);
    for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    expect(subnets[0]!.cidr).toBe('10.0.16.0/20');
  });

  it('refuses a network too small for /28 subnets', () => {
    expect(defaultSubnetCidrs('10.0.0.0/26', ['a', 'b', 'c'])).toBeUndefined();
    expect(defaultSubnetCidrs('10.0.0.0/23', ['a', 'b', 'c'])).toBeUndefined();
    expect(defaultSubnetCidrs('10.0.0.0/22', ['a', 'b', 'c'])![0]).toEqual({ zone: 'a', cidr: '10.0.0.128/25', utilityCidr: '10.0.0.0/28' });
  });
});
