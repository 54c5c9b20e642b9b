import { performance } from 'node:perf_hooks';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
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
  constructor(
    readonly errorClass: string,
    message: string,
  ) {
    super(message);
  }
}

function classify(e: unknown, stopped: boolean, timedOut: boolean): [string, string] {
  if (e instanceof StreamFailure) return [e.errorClass, e.message];
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  const message = err.message ?? String(e);
  if (stopped) return ['cancelled', 'the run was stopped'];
  if (timedOut) return ['timeout', 'request timeout reached'];
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

/**
 * One streamed request as undici handler callbacks: no stream objects or promises per chunk, which keeps the
 * client's CPU per token low enough that it is never the bottleneck of a fast server.
 */
class StreamHandler implements Dispatcher.DispatchHandler {
  private readonly parser = new SseParser();
  private readonly decoder = new TextDecoder();
  private controller: Dispatcher.DispatchController | null = null;
  private errorBody = '';
  status: number | null = null;
  /** When undici began writing the request to its connection; null while it waits for one (or never got one). */
  writtenMs: number | null = null;
  firstTokenMs: number | null = null;
  readonly chunkMs: number[] = [];
  usageOut: number | null = null;
  usageIn: number | null = null;
  private done = false;
  failure: StreamFailure | Error | null = null;

  constructor(
    private readonly t0: number,
    private readonly finish: () => void,
  ) {}

  private pendingAbort: Error | null = null;

  abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // undici calls this synchronously just before it writes the request to the socket, after any wait for a free
    // keep-alive connection (and its one event-loop turn of idle-socket validation): the request leaves now.
    this.writtenMs = performance.now() - this.t0;
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.status !== 200) {
      if (this.errorBody.length < 200) this.errorBody += chunk.toString('utf8', 0, 200);
      return;
    }
    try {
      this.feed(this.decoder.decode(chunk, { stream: true }), performance.now() - this.t0);
    } catch (e) {
      this.failure = e as Error;
      controller.abort(e as Error);
    }
  }

  onResponseEnd(): void {
    if (this.failure === null) {
      try {
        this.complete();
      } catch (e) {
        this.failure = e as Error;
      }
    }
    this.finish();
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    this.failure ??= error;
    this.finish();
  }

  private complete(): void {
    if (this.status !== 200)
      throw new StreamFailure(`http_${this.status}`, this.errorBody.slice(0, 200) || `HTTP ${this.status}`);
    this.feed(this.decoder.decode(), performance.now() - this.t0);
    if (this.parser.end().incomplete && !this.done)
      throw new StreamFailure('malformed_sse', 'stream ended inside an event');
    if (this.firstTokenMs === null) throw new StreamFailure('empty_response', 'the stream carried no token');
  }

  private feed(text: string, now: number): void {
    for (const ev of this.parser.push(text)) {
      const payload = parsePayload(ev.data);
      if (payload.kind === 'done') this.done = true;
      else if (payload.kind === 'malformed') throw new StreamFailure('malformed_sse', payload.message);
      else if (payload.kind === 'error') throw new StreamFailure('server_error', payload.message);
      else {
        if (payload.text !== null) {
          if (this.firstTokenMs === null) this.firstTokenMs = now;
          this.chunkMs.push(now);
        }
        if (payload.usage) {
          this.usageOut = payload.usage.completion_tokens ?? this.usageOut;
          this.usageIn = payload.usage.prompt_tokens ?? this.usageIn;
        }
      }
    }
  }
}

/** Send one streamed request and record it. Never throws: every failure becomes an error class on the record. */
export async function sendRequest(
  d: Dispatcher,
  e: Endpoint,
  prompt: string,
  o: SendOptions,
  c: SendContext,
): Promise<RequestRecord> {
  const { origin, path } = target(e);
  const dispatchMs = performance.now() - c.t0;
  let timedOut = false;
  let release: () => void = () => undefined;
  const finished = new Promise<void>((r) => (release = r));
  const h = new StreamHandler(c.t0, () => release());
  const onStop = (): void => h.abort(new Error('the run was stopped'));
  const timer = setTimeout(() => {
    timedOut = true;
    h.abort(new Error('request timeout reached'));
  }, o.requestTimeoutMs);
  if (c.stop.aborted) onStop();
  else c.stop.addEventListener('abort', onStop, { once: true });
  d.dispatch(
    {
      origin,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...e.headers },
      body: requestBody(e.api, prompt, { ...o, model: e.model }),
      headersTimeout: o.requestTimeoutMs,
      bodyTimeout: o.stallTimeoutMs ?? o.requestTimeoutMs,
    },
    h,
  );
  await finished;
  clearTimeout(timer);
  c.stop.removeEventListener('abort', onStop);
  const failure = h.failure ? classify(h.failure, c.stop.aborted, timedOut) : null;
  const finishMs = performance.now() - c.t0;
  return {
    index: c.index,
    worker: c.worker,
    warmup: c.warmup,
    sendMs: h.writtenMs ?? dispatchMs,
    firstTokenMs: h.firstTokenMs,
    finishMs,
    chunkMs: h.chunkMs,
    inputTokens: h.usageIn,
    outputTokens: h.usageOut ?? h.chunkMs.length,
    tokensFromUsage: h.usageOut !== null,
    status: h.status,
    errorClass: failure ? failure[0] : null,
    errorMessage: failure ? failure[1] : null,
  };
}
