/**
 * The energy-source seam: every meter (NVML in the container, RAPL, a PDU, an imported log) yields timestamped
 * samples for named domains, on lem's clock, and nothing else. Window energy, coverage and cross-checks are
 * computed from samples alone (window-energy.ts), whatever the meter.
 */
export interface MeterSample {
  /** Seconds since the Unix epoch, on lem's clock (a source's own clock offset already applied). */
  readonly t: number;
  /** e.g. "gpu:0", "cpu:package-0", "dram:0", "node", "pdu:outlet-3", "soc". */
  readonly domain: string;
  /** Instantaneous (or short-average) power in watts, when the meter reports power. */
  readonly watts?: number;
  /** Cumulative energy in joules since an arbitrary origin, when the meter has a counter (already unwrapped). */
  readonly joules?: number;
}

/** A source's samples, with what the result must say about where they came from. */
export interface SourceSamples {
  readonly source: string;
  /** Seconds added to the source's own timestamps to put them on lem's clock (measured or declared). */
  readonly clockOffsetS: number;
  readonly samples: readonly MeterSample[];
  /** Problems found while reading (skipped lines, out-of-order records), each with where. */
  readonly notes: readonly string[];
}

export function byDomain(samples: readonly MeterSample[]): Map<string, MeterSample[]> {
  const out = new Map<string, MeterSample[]>();
  for (const s of samples) {
    const list = out.get(s.domain);
    if (list) list.push(s);
    else out.set(s.domain, [s]);
  }
  for (const list of out.values()) list.sort((a, b) => a.t - b.t);
  return out;
}
