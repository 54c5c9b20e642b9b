import { describe, expect, it } from 'vitest';
import type { ClientHealth } from '../../src/contract/serving.js';
import { clientHealthWarning, LOOP_DELAY_WARN_P90_MS, startClientHealth } from '../../src/serve/client-health.js';

const health = (p90: number | null, cpuShare: number | null = 0.9): ClientHealth => ({
  loop_delay_ms: { p50: p90 === null ? null : p90 / 2, p90, p99: p90 === null ? null : p90 * 3, max: null },
  probes: p90 === null ? 0 : 100,
  cpu_s: 1,
  cpu_share: cpuShare,
});

describe("lem's own lateness while measuring", () => {
  it('sees the event loop held busy: the block shows as loop delay and as CPU used', async () => {
    const monitor = startClientHealth();
    // Let the probe run a few times, then hold the loop with 80 ms of CPU work (CPU time, so a descheduled
    // process still blocks at least that long), then let the late probe fire.
    await new Promise((r) => setTimeout(r, 35));
    const cpu0 = process.cpuUsage();
    while (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system < 80_000);
    await new Promise((r) => setTimeout(r, 25));
    const h = monitor.stop();
    expect(h.probes).toBeGreaterThan(0);
    // The probe due during the block ran at least ~70 ms late (80 ms held, minus at most one 10 ms period).
    expect(h.loop_delay_ms.max).toBeGreaterThan(60);
    expect(h.cpu_s).toBeGreaterThanOrEqual(0.08);
    expect(h.cpu_share).toBeGreaterThan(0);
  });

  it('warns only above the p90 threshold, quoting the figures', () => {
    expect(clientHealthWarning(health(null))).toBeNull();
    expect(clientHealthWarning(health(LOOP_DELAY_WARN_P90_MS))).toBeNull();
    const w = clientHealthWarning(health(2.5, 0.97));
    expect(w).toBe(
      "lem's event loop ran late while measuring (delay p50 1.3, p90 2.5, p99 7.5 ms; lem's process used 97 % of one core): " +
        'a token is stamped up to about that much late, so latency tails (p90, p99) include it; give the load ' +
        'generator a CPU core of its own for latencies finer than that',
    );
    expect(clientHealthWarning(health(2.5, null))).not.toMatch(/process used/);
  });
});
