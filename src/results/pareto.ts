/**
 * Pareto front of energy against throughput: a configuration is on the front when no other one is at least as
 * fast (tok/s) and at least as frugal (J/token) while strictly better on one of the two.
 */
export interface ParetoPoint {
  id: string;
  /** Higher is better (output tokens per second). */
  throughput: number;
  /** Lower is better (joules per output token). */
  energy: number;
}

/** Ids on the front, ordered by throughput (ascending), which is the order to draw its line in. */
export function paretoFront(points: readonly ParetoPoint[]): string[] {
  // Sweep from fastest to slowest: a point is on the front iff it uses less energy than every faster point.
  const sorted = [...points].sort((a, b) => b.throughput - a.throughput || a.energy - b.energy);
  const front: ParetoPoint[] = [];
  let best = Infinity;
  let i = 0;
  while (i < sorted.length) {
    // Points tied on throughput: only the lowest energy among them can be on the front (and its exact duplicates).
    let j = i;
    while (j < sorted.length && sorted[j]!.throughput === sorted[i]!.throughput) j++;
    const lowest = sorted[i]!.energy;
    if (lowest < best) {
      for (let k = i; k < j && sorted[k]!.energy === lowest; k++) front.push(sorted[k]!);
      best = lowest;
    }
    i = j;
  }
  return front.reverse().map((p) => p.id);
}
