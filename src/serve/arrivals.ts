import { mulberry32Unit } from '../core/prng.js';

/** How open-loop requests arrive: evenly spaced, Poisson, or gamma-distributed gaps (vLLM bench serve's model). */
export type Arrival = 'constant' | 'poisson' | 'gamma';

export interface ArrivalOptions {
  /** Mean requests per second. */
  readonly rate: number;
  readonly arrival: Arrival;
  /** Gamma shape k: 1 is Poisson, below 1 burstier, above 1 more regular. Ignored for the other arrivals. */
  readonly burstiness: number;
  readonly seed: number;
}

/** Standard normal from two uniforms (Box-Muller); `u1` never 0 so the log is finite. */
function normal(random: () => number): number {
  const u1 = 1 - random();
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Gamma(shape, 1) by Marsaglia and Tsang; for shape < 1 the boost X·U^(1/shape) keeps it exact. */
export function gammaSample(shape: number, random: () => number): number {
  if (shape < 1) return gammaSample(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * A seeded generator of gaps between arrivals, in seconds, with mean 1/rate. Gamma gaps have shape k = burstiness
 * and scale 1/(rate·k), so the mean rate is the same whatever the burstiness (vLLM's definition); Poisson is k = 1.
 */
export function arrivalGaps(o: ArrivalOptions): () => number {
  if (o.arrival === 'constant') return () => 1 / o.rate;
  const random = mulberry32Unit(o.seed);
  const shape = o.arrival === 'poisson' ? 1 : o.burstiness;
  const scale = 1 / (o.rate * shape);
  if (shape === 1) return () => -Math.log(1 - random()) / o.rate;
  return () => gammaSample(shape, random) * scale;
}

/** The first `n` arrival times in seconds after the start; the first request goes at 0 (as vLLM sends it). */
export function arrivalTimes(n: number, o: ArrivalOptions): number[] {
  const gap = arrivalGaps(o);
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    out.push(t);
    t += gap();
  }
  return out;
}
