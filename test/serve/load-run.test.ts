import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/serve/client.js';
import { runLoad, type LoadPlan } from '../../src/serve/load-run.js';
import { servingMetrics, workerShares } from '../../src/serve/metrics.js';
import { startServer, streamTokens, type Behaviour, type TestServer } from '../support/stream-server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(b: Behaviour): Promise<TestServer> {
  const s = await startServer(b);
  servers.push(s);
  return s;
}

const endpoint = (url: string, api: Endpoint['api'] = 'openai-chat'): Endpoint => ({
  url,
  api,
  model: 'm',
  headers: {},
});
const PLAN: LoadPlan = { arrival: 'poisson', burstiness: 1, seed: 1, warmupRequests: 0 };
const SEND = { maxTokens: 8, ignoreEos: true, requestTimeoutMs: 5_000 };

function load(
  endpoints: Endpoint[],
  plan: Partial<LoadPlan>,
  extra: { signal?: AbortSignal; stallTimeoutMs?: number } = {},
) {
  return runLoad({
    endpoints,
    routing: 'round-robin',
    prompts: ['hello', 'world'],
    plan: { ...PLAN, ...plan },
    send: { ...SEND, ...(extra.stallTimeoutMs !== undefined ? { stallTimeoutMs: extra.stallTimeoutMs } : {}) },
    signal: extra.signal ?? new AbortController().signal,
  });
}

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('load generator against real HTTP servers on 127.0.0.1', () => {
  it('closed loop: never more than N requests open at once, every request recorded with its tokens', async () => {
    const s = await server(streamTokens({ tokens: 8, ttftMs: 5, gapMs: 1 }));
    const out = await load([endpoint(s.url)], { concurrency: 4, requests: 40, warmupRequests: 4 });
    expect(s.stats.received).toBe(44);
    expect(s.stats.maxOpen).toBe(4);
    const m = servingMetrics(out.records, undefined);
    expect(m.requests).toMatchObject({ total: 40, completed: 40, failed: 0, warmup: 4, success_rate: 1 });
    expect(m.tokens).toEqual({ input: 280, output: 320, from_usage: true });
    expect(m.latency.ttft_ms!.median).toBeGreaterThanOrEqual(5);
    expect(m.latency.itl_ms!.n).toBe(40 * 7);
  });

  it('completions API: prompt body and text chunks', async () => {
    let body: Record<string, unknown> = {};
    const s = await server((n, b, res) => {
      body = b;
      return streamTokens({ tokens: 3 })(n, b, res);
    });
    const out = await load([endpoint(s.url, 'openai-completions')], { concurrency: 1, requests: 2 });
    expect(body).toMatchObject({ prompt: 'world', model: 'm', max_tokens: 8, stream: true, ignore_eos: true });
    expect(out.records.every((r) => r.errorClass === null && r.outputTokens === 3)).toBe(true);
  });

  it('open loop: sends at the rate whatever the server does, so requests overlap', async () => {
    const s = await server(streamTokens({ tokens: 4, ttftMs: 200 }));
    const t = Date.now();
    const out = await load([endpoint(s.url)], { rate: 50, arrival: 'constant', requests: 20 });
    // 20 arrivals 20 ms apart take ~380 ms to send; each request lasts >= 200 ms, so about 10 overlap.
    expect(s.stats.maxOpen).toBeGreaterThanOrEqual(8);
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(servingMetrics(out.records, undefined).requests.completed).toBe(20);
  });

  it('refused connections: every request classed connect_refused, the run completes with success rate 0', async () => {
    const out = await load([endpoint(`http://127.0.0.1:${await closedPort()}/v1`)], { concurrency: 2, requests: 6 });
    const m = servingMetrics(out.records, undefined);
    expect(m.requests).toMatchObject({ total: 6, completed: 0, success_rate: 0, failures: { connect_refused: 6 } });
    expect(m.latency.ttft_ms).toBeNull();
  });

  it('HTTP 500 for some requests: http_500 for those, the rest succeed', async () => {
    const ok = streamTokens({ tokens: 2 });
    const s = await server((n, b, res) =>
      n % 3 === 0 ? void res.writeHead(500).end('{"error":"boom"}') : ok(n, b, res),
    );
    const m = servingMetrics((await load([endpoint(s.url)], { concurrency: 2, requests: 9 })).records, undefined);
    expect(m.requests).toMatchObject({ completed: 6, failed: 3, failures: { http_500: 3 } });
    expect(m.requests.success_rate).toBeCloseTo(2 / 3);
  });

  it('a stream that stalls mid-way is cut after the stall timeout and classed stalled', async () => {
    const s = await server((_n, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"a"}}]}\n\n'); // then nothing, never ending
    });
    const t = Date.now();
    const out = await load([endpoint(s.url)], { concurrency: 2, requests: 2 }, { stallTimeoutMs: 300 });
    expect(Date.now() - t).toBeLessThan(3_000);
    expect(out.records.map((r) => r.errorClass)).toEqual(['stalled', 'stalled']);
  });

  it('a request past request_timeout is classed timeout', async () => {
    const s = await server(() => undefined); // never answers
    const out = await runLoad({
      endpoints: [endpoint(s.url)],
      routing: 'round-robin',
      prompts: ['p'],
      plan: { ...PLAN, concurrency: 1, requests: 1 },
      send: { ...SEND, requestTimeoutMs: 300 },
      signal: new AbortController().signal,
    });
    expect(out.records[0]!.errorClass).toBe('timeout');
  });

  it('malformed SSE data is classed malformed_sse; a server error event is server_error', async () => {
    const s = await server((n, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(n === 0 ? 'data: {"choices": [\n\n' : 'data: {"error":{"message":"overloaded"}}\n\n');
    });
    const out = await load([endpoint(s.url)], { concurrency: 1, requests: 2 });
    expect(out.records.map((r) => [r.errorClass, r.errorMessage?.slice(0, 17)])).toEqual([
      ['malformed_sse', 'data is not JSON:'],
      ['server_error', 'overloaded'],
    ]);
  });

  it('several endpoints: round-robin shares requests and tokens evenly; least-outstanding favours the fast one', async () => {
    const fast = await server(streamTokens({ tokens: 4 }));
    const slow = await server(streamTokens({ tokens: 4, ttftMs: 60 }));
    const rr = await load([endpoint(fast.url), endpoint(slow.url)], { concurrency: 4, requests: 40 });
    const m = servingMetrics(rr.records, undefined);
    const shares = workerShares(rr.records, [fast.url, slow.url], m.duration_s);
    expect(shares.map((w) => [w.requests, w.request_share, w.token_share])).toEqual([
      [20, 0.5, 0.5],
      [20, 0.5, 0.5],
    ]);
    const lo = await runLoad({
      endpoints: [endpoint(fast.url), endpoint(slow.url)],
      routing: 'least-outstanding',
      prompts: ['p'],
      plan: { ...PLAN, concurrency: 4, requests: 40 },
      send: SEND,
      signal: new AbortController().signal,
    });
    const [f, sl] = workerShares(lo.records, [fast.url, slow.url], 1);
    expect(f!.requests).toBeGreaterThan(sl!.requests * 2);
  });

  it('stopping the run stops sending and cancels in-flight requests', async () => {
    const s = await server(streamTokens({ tokens: 1000, gapMs: 5 }));
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    const t = Date.now();
    const out = await load([endpoint(s.url)], { concurrency: 3, requests: 100 }, { signal: stop.signal });
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(out.interrupted).toBe(true);
    expect(out.records.map((r) => r.errorClass)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(s.stats.received).toBe(3);
  });
});
