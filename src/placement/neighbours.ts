/**
 * What ran beside each experiment of a pack run (pure). Experiments on disjoint GPU sets measure at the same time;
 * each one's own GPUs are its own, but the node's power supply, CPU, memory bandwidth and cooling are shared, so a
 * reader must be able to tell a figure measured alone from one measured packed, and see how much else was drawing
 * power meanwhile. Inputs are the measured windows (wall-clock seconds) and mean GPU power the results carry.
 */

export interface MeasuredWindow {
  readonly id: string;
  readonly gpus: readonly number[];
  readonly startS: number;
  readonly endS: number;
  /** Mean GPU power over the window; null where none was measured (simulated runs, no NVML). */
  readonly meanPowerW: number | null;
}

export interface Neighbour {
  readonly experiment_id: string;
  readonly gpus: number[];
  /** Seconds of this experiment's window during which the neighbour was measuring too. */
  readonly overlap_s: number;
}

export interface Neighbourhood {
  /** `packed` when any other experiment's window overlapped this one's, else `alone`. */
  readonly ran: 'alone' | 'packed';
  readonly neighbours: Neighbour[];
  /**
   * The neighbours' GPU power averaged over this window (each neighbour's mean power × its share of the window,
   * summed); 0 when alone; null when a neighbour's power is unknown.
   */
  readonly neighbours_mean_power_w: number | null;
}

const overlapS = (a: MeasuredWindow, b: MeasuredWindow) =>
  Math.max(0, Math.min(a.endS, b.endS) - Math.max(a.startS, b.startS));

export function neighbourhoods(windows: readonly MeasuredWindow[]): Map<string, Neighbourhood> {
  const out = new Map<string, Neighbourhood>();
  for (const w of windows) {
    const length = w.endS - w.startS;
    const neighbours: Neighbour[] = [];
    let power: number | null = 0;
    for (const o of windows) {
      if (o === w) continue;
      const s = overlapS(w, o);
      if (s <= 0) continue;
      neighbours.push({ experiment_id: o.id, gpus: [...o.gpus], overlap_s: s });
      power = power === null || o.meanPowerW === null || length <= 0 ? null : power + (o.meanPowerW * s) / length;
    }
    out.set(w.id, { ran: neighbours.length > 0 ? 'packed' : 'alone', neighbours, neighbours_mean_power_w: power });
  }
  return out;
}
