import { performance } from 'node:perf_hooks';
import { Agent, errors as undiciErrors } from 'undici';
import { apiPath, parsePayload, requestBody, type RequestOptions, type ServeApi } from './openai.js';
import type { RequestRecord } from './record.js';
import { SseParser } from './sse.js';

export interface Endpoint {
  /** Base URL, e.g. http://127.0.0.1:8000/v1 (the API path is appended). */
  readonly url: string;
  readonly api: ServeApi;
  readonly model: string;
  /** Resolved header values (from the environment variables the config names). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface SendOptions extends Omit<RequestOptions, 'model'> {
  readonly requestTimeoutMs: number;
  /** Longest silence inside a stream before it is cut as `stalled`; absent: only the request timeout applies. */
  readonly stallTimeoutMs?: number;
}

/** One HTTP client for a load run: a keep-alive connection pool per origin, sized to the load's parallelism. */
export function createDispatcher(connections: number): Agent {
  return new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
}

interface Target {
  readonly origin: string;
  readonly path: string;
}

function target(e: Endpoint): Target {
  const u = new URL(e.url);
  const base = u.pathname.replace(/\/+$/, '');
  return { origin: u.origin, path: `${base}${apiPath(e.api)}` };
}

class StreamFailure extends Error {
  constructor(readonly errorClass: string, message: string) {
    super(message);
  }
}

function classify(e: unknown, signals: { timeout: AbortSignal; stop: AbortSignal }): [string, string] {
  if (e instanceof StreamFailure) return [e.errorClass, e.message];
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  const message = err.message ?? String(e);
  if (signals.stop.aborted) return ['cancelled', 'the run was stopped'];
  if (signals.timeout.aborted) return ['timeout', 'request timeout reached'];
  if (e instanceof undiciErrors.BodyTimeoutError || code === 'UND_ERR_BODY_TIMEOUT') return ['stalled', message];
  if (e instanceof undiciErrors.HeadersTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT') return ['timeout', message];
  if (code === 'ECONNREFUSED') return ['connect_refused', message];
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return ['connection_reset', message];
  return ['connect_error', `${code ? `${code}: ` : ''}${message}`];
}

export interface SendContext {
  readonly index: number;
  readonly worker: number;
  readonly warmup: boolean;
  readonly t0: number;
  readonly stop: AbortSignal;
}

/** Mutable state of one stream while it is read. */
interface Progress {
  firstTokenMs: number | null;
  chunkMs: number[];
  usageOut: number | null;
  usageIn: number | null;
  done: boolean;
}

function onData(text: string, parser: SseParser, p: Progress, now: number): void {
  for (const ev of parser.push(text)) {
    const payload = parsePayload(ev.data);
    if (payload.kind === 'done') p.done = true;
    else if (payload.kind === 'malformed') throw new StreamFailure('malformed_sse', payload.message);
    else if (payload.kind === 'error') throw new StreamFailure('server_error', payload.message);
    else {
      if (payload.text !== null) {
        if (p.firstTokenMs === null) p.firstTokenMs = now;
        p.chunkMs.push(now);
      }
      if (payload.usage) {
        p.usageOut = payload.usage.completion_tokens ?? p.usageOut;
        p.usageIn = payload.usage.prompt_tokens ?? p.usageIn;
      }
    }
  }
}

/** Send one streamed request and record it. Never throws: every failure becomes an error class on the record. */
export async function sendRequest(d: Agent, e: Endpoint, prompt: string, o: SendOptions, c: SendContext): Promise<RequestRecord> {
  const { origin, path } = target(e);
  const timeout = AbortSignal.timeout(o.requestTimeoutMs);
  const signal = AbortSignal.any([timeout, c.stop]);
  const p: Progress = { firstTokenMs: null, chunkMs: [], usageOut: null, usageIn: null, done: false };
  const sendMs = performance.now() - c.t0;
  let status: number | null = null;
  let failure: [string, string] | null = null;
  let body: { destroy(): unknown } | null = null;
  try {
    const res = await d.request({
      origin, path, method: 'POST', signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...e.headers },
      body: requestBody(e.api, prompt, { ...o, model: e.model }),
      headersTimeout: o.requestTimeoutMs,
      bodyTimeout: o.stallTimeoutMs ?? o.requestTimeoutMs,
    });
    status = res.statusCode;
    body = res.body;
    if (status !== 200) {
      const text = await res.body.text().catch(() => '');
      throw new StreamFailure(`http_${status}`, text.slice(0, 200) || `HTTP ${status}`);
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      onData(decoder.decode(chunk, { stream: true }), parser, p, performance.now() - c.t0);
    }
    onData(decoder.decode(), parser, p, performance.now() - c.t0);
    if (parser.end().incomplete && !p.done) throw new StreamFailure('malformed_sse', 'stream ended inside an event');
    if (p.firstTokenMs === null) throw new StreamFailure('empty_response', 'the stream carried no token');
  } catch (x) {
    failure = classify(x, { timeout, stop: c.stop });
    // A stream abandoned mid-way (malformed data, server error) must not hold its pooled connection.
    body?.destroy();
  }
  const finishMs = performance.now() - c.t0;
  const fromUsage = p.usageOut !== null;
  return {
    index: c.index, worker: c.worker, warmup: c.warmup, sendMs, firstTokenMs: p.firstTokenMs, finishMs,
    chunkMs: p.chunkMs, inputTokens: p.usageIn, outputTokens: p.usageOut ?? p.chunkMs.length, tokensFromUsage: fromUsage,
    status, errorClass: failure ? failure[0] : null, errorMessage: failure ? failure[1] : null,
  };
}
