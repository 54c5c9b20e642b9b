import { z } from 'zod';

/**
 * Serving-load mode: an experiment that measures a server under concurrent HTTP load instead of offline batches.
 * Every field here is optional at the experiment's top level with no default outside `mode: serve`, so offline
 * configs resolve (and hash) exactly as before this mode existed.
 */
export const ExperimentMode = z.enum(['offline', 'serve']);
export type ExperimentMode = z.infer<typeof ExperimentMode>;

export const ARRIVALS = ['constant', 'poisson', 'gamma'] as const;
export const SERVE_APIS = ['openai-chat', 'openai-completions'] as const;

/** Requests used when neither `requests` nor `duration_s` bounds the run (vLLM bench serve's default is 1000). */
export const DEFAULT_SERVE_REQUESTS = 100;

export const LoadSection = z
  .strictObject({
    /** Closed loop: this many users, each sending its next request when its previous one finishes. */
    concurrency: z.int().positive().optional(),
    /** Open loop: requests per second, whatever the server's state. */
    rate: z.number().positive().optional(),
    arrival: z.enum(ARRIVALS).default('poisson'),
    /** Gamma shape: 1 is Poisson, below 1 burstier, above 1 more regular (vLLM bench serve's definition). */
    burstiness: z.number().positive().default(1),
    seed: z.int().nonnegative().default(0),
    requests: z.int().positive().optional(),
    duration_s: z.number().positive().optional(),
    /** Sent before the measured requests (not counted in `requests`) and left out of every statistic. */
    warmup_requests: z.int().nonnegative().default(0),
    request_timeout_s: z.number().positive().default(600),
    /** A stream that sends nothing for this long is cut and the request classed `stalled`. */
    stall_timeout_s: z.number().positive().optional(),
    /** Output tokens asked per request; absent uses the experiment's max_output_tokens. */
    max_tokens: z.int().positive().optional(),
    /** Ask the server to ignore end-of-sequence so every request produces max_tokens (vLLM; others ignore it). */
    ignore_eos: z.boolean().default(true),
    /** Open loop: seconds after the first arrival before the steady-state window opens. */
    ramp_s: z.number().nonnegative().default(0),
  })
  .check((ctx) => {
    const v = ctx.value;
    const issue = (path: string, message: string): void =>
      void ctx.issues.push({ code: 'custom', input: v, path: [path], message });
    if (v.concurrency !== undefined && v.rate !== undefined) {
      issue('rate', 'load.rate and load.concurrency are both set: choose one (rate = open loop, concurrency = closed)');
    }
    if (v.concurrency === undefined && v.rate === undefined) {
      issue('concurrency', 'mode: serve needs load.concurrency (closed loop, N users) or load.rate (requests/s)');
    }
    if (v.requests !== undefined && v.duration_s !== undefined) {
      issue('duration_s', 'load.requests and load.duration_s are both set: choose one');
    }
  });
export type LoadSection = z.output<typeof LoadSection>;

function hasScheme(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '';
  } catch {
    return false;
  }
}

export const EndpointSection = z.strictObject({
  /** Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (the API path is appended). */
  url: z.string().refine(hasScheme, {
    message: 'expected an absolute http:// or https:// URL, e.g. http://127.0.0.1:8000/v1',
  }),
  api: z.enum(SERVE_APIS).default('openai-chat'),
  /** Model name the server knows (sent in every request body). */
  model: z.string().min(1),
  /** HTTP headers whose values come from environment variables, by name (secrets never sit in configs). */
  headers_from_env: z.record(z.string(), z.string().min(1)).default({}),
});
export type EndpointSection = z.output<typeof EndpointSection>;

export const Routing = z.enum(['round-robin', 'least-outstanding']);
export type Routing = z.infer<typeof Routing>;

export const SloSection = z.strictObject({
  ttft_ms: z.number().positive().optional(),
  tpot_ms: z.number().positive().optional(),
  itl_ms: z.number().positive().optional(),
  e2el_ms: z.number().positive().optional(),
  /** The percentile each SLO is checked at over the experiment (e.g. 99); absent means per request only. */
  percentile: z.number().gt(0).lte(100).optional(),
});
export type SloSection = z.output<typeof SloSection>;

/** A server lem starts in the backend's container (not for an external endpoint: lem does not start that). */
export const ServerSection = z.strictObject({
  /** How long lem waits for the server to answer /v1/models after starting it (a model load takes minutes). */
  ready_timeout_s: z.number().positive().default(900),
  /** The API the load generator speaks to it (vLLM bench serve's default is the completions API). */
  api: z.enum(SERVE_APIS).default('openai-completions'),
});
export type ServerSection = z.output<typeof ServerSection>;

