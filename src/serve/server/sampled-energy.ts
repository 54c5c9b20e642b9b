/** One sample of a cumulative energy counter: wall-clock epoch milliseconds, millijoules, watts. */
export interface CounterSample {
  readonly tMs: number;
  readonly energyMj: number | null;
  readonly powerW: number | null;
}

/** The counter at time t, linearly interpolated between the samples around it; null outside them or over a gap. */
export function counterAt(samples: readonly CounterSample[], tMs: number): number | null {
  let before: CounterSample | undefined;
  for (const s of samples) {
    if (s.energyMj === null) continue;
    if (s.tMs === tMs) return s.energyMj;
    if (s.tMs < tMs) before = s;
    else {
      if (before === undefined || before.energyMj === null) return null;
      const f = (tMs - before.tMs) / (s.tMs - before.tMs);
      return before.energyMj + f * (s.energyMj - before.energyMj);
    }
  }
  return null;
}

export type WindowEnergy = { ok: true; joules: number } | { ok: false; reason: string };

/**
 * Energy over [startMs, endMs] from a cumulative counter: the counter's delta, each end interpolated between the
 * samples around it (the counter updates about every 100 ms; a window is not rounded to a sample). Refused when
 * the samples do not cover the window (a sampler that started late or died) or the counter went backwards (it was
 * reset: the measurement is invalid, as in offline mode).
 */
export function windowEnergy(samples: readonly CounterSample[], startMs: number, endMs: number): WindowEnergy {
  if (!(endMs > startMs)) return { ok: false, reason: 'the window is empty' };
  const a = counterAt(samples, startMs);
  const b = counterAt(samples, endMs);
  if (a === null || b === null) return { ok: false, reason: 'the energy samples do not cover the window' };
  const inside = samples.filter((s) => s.energyMj !== null && s.tMs >= startMs && s.tMs <= endMs);
  let last = a;
  for (const s of [...inside.map((x) => x.energyMj as number), b]) {
    if (s < last) return { ok: false, reason: 'the energy counter went backwards (reset): the measurement is invalid' };
    last = s;
  }
  return { ok: true, joules: (b - a) / 1000 };
}

/** Mean power over an idle stretch (the server loaded, no request in flight), from the counter; null if uncovered. */
export function meanPowerW(samples: readonly CounterSample[], startMs: number, endMs: number): number | null {
  const e = windowEnergy(samples, startMs, endMs);
  return e.ok ? e.joules / ((endMs - startMs) / 1000) : null;
}
