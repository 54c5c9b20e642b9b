/**
 * The OpenAI-compatible streaming protocol, pure: request bodies for /v1/chat/completions and /v1/completions,
 * and what one `data:` payload of the stream says (text delta, usage, end, or an error the server sent).
 */
export type ServeApi = 'openai-chat' | 'openai-completions';

export interface RequestOptions {
  readonly model: string;
  readonly maxTokens: number;
  readonly ignoreEos: boolean;
  readonly temperature?: number;
}

export function apiPath(api: ServeApi): string {
  return api === 'openai-chat' ? '/chat/completions' : '/completions';
}

/** The request body. `stream_options.include_usage` asks for exact token counts in the last chunk (vLLM, OpenAI). */
export function requestBody(api: ServeApi, prompt: string, o: RequestOptions): string {
  const common = {
    model: o.model,
    max_tokens: o.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    temperature: o.temperature ?? 0,
    // vLLM extensions: produce exactly max_tokens (ignored by servers that do not know them).
    ...(o.ignoreEos ? { ignore_eos: true, min_tokens: o.maxTokens } : {}),
  };
  const body =
    api === 'openai-chat' ? { ...common, messages: [{ role: 'user', content: prompt }] } : { ...common, prompt };
  return JSON.stringify(body);
}

export type StreamPayload =
  | { readonly kind: 'done' }
  | { readonly kind: 'chunk'; readonly text: string | null; readonly usage: Usage | null }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'malformed'; readonly message: string };

export interface Usage {
  readonly prompt_tokens: number | null;
  readonly completion_tokens: number | null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Interpret one event's data. A chunk's text is null when it carries no token (a role header, usage only). */
export function parsePayload(data: string): StreamPayload {
  if (data === '[DONE]') return { kind: 'done' };
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return { kind: 'malformed', message: `data is not JSON: ${data.slice(0, 60)}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return { kind: 'malformed', message: 'data is not a JSON object' };
  const o = v as Record<string, unknown>;
  if (o['error'] !== undefined) {
    const e = o['error'];
    const message =
      typeof e === 'string'
        ? e
        : typeof (e as { message?: unknown })?.message === 'string'
          ? (e as { message: string }).message
          : JSON.stringify(e);
    return { kind: 'error', message };
  }
  const u = o['usage'];
  const usage =
    u !== null && typeof u === 'object'
      ? {
          prompt_tokens: num((u as Record<string, unknown>)['prompt_tokens']),
          completion_tokens: num((u as Record<string, unknown>)['completion_tokens']),
        }
      : null;
  const choices = o['choices'];
  if (!Array.isArray(choices))
    return usage ? { kind: 'chunk', text: null, usage } : { kind: 'malformed', message: 'chunk has no choices' };
  const c = choices[0] as Record<string, unknown> | undefined;
  let text: string | null = null;
  if (c) {
    const delta = c['delta'] as Record<string, unknown> | undefined;
    const t = delta !== undefined ? delta['content'] : c['text'];
    if (typeof t === 'string' && t !== '') text = t;
  }
  return { kind: 'chunk', text, usage };
}
