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

  it.each(['10.0.0.0', '10.0.0.0/33', '256.0.0.0/8', '10.0.0/8', 'a.b.c.d/8', '010.0.0.0/8', '', 'x10.0.0.0/8', '10.0.0.0/8x', ' 10.0.0.0/8'])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it('contains and overlaps', () => {
    const c = (s: string) => parseCidr(s)!.cidr;
    expect(contains(c('172.20.0.0/16'), c('172.20.96.0/19'))).toBe(true);
    expect(contains(c('172.20.0.0/16'), c('172.21.0.0/19'))).toBe(false);
    expect(overlaps(c('172.20.32.0/19'), c('172.20.48.0/20'))).toBe(true);
    expect(overlaps(c('172.20.32.0/19'), c('172.20.64.0/19'))).toBe(false);
    expect(split(c('10.0.0.0/16'), 2).map(formatCidr)).toEqual(['10.0.0.0/18', '10.0.64.0/18', '10.0.128.0/18', '10.0.192.0/18']);
    // Down to single addresses, and no further (mutation testing found both edges untested).
    expect(split(c('10.0.0.0/31'), 1).map(formatCidr)).toEqual(['10.0.0.0/32', '10.0.0.1/32']);
    expect(split(c('10.0.0.0/31'), 2)).toEqual([]);
  });
});

describe('defaultSubnetCidrs (the split of kops 1.28+)', () => {
  // kops's own results for 172.20.0.0/16 (upup/pkg/fi/cloudup/subnets.go, and its tests).
  it.each([
    [1, false, [['172.20.0.0/16', '']]],
    [2, false, [['172.20.0.0/17', ''], ['172.20.128.0/17', '']]],
    [3, false, [['172.20.0.0/18', ''], ['172.20.64.0/18', ''], ['172.20.128.0/18', '']]],
    [1, true, [['172.20.128.0/17', '172.20.0.0/20']]],
    [3, true, [['172.20.64.0/18', '172.20.0.0/21'], ['172.20.128.0/18', '172.20.8.0/21'], ['172.20.192.0/18', '172.20.16.0/21']]],
  ] as const)('%i zone(s), private %s, as kops assigns them', (n, priv, want) => {
    const zones = ['us-west-2a', 'us-west-2b', 'us-west-2c'].slice(0, n);
    expect(defaultSubnetCidrs('172.20.0.0/16', zones, priv)!.map((s) => [s.cidr, s.utilityCidr])).toEqual(want);
  });

  it('zones take their blocks in name order, as kops sorts them, whatever the YAML order', () => {
    const got = defaultSubnetCidrs('172.20.0.0/16', ['us-west-2c', 'us-west-2a', 'us-west-2b'], false)!;
    expect(got.map((s) => `${s.zone}=${s.cidr}`)).toEqual(['us-west-2c=172.20.128.0/18', 'us-west-2a=172.20.0.0/18', 'us-west-2b=172.20.64.0/18']);
  });

  it('property: for any network and zone count, no overlap, all inside, equal sizes, utility smaller', () => {
    for (const net of ['10.0.0.0/16', '172.20.0.0/16', '192.168.0.0/20', '10.10.0.0/18']) {
      for (let n = 1; n <= 12; n++) {
        for (const priv of [false, true]) {
          const zones = Array.from({ length: n }, (_, i) => `eu-west-1${String.fromCharCode(97 + i)}`);
          const got = defaultSubnetCidrs(net, zones, priv);
          if (!got) continue;
          const parent = parseCidr(net)!.cidr;
          const all = got.flatMap((s) => [s.cidr, ...(priv ? [s.utilityCidr] : [])]).map((c) => parseCidr(c)!.cidr);
          for (const c of all) expect(contains(parent, c), `${net} ${n} ${priv}`).toBe(true);
          for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) expect(overlaps(a, b), `${net} ${n} ${priv}`).toBe(false);
          expect(new Set(got.map((s) => parseCidr(s.cidr)!.cidr.prefix)).size).toBe(1);
          if (priv) expect(parseCidr(got[0]!.utilityCidr)!.cidr.prefix).toBeGreaterThan(parseCidr(got[0]!.cidr)!.cidr.prefix);
          const pieces = n + (priv ? 1 : 0);
          if (pieces <= 8) expect(parseCidr(got[0]!.cidr)!.cidr.prefix - parent.prefix).toBe(pieces <= 1 ? 0 : pieces <= 2 ? 1 : pieces <= 4 ? 2 : 3);
        }
      }
    }
  });

  it('refuses a network too small for /28 subnets', () => {
    expect(defaultSubnetCidrs('10.0.0.0/28', ['a', 'b', 'c'], false)).toBeUndefined();
    expect(defaultSubnetCidrs('10.0.0.0/26', ['a', 'b', 'c'], true)).toBeUndefined();
    expect(defaultSubnetCidrs('10.0.0.0/22', ['a', 'b', 'c'], true)![0]).toEqual({ zone: 'a', cidr: '10.0.1.0/24', utilityCidr: '10.0.0.0/27' });
  });
});
