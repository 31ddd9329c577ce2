/**
 * Where masters run and what losing a zone does to etcd. Pure functions over plain values, shared by
 * validation (quorum warnings) and planning (names, resources).
 */

export interface MasterPlacement {
  /** Stable logical name: the zone letter, then a2, a3 for further masters in the same zone. */
  readonly name: string;
  readonly zone: string;
}

/** kops's round-robin: master i runs in masterZones[i mod n]. */
export function placeMasters(masterZones: readonly string[], masterCount: number): MasterPlacement[] {
  const perZone = new Map<string, number>();
  const out: MasterPlacement[] = [];
  for (let i = 0; i < masterCount; i++) {
    const zone = masterZones[i % masterZones.length]!;
    const k = (perZone.get(zone) ?? 0) + 1;
    perZone.set(zone, k);
    const letter = zone.slice(-1);
    out.push({ name: k === 1 ? letter : `${letter}${k}`, zone });
  }
  return out;
}

/** Smallest number of etcd members that must agree: a strict majority. */
export function quorumSize(members: number): number {
  return Math.floor(members / 2) + 1;
}

export interface ZoneLoss {
  readonly zone: string;
  readonly members: readonly string[];
  /** Members left when every master of this zone is lost together. */
  readonly remaining: number;
  readonly quorumKept: boolean;
}

export interface QuorumAnalysis {
  readonly members: number;
  readonly quorum: number;
  /** Members that can be lost without losing quorum. */
  readonly faultTolerance: number;
  readonly zones: readonly ZoneLoss[];
  readonly survivesAnyZoneLoss: boolean;
}

/** What each zone's loss leaves: the seed's rule that masters of one AZ are lost together. */
export function analyzeQuorum(masters: readonly MasterPlacement[], zones: readonly string[]): QuorumAnalysis {
  const members = masters.length;
  const quorum = quorumSize(members);
  const losses = zones.map((zone) => {
    const inZone = masters.filter((m) => m.zone === zone).map((m) => m.name);
    const remaining = members - inZone.length;
    return { zone, members: inZone, remaining, quorumKept: remaining >= quorum };
  });
  return {
    members,
    quorum,
    faultTolerance: members - quorum,
    zones: losses,
    survivesAnyZoneLoss: losses.every((l) => l.quorumKept),
  };
}

/** What a zone's outage does to the workers. */
export interface WorkerZoneLoss {
  readonly zone: string;
  /** Nodes the zone holds while every zone is up (the groups balance over their zones). */
  readonly nodes: number;
  /** Nodes running once the autoscaling groups have reacted. */
  readonly remaining: number;
  /** Whether the group launches the zone's nodes again in the other zones. */
  readonly relaunched: boolean;
}

/** What losing the zone leaves of the workers, in words: explain and the generated README say it alike. */
export function workerLossText(w: WorkerZoneLoss, nodeCount: number): string {
  if (w.nodes === 0) return `no nodes there: ${w.remaining} of ${nodeCount} remain`;
  if (w.relaunched) return `relaunched in the other zones: ${w.remaining} of ${nodeCount} back once the group replaces them`;
  return `lost until the zone returns: ${w.remaining} of ${nodeCount} remain`;
}

/**
 * One group across zones (spread) relaunches a lost zone's nodes in the others, as autoscaling
 * groups replace unhealthy instances in their healthy zones; per-zone groups cannot.
 */
export function analyzeWorkers(mode: 'spread' | 'perZone', nodeCount: number, zones: readonly string[]): WorkerZoneLoss[] {
  const base = Math.floor(nodeCount / zones.length);
  const extra = nodeCount % zones.length;
  return zones.map((zone, i) => {
    const nodes = base + (i < extra ? 1 : 0);
    const relaunched = mode === 'spread' && zones.length > 1;
    return { zone, nodes, remaining: relaunched ? nodeCount : nodeCount - nodes, relaunched };
  });
}
