import type Docker from 'dockerode';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { EnergySource } from '../energy-source.js';
import { ContainerProcess } from './container-process.js';
import { meanPowerW, windowEnergy, type CounterSample } from './sampled-energy.js';

const SAMPLER_PID_FILE = '/tmp/lem-sampler.pid';

const Line = z.union([
  z.object({ event: z.literal('sampling'), source: z.string(), simulated: z.boolean() }),
  z.object({ event: z.literal('unavailable'), reason: z.string() }),
  z.object({ t: z.number(), energy_mj: z.number().nullable(), power_w: z.number().nullable() }),
]);

/**
 * The harness's `serve-sample` running beside a lem-started server: NVML (or the synthetic server's simulated
 * counter) sampled over the whole load, stamped with the wall clock. An EnergySource for the serve experiment:
 * windows are cut out of the samples afterwards, and the idle baseline is the mean power over the stretch before
 * the load began (the server loaded, no request in flight).
 */
export class ContainerSampler implements EnergySource {
  name = 'nvml';
  simulated = false;
  unavailable: string | undefined;
  private readonly samples: CounterSample[] = [];
  private idle: { startMs: number; endMs: number } | undefined;
  private readonly waiters = new Set<() => void>();

  private proc: Promise<ContainerProcess> | undefined;

  static start(
    container: Docker.Container,
    o: { intervalMs: number; simulatedUrl?: string; stderr: Writable },
  ): ContainerSampler {
    const argv = ['python3', '-m', 'lem_harness', 'serve-sample', '--interval-ms', String(o.intervalMs)];
    argv.push('--pid-file', SAMPLER_PID_FILE);
    if (o.simulatedUrl) argv.push('--simulated-url', o.simulatedUrl);
    const self = new ContainerSampler();
    const onLine = (line: string): void => self.onLine(line);
    self.proc = ContainerProcess.start(container, { argv, pidFile: SAMPLER_PID_FILE, onLine, stderr: o.stderr });
    return self;
  }

  private onLine(line: string): void {
    let parsed: z.infer<typeof Line>;
    try {
      parsed = Line.parse(JSON.parse(line));
    } catch {
      return; // not a sample: the harness's own noise; the counter's gaps speak for themselves
    }
    if ('event' in parsed) {
      if (parsed.event === 'unavailable') this.unavailable = parsed.reason;
      else [this.name, this.simulated] = [parsed.source, parsed.simulated];
    } else this.samples.push({ tMs: parsed.t * 1000, energyMj: parsed.energy_mj, powerW: parsed.power_w });
    for (const w of this.waiters) w();
  }

  /** Resolves when a sample at or after `tMs` has arrived, or after `timeoutMs`; false when none came. */
  async sampledUntil(tMs: number, timeoutMs: number): Promise<boolean> {
    const has = (): boolean => (this.samples.at(-1)?.tMs ?? -Infinity) >= tMs;
    const over = (): boolean => has() || this.unavailable !== undefined;
    if (over()) return has();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const check = (): void => void (over() && done());
      function done(): void {
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      }
      const waiters = this.waiters;
      waiters.add(check);
    });
    return has();
  }

  /** Marks [startMs, endMs] as the idle stretch whose mean power is the baseline. */
  setIdle(startMs: number, endMs: number): void {
    this.idle = { startMs, endMs };
  }

  /** Why there is no reading, when there is none. */
  whyNone(): string | undefined {
    return this.unavailable ?? this.lastProblem;
  }
  private lastProblem: string | undefined;

  async energy(startMs: number, endMs: number): Promise<{ joules: number; baselineW: number | null } | null> {
    await this.sampledUntil(endMs, 3000);
    const e = windowEnergy(this.samples, startMs, endMs);
    if (!e.ok) {
      this.lastProblem = e.reason;
      return null;
    }
    const baselineW = this.idle ? meanPowerW(this.samples, this.idle.startMs, this.idle.endMs) : null;
    return { joules: e.joules, baselineW };
  }

  async stop(): Promise<void> {
    if (this.proc) await (await this.proc).stop(2);
  }
}
