import type { LoadProgress } from '../../src/contract/events.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandGrid } from '../../src/config/grid.js';
import { validateExperiment } from '../../src/config/resolve.js';
import { ResultDocument } from '../../src/contract/result.js';
import { collectResults } from '../../src/results/collect.js';
import { experimentsTable } from '../../src/results/experiments-table.js';
import { renderSvg } from '../../src/results/report/render-svg.js';
import { energyVsLoadSpec, servingPoints, throughputVsLoadSpec } from '../../src/results/report/serving-charts.js';
import { runServeExperiment } from '../../src/serve/serve-experiment.js';
import { startServer, streamTokens, type TestServer } from '../support/stream-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(tokens = 6): Promise<{ server: TestServer; root: string }> {
  const server = await startServer(streamTokens({ tokens, gapMs: 1 }));
  const root = mkdtempSync(join(tmpdir(), 'lem-serve-'));
  cleanups.push(
    () => server.close(),
    () => rmSync(root, { recursive: true, force: true }),
  );
  return { server, root };
}

const id = (n: number) => ({
  campaign_id: 'c1',
  experiment_id: `e${n}`,
  config_hash: `h${n}`,
  cycle: 0,
  index: n,
  attempt: 1,
});
const NO_ENERGY = 'external endpoint: no power source configured';

describe('a serve experiment against an external endpoint', () => {
  it('a concurrency sweep 1/4/16 writes one valid result folder each, with requests.csv, that results aggregate reads', async () => {
    const { server, root } = await setup();
    const base = {
      model: { name: 'm' },
      mode: 'serve',
      prompts: { count: 4 },
      slo: { ttft_ms: 1000, percentile: 99 },
      load: { concurrency: 1, requests: 24, warmup_requests: 2, max_tokens: 6 },
      endpoint: { url: server.url, model: 'm' },
    };
    const grid = expandGrid(base, { 'load.concurrency': [1, 4, 16] });
    if (!grid.ok) throw new Error(JSON.stringify(grid.error));
    for (const [i, e] of grid.value.entries()) {
      const before = Date.now() / 1000;
      const progress: LoadProgress[] = [];
      const r = await runServeExperiment({
        env: process.env,
        id: id(i),
        config: e.config,
        dir: join(root, 'c1', `e${i}`),
        energy: null,
        noEnergyReason: NO_ENERGY,
        signal: new AbortController().signal,
        onProgress: (p) => progress.push(p),
      });
      if (!r.ok) throw new Error(r.error.message);
      // However fast the load, the last measured request is reported.
      expect(progress.at(-1)).toMatchObject({ done: 24, total: 24, failed: 0 });
      const doc = ResultDocument.parse(JSON.parse(readFileSync(join(root, 'c1', `e${i}`, 'result.json'), 'utf8')));
      expect(doc.serving!.load).toMatchObject({ loop: 'closed', concurrency: e.config.load!.concurrency });
      // The window's wall-clock edges (host meters cut theirs at them): inside this call, as long as the window.
      const { start_unix_s: start, end_unix_s: end } = doc.window;
      expect(start).toBeGreaterThanOrEqual(before);
      expect(end).toBeLessThanOrEqual(Date.now() / 1000);
      const w = doc.serving!.windows.whole;
      expect(end! - start!).toBeCloseTo((w.end_ms - w.start_ms) / 1000, 6);
      expect(doc.serving!.requests).toMatchObject({ total: 24, completed: 24, warmup: 2, success_rate: 1 });
      expect(doc.serving!.slo).toMatchObject({ percentile: 99, good_requests: 24, met: true });
      expect(doc.energy).toMatchObject({ available: false, reason: NO_ENERGY, j_per_output_token: null });
      expect(doc.serving!.energy.reason).toBe(NO_ENERGY);
      expect(doc.experiment.backend).toBe('external');
      expect(doc.simulated).toBe(false);
      // lem's own lateness over the measured load: written with the result, the CPU it used is real.
      const client = doc.serving!.client!;
      expect(client.cpu_s).toBeGreaterThan(0);
      expect(client.cpu_share).toBeGreaterThan(0);
      if (client.probes > 0) expect(client.loop_delay_ms.p50).toBeGreaterThanOrEqual(0);
      else expect(client.loop_delay_ms).toEqual({ p50: null, p90: null, p99: null, max: null });
      expect(
        readFileSync(join(root, 'c1', `e${i}`, 'requests.csv'), 'utf8')
          .trimEnd()
          .split('\n'),
      ).toHaveLength(1 + 26);
    }
    const collected = await collectResults([join(root, 'c1')]);
    if (!collected.ok) throw new Error(collected.error.message);
    const table = experimentsTable(collected.value.results);
    const col = (name: string) => table.rows.map((r) => r[table.header.indexOf(name)]);
    expect(col('serve_concurrency').sort()).toEqual([1, 16, 4]);
    expect(col('serve_success_rate')).toEqual([1, 1, 1]);
    expect(col('serve_client_cpu_share').every((v) => typeof v === 'number' && v > 0)).toBe(true);
    // The report's load curves: one point per run, and a chart that renders.
    const points = servingPoints(collected.value.results);
    expect(points.map((p) => p.load).sort((a, b) => a - b)).toEqual([1, 4, 16]);
    expect(points.every((p) => p.latencies.length === 4 && p.jPerOutputToken === null)).toBe(true);
    expect(await renderSvg(throughputVsLoadSpec(points))).toContain('<svg');
    expect(energyVsLoadSpec(points)).toBeNull();
  });

  it('stopped part-way: no result folder, INTERRUPTED, so resume runs it again', async () => {
    const { root } = await setup();
    const slow = await startServer(streamTokens({ tokens: 500, gapMs: 5 }));
    cleanups.push(() => slow.close());
    const c = validateExperiment({
      model: { name: 'm' },
      mode: 'serve',
      load: { concurrency: 2, requests: 50 },
      endpoint: { url: slow.url, model: 'm' },
    });
    if (!c.ok) throw new Error('config');
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const dir = join(root, 'c1', 'e0');
    const r = await runServeExperiment({
      env: process.env,
      id: id(0),
      config: c.value,
      dir,
      energy: null,
      noEnergyReason: NO_ENERGY,
      signal: stop.signal,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('LEM017');
    expect(existsSync(dir)).toBe(false);
  });

  it('a header from an environment variable that is not set is an error before any request', async () => {
    const { server, root } = await setup();
    const c = validateExperiment({
      model: { name: 'm' },
      mode: 'serve',
      load: { concurrency: 1, requests: 1 },
      endpoint: { url: server.url, model: 'm', headers_from_env: { Authorization: 'LEM_TEST_UNSET_TOKEN' } },
    });
    if (!c.ok) throw new Error('config');
    const r = await runServeExperiment({
      id: id(0),
      config: c.value,
      dir: join(root, 'x'),
      energy: null,
      noEnergyReason: NO_ENERGY,
      signal: new AbortController().signal,
      env: {},
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('LEM_TEST_UNSET_TOKEN');
    expect(server.stats.received).toBe(0);
  });
});