/** The serving fields of an experiment config (spread into ExperimentFields). */
export const serveFields = {
  server: ServerSection.optional(),
  mode: ExperimentMode.optional(),
  load: LoadSection.optional(),
  endpoint: EndpointSection.optional(),
  endpoints: z.array(EndpointSection).min(1).optional(),
  routing: Routing.optional(),
  slo: SloSection.optional(),
};

/** Backends lem can start as an OpenAI-compatible server in their container. */
export const SERVING_BACKENDS = ['vllm', 'tensorrt', 'synthetic'] as const;

interface ServeView {
  readonly backend: string;
  readonly mode?: ExperimentMode | undefined;
  readonly load?: unknown;
  readonly endpoint?: unknown;
  readonly endpoints?: unknown;
  readonly routing?: unknown;
  readonly slo?: unknown;
  readonly server?: unknown;
  readonly [key: string]: unknown;
}

export interface ServeProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Cross-field rules of serving mode; each problem names the field to fix. */
export function serveProblems(v: ServeView): ServeProblem[] {
  const out: ServeProblem[] = [];
  const serve = v.mode === 'serve';
  if (!serve) {
    for (const k of ['load', 'endpoint', 'endpoints', 'routing', 'slo', 'server'] as const) {
      if (v[k] !== undefined) out.push({ path: [k], message: `"${k}" is a serving field: it needs mode: serve` });
    }
    if (v.backend === 'external') {
      out.push({ path: ['backend'], message: 'backend external is a server lem does not start: it needs mode: serve' });
    }
    return out;
  }
  if (v.load === undefined) {
    out.push({ path: ['load'], message: 'mode: serve needs load: with concurrency (closed loop) or rate (open loop)' });
  }
  if (v.endpoint !== undefined && v.endpoints !== undefined) {
    out.push({
      path: ['endpoints'],
      message: 'endpoint and endpoints are both set: use endpoints: for several servers',
    });
  }
  const external = v.endpoint !== undefined || v.endpoints !== undefined;
  if (external && v.backend !== 'external') {
    const section = v[v.backend] !== undefined;
    const what = section ? `${v.backend} server parameters` : `backend ${v.backend}`;
    const remove = section ? `the ${v.backend}: section and backend` : 'backend';
    out.push({
      path: section ? [v.backend] : ['backend'],
      message:
        `an external endpoint is a server lem does not start, so ${what} cannot apply to it: remove ${remove} ` +
        '(or remove endpoint to have lem start the server)',
    });
  }
  if (external && v.server !== undefined) {
    out.push({
      path: ['server'],
      message: 'server: configures a server lem starts, but endpoint names one lem does not start: remove one of them',
    });
  }
  if (!external && v.backend === 'external') {
    out.push({ path: ['endpoint'], message: 'backend external needs endpoint: {url, model} (or endpoints: [...])' });
  }
  if (!external && v.backend !== 'external' && !(SERVING_BACKENDS as readonly string[]).includes(v.backend)) {
    const supported = `${SERVING_BACKENDS.join(', ')} or an external endpoint:`;
    out.push({
      path: ['backend'],
      message: `backend ${v.backend} has no server lem can start; serve mode supports ${supported}`,
    });
  }
  if (v.routing !== undefined && v.endpoints === undefined) {
    out.push({
      path: ['routing'],
      message: 'routing spreads load over endpoints: [...]: it needs a list of endpoints',
    });
  }
  return out;
}

/**
 * Normalise a valid config's serving fields: `mode: offline` is the default and is dropped (so writing it does not
 * change the config hash), and a serve run bounded by neither requests nor duration gets the default request count.
 */
interface ServeFieldsOut {
  mode?: ExperimentMode | undefined;
  load?: LoadSection | undefined;
  routing?: Routing | undefined;
  endpoints?: unknown;
  endpoint?: unknown;
  backend?: unknown;
  server?: ServerSection | undefined;
}

export function resolveServeFields<T extends ServeFieldsOut>(c: T): T {
  if (c.mode !== 'serve') {
    if (c.mode === undefined) return c;
    const { mode: _m, ...rest } = c;
    return rest as T;
  }
  let out = c;
  const load = c.load;
  if (load && load.requests === undefined && load.duration_s === undefined) {
    out = { ...out, load: { ...load, requests: DEFAULT_SERVE_REQUESTS } };
  }
  if (c.endpoints !== undefined && c.routing === undefined) out = { ...out, routing: 'round-robin' };
  // A server lem starts: the resolved config says how long lem waits for it and which API it speaks.
  const lemStarted = c.endpoint === undefined && c.endpoints === undefined && c.backend !== 'external';
  if (lemStarted && c.server === undefined) out = { ...out, server: ServerSection.parse({}) };
  return out;
}

/** An endpoint: given without backend implies backend external (the engine behind it is not lem's to know). */
export function defaultExternalBackend(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const r = input as Record<string, unknown>;
  if (r['backend'] !== undefined || (r['endpoint'] === undefined && r['endpoints'] === undefined)) return input;
  return { ...r, backend: 'external' };
}
