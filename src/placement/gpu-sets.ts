/**
 * GPU sets: which GPUs (by node index) a batch may take. Pure functions over sorted index arrays, so the
 * scheduler can ask "which n GPUs would this batch get now" without side effects.
 */

/** A canonical key for a GPU set, e.g. "0,1": one long-running container exists per (backend, key). */
export function setKey(gpus: readonly number[]): string {
  return [...gpus].sort((a, b) => a - b).join(',');
}

export function isSubset(small: readonly number[], big: ReadonlySet<number>): boolean {
  return small.every((g) => big.has(g));
}

/**
 * The n GPUs to give a batch from `free` (ascending node indices), preferring, in order:
 * 1. a set that already hosts a container for this backend (no new container, engine image already warm);
 * 2. the lowest-indexed run of n consecutive indices (tensor-parallel peers are usually neighbours on the
 *    interconnect);
 * 3. the n lowest free indices.
 * Undefined when fewer than n are free.
 */
export function chooseSet(
  n: number,
  free: ReadonlySet<number>,
  knownSets: readonly (readonly number[])[] = [],
): number[] | undefined {
  if (n <= 0 || free.size < n) return undefined;
  for (const s of knownSets) if (s.length === n && isSubset(s, free)) return [...s].sort((a, b) => a - b);
  const sorted = [...free].sort((a, b) => a - b);
  for (let i = 0; i + n <= sorted.length; i++) {
    if (sorted[i + n - 1]! - sorted[i]! === n - 1) return sorted.slice(i, i + n);
  }
  return sorted.slice(0, n);
}
