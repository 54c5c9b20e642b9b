import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { waitServerReady } from '../../src/serve/server/readiness.js';
import { ServerLog } from '../../src/serve/server/server-log.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A real HTTP server on 127.0.0.1 whose /v1/models answers `status(n)` on the n-th request. */
async function serve(status: (n: number) => number): Promise<string> {
  let n = 0;
  const s = createServer((req, res) => {
    res.writeHead(req.url === '/v1/models' ? status(n++) : 404).end('{}');
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const never = new Promise<number | null>(() => undefined);
const base = { signal: new AbortController().signal, lastLines: () => ['loading weights', 'shard 3/4'], name: 'srv' };

describe('waiting for a server lem started', () => {
  it('polls /v1/models until it answers 200, reporting each probe', async () => {
    const url = await serve((n) => (n < 2 ? 503 : 200));
    const seen: string[] = [];
    const r = await waitServerReady({
      ...base,
      baseUrl: url,
      timeoutMs: 10_000,
      exited: never,
      onWait: (_ms, d) => seen.push(d),
    });
    expect(r.ok).toBe(true);
    expect(seen).toEqual(['GET /v1/models: HTTP 503', 'GET /v1/models: HTTP 503']);
  });

  it('a server that exits first fails at once, with its last lines', async () => {
    const url = await serve(() => 503);
    const r = await waitServerReady({
      ...base,
      baseUrl: url,
      timeoutMs: 60_000,
      exited: Promise.resolve(1),
      onWait: () => undefined,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCode.CONTAINER_FAILED);
    expect(r.error.message).toBe('srv exited with code 1 before it was ready');
    expect(r.error.hint).toBe("last lines of the server's output:\n    loading weights\n    shard 3/4");
  });

  it('times out with the last probe and the last lines; a refused connection is named', async () => {
    const url = await serve(() => 200);
    servers.pop()!.close(); // nothing listens there now
    const r = await waitServerReady({ ...base, baseUrl: url, timeoutMs: 300, exited: never, onWait: () => undefined });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCode.HEALTH_TIMEOUT);
    expect(r.error.message).toMatch(/^srv is not ready within 0 s \(last probe of \/v1\/models: ECONNREFUSED\)$/);
    expect(r.error.hint).toContain('    shard 3/4');
  });

  it('stops when interrupted', async () => {
    const url = await serve(() => 503);
    const stop = new AbortController();
    stop.abort();
    const r = await waitServerReady({
      ...base,
      signal: stop.signal,
      baseUrl: url,
      timeoutMs: 60_000,
      exited: never,
      onWait: () => undefined,
    });
    expect(!r.ok && r.error.code).toBe(ErrorCode.INTERRUPTED);
  });
});

describe("the server's log", () => {
  it('goes to the attached experiment log, prefixed, and keeps the last lines across partial writes', () => {
    const log = new ServerLog('[server]', 2);
    const out: string[] = [];
    const sink = new (class extends ServerLog {
      override _write(c: Buffer, _e: BufferEncoding, cb: () => void): void {
        out.push(c.toString());
        cb();
      }
    })('x');
    log.write('a\nb');
    log.attach(sink);
    log.write('c\nd\n');
    log.attach(undefined);
    log.write('e\n');
    expect(out).toEqual(['[server] bc\n', '[server] d\n']);
    expect(log.lastLines()).toEqual(['d', 'e']);
  });
});
