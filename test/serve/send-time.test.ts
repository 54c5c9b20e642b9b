import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createDispatcher, sendRequest, type Endpoint } from '../../src/serve/client.js';
import { startServer, streamTokens, type TestServer } from '../support/stream-server.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('when a request counts as sent', () => {
  it('a request waiting for the only connection counts as sent when written: the wait is not in its TTFT', async () => {
    server = await startServer(streamTokens({ tokens: 4, ttftMs: 60, gapMs: 1 }));
    const endpoint: Endpoint = { url: server.url, api: 'openai-chat', model: 'm', headers: {} };
    const d = createDispatcher(1);
    const t0 = performance.now();
    const stop = new AbortController().signal;
    const send = { maxTokens: 4, ignoreEos: true, requestTimeoutMs: 5_000 };
    const ctx = (index: number) => ({ index, worker: 0, warmup: false, t0, stop });
    try {
      const [first, second] = await Promise.all([
        sendRequest(d, endpoint, 'a', send, ctx(0)),
        sendRequest(d, endpoint, 'b', send, ctx(1)),
      ]);
      expect([first.errorClass, second.errorClass]).toEqual([null, null]);
      // One connection: the second request can only be written once the first response has ended.
      expect(second.sendMs).toBeGreaterThanOrEqual(first.chunkMs.at(-1)!);
      expect(first.sendMs).toBeLessThan(first.firstTokenMs!);
      // Its TTFT is its own server wait (60 ms), not that plus the first request's whole stream.
      expect(second.firstTokenMs! - second.sendMs).toBeLessThan(second.firstTokenMs! - first.sendMs - 50);
    } finally {
      await d.close();
    }
  });
});
