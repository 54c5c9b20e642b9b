import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ClientHealth } from '../contract/serving.js';

/**
 * How late lem itself was while it measured. A token is stamped when lem's event loop reads it, so a loop that
 * is busy (lem short of CPU) or slow to wake (an idle virtual machine) adds its lateness to every TTFT and ITL.
 * Node's loop-delay histogram probes exactly that: a timer every PROBE_MS, and how much later than due it ran.
 * The probe is a libuv timer in native code, 100 wake-ups a second: nothing against the token rate of a load
 * that could make the loop late.
 */
const PROBE_MS = 10;

/** Above this p90 loop delay (ms) a result says its token times lag by about that much. */
export const LOOP_DELAY_WARN_P90_MS = 1;

export interface ClientHealthMonitor {
  /** Stops probing and returns the window's figures. */
  stop(): ClientHealth;
}

export function startClientHealth(): ClientHealthMonitor {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: PROBE_MS });
  h.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return {
    stop() {
      h.disable();
      const cpu = process.cpuUsage(cpu0);
      const wallS = (performance.now() - t0) / 1000;
      // The histogram holds each probe's whole interval (ns): the probe's own period is not lateness.
      // To the microsecond: the histogram's own precision is coarser than the float noise of the subtraction.
      const us = (ms: number) => Math.round(ms * 1000) / 1000;
      const late = (ns: number) => (h.count === 0 ? null : us(Math.max(0, ns / 1e6 - PROBE_MS)));
      const cpuS = (cpu.user + cpu.system) / 1e6;
      return {
        loop_delay_ms: {
          p50: late(h.percentile(50)),
          p90: late(h.percentile(90)),
          p99: late(h.percentile(99)),
          max: late(h.max),
        },
        probes: h.count,
        cpu_s: cpuS,
        cpu_share: wallS > 0 ? us(cpuS / wallS) : null,
      };
    },
  };
}

/** The result's warning when lem's own lateness is large enough to move latency figures (pure). */
export function clientHealthWarning(c: ClientHealth): string | null {
  const d = c.loop_delay_ms;
  if (d.p90 === null || d.p90 <= LOOP_DELAY_WARN_P90_MS) return null;
  const ms = (v: number | null) => (v === null ? '?' : v.toFixed(1));
  const cpu = c.cpu_share === null ? '' : `; lem's process used ${(c.cpu_share * 100).toFixed(0)} % of one core`;
  return (
    `lem's event loop ran late while measuring (delay p50 ${ms(d.p50)}, p90 ${ms(d.p90)}, p99 ${ms(d.p99)} ms${cpu}): ` +
    'a token is stamped up to about that much late, so latency tails (p90, p99) include it; give the load ' +
    'generator a CPU core of its own for latencies finer than that'
  );
}
