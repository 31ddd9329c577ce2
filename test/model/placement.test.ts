import { describe, expect, it } from 'vitest';
import { analyzeQuorum, placeMasters, quorumSize } from '../../src/model/placement.js';

describe('placeMasters', () => {
  it.each([
    [['us-west-2a'], 1, ['a@us-west-2a']],
    [['us-west-2a', 'us-west-2b', 'us-west-2c'], 3, ['a@us-west-2a', 'b@us-west-2b', 'c@us-west-2c']],
    [['cn-north-1a', 'cn-north-1b'], 3, ['a@cn-north-1a', 'b@cn-north-1b', 'a2@cn-north-1a']],
    [['us-east-1a', 'us-east-1b', 'us-east-1c'], 5, ['a@us-east-1a', 'b@us-east-1b', 'c@us-east-1c', 'a2@us-east-1a', 'b2@us-east-1b']],
    [['eu-west-1a'], 3, ['a@eu-west-1a', 'a2@eu-west-1a', 'a3@eu-west-1a']],
  ])('places %j x%i round-robin with stable names', (zones, count, expected) => {
    expect(placeMasters(zones, count).map((m) => `${m.name}@${m.zone}`)).toEqual(expected);
  });

  it('only adds names when the count grows: existing masters keep theirs', () => {
    const three = placeMasters(['us-east-1a', 'us-east-1b', 'us-east-1c'], 3);
    const five = placeMasters(['us-east-1a', 'us-east-1b', 'us-east-1c'], 5);
    expect(five.slice(0, 3)).toEqual(three);
  });
});

describe('quorum', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [7, 4],
  ])('%i members need %i', (n, q) => expect(quorumSize(n)).toBe(q));

  it('seed example 3: losing the zone with two masters loses quorum', () => {
    const a = analyzeQuorum(placeMasters(['cn-north-1a', 'cn-north-1b'], 3), ['cn-north-1a', 'cn-north-1b']);
    expect(a.zones).toEqual([
      { zone: 'cn-north-1a', members: ['a', 'a2'], remaining: 1, quorumKept: false },
      { zone: 'cn-north-1b', members: ['b'], remaining: 2, quorumKept: true },
    ]);
    expect(a.survivesAnyZoneLoss).toBe(false);
  });

  it('seed example 1: any one zone can be lost', () => {
    const zones = ['us-west-2a', 'us-west-2b', 'us-west-2c'];
    const a = analyzeQuorum(placeMasters(zones, 3), zones);
    expect(a.survivesAnyZoneLoss).toBe(true);
    expect(a.faultTolerance).toBe(1);
  });

  it('five members in three zones survive any zone', () => {
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    expect(analyzeQuorum(placeMasters(zones, 5), zones).survivesAnyZoneLoss).toBe(true);
  });
});
