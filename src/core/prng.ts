/**
 * The one seeded PRNG of lem: mulberry32 (a tiny, well-mixed 32-bit generator). Same seed, same sequence, on
 * every platform and Node version: campaign run orders and bootstrap intervals depend on it, so the sequence
 * must never change (tests pin it).
 */

/** The state advances by this odd constant each draw. */
export const MULBERRY32_STEP = 0x6d2b79f5;

/**
 * The output for an already advanced state. Hot loops keep the state in a local
 * (`a = (a + MULBERRY32_STEP) | 0; u = mulberry32Output(a)`), which V8 inlines; everything else uses the
 * generators below.
 */
export function mulberry32Output(a: number): number {
  let t = Math.imul(a ^ (a >>> 15), 1 | a);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}

/** Uniform uint32 values. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + MULBERRY32_STEP) | 0;
    return mulberry32Output(a);
  };
}

/** Uniform values in [0, 1): the uint32 sequence divided by 2^32. */
export function mulberry32Unit(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}
