import { describe, expect, it } from 'vitest';
import { expandGrid } from '../../src/config/grid.js';
import { configHash } from '../../src/config/hash.js';
import { validateExperiment } from '../../src/config/resolve.js';

function resolved(input: unknown) {
  const r = validateExperiment(input);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe('serve mode config', () => {
  // Hashes of offline experiments with this release's defaults, pinned: serving mode (and any later field) must keep
  // their identity, or resumed campaigns and cross-campaign comparisons would treat them as new experiments. A changed
  // measurement default is a different measurement and changes them on purpose (last: the process sampler default).
  it.each([
    [{ backend: 'vllm', model: { name: 'm' } }, '5e445e01512f'],
    [{ backend: 'synthetic', model: { name: 'm' }, max_output_tokens: 64, prompts: { count: 4 } }, '4428bf34ebdd'],
    [{ backend: 'transformers', model: { name: 'gpt2' }, batching: { batch_size: 4 } }, '379fe8fad149'],
  ])('offline config %j keeps hash %s, with or without mode: offline', (input, hash) => {
    expect(configHash(resolved(input))).toBe(hash);
    expect(configHash(resolved({ ...input, mode: 'offline' }))).toBe(hash);
    expect(resolved({ ...input, mode: 'offline' })).not.toHaveProperty('mode');
  });

  it('fills load defaults and bounds an unbounded run by the default request count', () => {
    const c = resolved({ backend: 'synthetic', model: { name: 'm' }, mode: 'serve', load: { concurrency: 4 } });
    expect(c.load).toMatchObject({
      concurrency: 4,
      arrival: 'poisson',
      burstiness: 1,
      seed: 0,
      requests: 100,
      warmup_requests: 0,
      ignore_eos: true,
    });
    expect(c.synthetic).toBeDefined();
  });

  it('an endpoint without backend is backend external, with no engine section and round-robin over endpoints', () => {
    const ep = { url: 'http://127.0.0.1:9/v1', model: 'x' };
    const c = resolved({ model: { name: 'x' }, mode: 'serve', load: { rate: 5, duration_s: 10 }, endpoints: [ep, ep] });
    expect(c.backend).toBe('external');
    expect(c.routing).toBe('round-robin');
    expect(c.endpoints?.[0]).toEqual({ ...ep, api: 'openai-chat', headers_from_env: {} });
    expect(c.load?.requests).toBeUndefined();
  });

  it('serve mode on a backend with no server is refused', () => {
    const r = validateExperiment({
      backend: 'transformers',
      model: { name: 'm' },
      mode: 'serve',
      load: { concurrency: 1 },
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error[0]).toMatchObject({
        path: ['backend'],
        message: expect.stringContaining('no server lem can start'),
      });
  });

  it('vary sweeps load.concurrency like any other key, including for an external endpoint', () => {
    const base = {
      model: { name: 'x' },
      mode: 'serve',
      load: { concurrency: 1 },
      endpoint: { url: 'http://127.0.0.1:9/v1', model: 'x' },
    };
    const g = expandGrid(base, { 'load.concurrency': [1, 4, 16] });
    if (!g.ok) throw new Error(JSON.stringify(g.error));
    expect(g.value.map((e) => [e.backend, e.config.load?.concurrency])).toEqual([
      ['external', 1],
      ['external', 4],
      ['external', 16],
    ]);
    expect(new Set(g.value.map((e) => e.config_hash)).size).toBe(3);
  });
});
