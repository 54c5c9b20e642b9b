import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test server does with its n-th request (0-based). */
export type Behaviour = (n: number, body: Record<string, unknown>, res: ServerResponse) => void | Promise<void>;

export interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Requests received so far, and the most that were open at once. */
  readonly stats: { received: number; open: number; maxOpen: number };
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (an ephemeral port) for load-generator tests. */
export async function startServer(behaviour: Behaviour): Promise<TestServer> {
  const stats = { received: 0, open: 0, maxOpen: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = stats.received++;
      stats.open++;
      stats.maxOpen = Math.max(stats.maxOpen, stats.open);
      res.on('close', () => stats.open--);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      void Promise.resolve(behaviour(n, body, res)).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    stats,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A well-behaved OpenAI chat stream: `tokens` chunks `gapMs` apart after `ttftMs`, usage in the last chunk. */
export function streamTokens(opts: { tokens: number; ttftMs?: number; gapMs?: number }): Behaviour {
  return async (_n, body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    await sleep(opts.ttftMs ?? 0);
    const chat = Array.isArray(body['messages']);
    for (let i = 0; i < opts.tokens; i++) {
      if (i > 0 && opts.gapMs) await sleep(opts.gapMs);
      const choice = chat ? { index: 0, delta: { content: `t${i} ` } } : { index: 0, text: `t${i} ` };
      res.write(`data: ${JSON.stringify({ choices: [choice] })}\n\n`);
    }
    res.write(
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: opts.tokens } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  };
}
