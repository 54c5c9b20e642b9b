import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../src/serve/load-run.js';
import { servingMetrics } from '../../src/serve/metrics.js';
import { startSyntheticServer, type SyntheticProcess } from '../support/synthetic-server-process.js';

const TTFT = 20;
const ITL = 5;
let server: SyntheticProcess;

beforeAll(async () => {
  server = await startSyntheticServer({ ttftMs: TTFT, itlMs: ITL });
}, 30_000);
afterAll(async () => server?.stop());

async function measure(concurrency: number, requests: number) {
  const out = await runLoad({
    endpoints: [{ url: server.url, api: 'openai-chat', model: 'synthetic', headers: {} }], routing: 'round-robin',
    prompts: ['measure me'], plan: { concurrency, requests, warmupRequests: concurrency, arrival: 'poisson', burstiness: 1, seed: 0 },
    send: { maxTokens: 16, ignoreEos: true, requestTimeoutMs: 30_000 }, signal: new AbortController().signal,
  });
  return servingMetrics(out.records, undefined);
}

describe('accuracy against the synthetic server (a local process)', () => {
  it.each([1, 64])('concurrency %d: median TTFT and ITL within 1 ms of the configured values', async (c) => {
    const m = await measure(c, c === 1 ? 40 : 256);
    expect(m.requests.success_rate).toBe(1);
    expect(m.tokens.output).toBe(16 * (c === 1 ? 40 : 256));
    console.log(`concurrency ${c}: median TTFT ${m.latency.ttft_ms!.median.toFixed(3)} ms, median ITL ${m.latency.itl_ms!.median.toFixed(3)} ms`);
    expect(Math.abs(m.latency.ttft_ms!.median - TTFT)).toBeLessThan(1);
    expect(Math.abs(m.latency.itl_ms!.median - ITL)).toBeLessThan(1);
  }, 60_000);
});
