import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKENDS, type EngineBackend as Backend } from '../../src/config/backends.js';
import { expandGrid, varyAxes } from '../../src/config/grid.js';

/** Fields every backend has, with generators of valid values. */
const COMMON: Record<string, fc.Arbitrary<unknown>> = {
  'batching.batch_size': fc.integer({ min: 1, max: 64 }),
  'batching.strategy': fc.constantFrom('static', 'dynamic', 'sorted'),
  max_output_tokens: fc.integer({ min: 1, max: 512 }),
  'decoder.temperature': fc.integer({ min: 0, max: 20 }).map((t) => t / 10),
  'prompts.count': fc.integer({ min: 1, max: 100 }),
  'measurement.idle_baseline_s': fc.integer({ min: 0, max: 30 }),
};

/** Fields of each backend's own section. */
const OWN: Record<Backend, Record<string, fc.Arbitrary<unknown>>> = {
  transformers: {
    torch_compile: fc.boolean(),
    attn_implementation: fc.constantFrom('eager', 'sdpa', 'flash_attention_2'),
    use_cache: fc.boolean(),
  },
  vllm: {
    max_num_seqs: fc.integer({ min: 1, max: 512 }),
    gpu_memory_utilization: fc.integer({ min: 1, max: 10 }).map((x) => x / 10),
    enforce_eager: fc.boolean(),
  },
  tensorrt: { max_batch_size: fc.integer({ min: 1, max: 256 }), max_num_tokens: fc.integer({ min: 1, max: 16384 }) },
  synthetic: { tokens_per_second: fc.integer({ min: 1, max: 10000 }), ttft_ms: fc.integer({ min: 0, max: 100 }) },
};

/** A valid value of one field of each backend's section. */
const STRAY: Record<Backend, [string, unknown]> = {
  transformers: ['torch_compile', true],
  vllm: ['max_num_seqs', 8],
  tensorrt: ['max_batch_size', 8],
  synthetic: ['ttft_ms', 1],
};

const values = (arb: fc.Arbitrary<unknown>) =>
  fc.uniqueArray(arb, { minLength: 1, maxLength: 3, selector: (v) => JSON.stringify(v) });

/** A key subset and a list of distinct values for each key. */
function axes(pool: Record<string, fc.Arbitrary<unknown>>, maxKeys: number): fc.Arbitrary<[string, unknown[]][]> {
  return fc
    .subarray(Object.keys(pool), { maxLength: maxKeys })
    .chain((keys) =>
      keys.length === 0
        ? fc.constant([])
        : fc.tuple(...keys.map((k) => values(pool[k]!).map((v): [string, unknown[]] => [k, v]))),
    );
}

interface GridCase {
  backends: Backend[];
  common: [string, unknown[]][];
  own: Partial<Record<Backend, [string, unknown[]][]>>;
  nested: boolean;
}

const gridCase: fc.Arbitrary<GridCase> = fc
  .record({
    backends: fc.uniqueArray(fc.constantFrom(...BACKENDS), { minLength: 1, maxLength: 4 }),
    common: axes(COMMON, 3),
    nested: fc.boolean(),
  })
  .chain((c) =>
    fc.tuple(...c.backends.map((b) => axes(OWN[b], 2))).map((own) => ({
      ...c,
      own: Object.fromEntries(
        c.backends.map((b, i) => [b, own[i]!.map(([k, v]): [string, unknown[]] => [`${b}.${k}`, v])]),
      ),
    })),
  );

/** The vary mapping for a case, written with dotted keys or as nested maps. */
function varyOf(c: GridCase): Record<string, unknown> {
  const vary: Record<string, unknown> = { backend: c.backends };
  const entries = [...c.common, ...Object.values(c.own).flat()];
  for (const [key, vals] of entries) {
    if (!c.nested) {
      vary[key] = vals;
      continue;
    }
    const parts = key.split('.');
    let node = vary;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = vals;
  }
  return vary;
}

const BASE = { model: { name: 'm' } };
const product = (lists: [string, unknown[]][]) => lists.reduce((n, [, v]) => n * v.length, 1);

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

describe('expandGrid properties', () => {
  it('count = sum over backends of the product of the common lists and that backend’s own lists', () => {
    fc.assert(
      fc.property(gridCase, (c) => {
        const r = expandGrid(BASE, varyOf(c));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const expected = c.backends.reduce((n, b) => n + product(c.common) * product(c.own[b] ?? []), 0);
        expect(r.value).toHaveLength(expected);
        for (const b of c.backends)
          expect(r.value.filter((e) => e.backend === b)).toHaveLength(product(c.common) * product(c.own[b] ?? []));
      }),
      { numRuns: 150 },
    );
  });

  it('no key of another backend ever reaches an experiment; each gets exactly its own varied values', () => {
    fc.assert(
      fc.property(gridCase, (c) => {
        const r = expandGrid(BASE, varyOf(c));
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        for (const e of r.value) {
          for (const other of BACKENDS) if (other !== e.backend) expect(e.config[other]).toBeUndefined();
          const ownKeys = (c.own[e.backend as Backend] ?? []).map(([k]) => k);
          expect(Object.keys(e.varied).sort()).toEqual(['backend', ...c.common.map(([k]) => k), ...ownKeys].sort());
          for (const [k, v] of Object.entries(e.varied)) expect(get(e.config, k)).toEqual(v);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('every combination appears exactly once (no value silently dropped)', () => {
    fc.assert(
      fc.property(gridCase, (c) => {
        const r = expandGrid(BASE, varyOf(c));
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        const combos = r.value.map((e) => JSON.stringify(Object.entries(e.varied).sort()));
        expect(new Set(combos).size).toBe(combos.length);
        for (const [k, vals] of c.common)
          for (const v of vals) expect(r.value.some((e) => e.varied[k] === v)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('dotted and nested spellings expand to the same experiments', () => {
    fc.assert(
      fc.property(gridCase, (c) => {
        const a = expandGrid(BASE, varyOf({ ...c, nested: false }));
        const b = expandGrid(BASE, varyOf({ ...c, nested: true }));
        expect(a.ok && b.ok).toBe(true);
        if (a.ok && b.ok) expect(a.value.map((e) => e.config_hash)).toEqual(b.value.map((e) => e.config_hash));
      }),
      { numRuns: 100 },
    );
  });

  it('an axis for a backend the campaign does not run is an error naming it, never a dropped value', () => {
    fc.assert(
      fc.property(gridCase, fc.constantFrom(...BACKENDS), (c, stray) => {
        fc.pre(!c.backends.includes(stray));
        const [field, value] = STRAY[stray];
        const key = `${stray}.${field}`;
        const r = expandGrid(BASE, { ...varyOf(c), [key]: [value] });
        expect(r.ok).toBe(false);
        if (!r.ok)
          expect(
            r.error.some(
              (p) =>
                p.path.join('.') === `vary.${key}` &&
                p.message.includes(`no experiment of this campaign uses ${stray}`),
            ),
          ).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('expandGrid examples', () => {
  it("the seed's example: backend [pytorch, vllm] x batching.batch_size [1, 4, 8] = 6", () => {
    const r = expandGrid(
      { model: { name: 'meta-llama/Llama-3.1-8B', fp_precision: 'fp16' }, max_output_tokens: 256 },
      { backend: ['pytorch', 'vllm'], batching: { batch_size: [1, 4, 8] } },
    );
    expect(r.ok && r.value.map((e) => `${e.backend}:${e.config.batching.batch_size}`)).toEqual([
      'transformers:1',
      'transformers:4',
      'transformers:8',
      'vllm:1',
      'vllm:4',
      'vllm:8',
    ]);
  });

  it('without vary.backend, base_config.backend routes every experiment', () => {
    const r = expandGrid({ backend: 'vllm', model: { name: 'm' } }, { 'vllm.max_num_seqs': [1, 2] });
    expect(r.ok && r.value.map((e) => [e.backend, e.config.vllm?.max_num_seqs, e.varied])).toEqual([
      ['vllm', 1, { 'vllm.max_num_seqs': 1 }],
      ['vllm', 2, { 'vllm.max_num_seqs': 2 }],
    ]);
  });

  it('reports problems at campaign-document paths, each once however many experiments share it', () => {
    const r = expandGrid(
      { model: { name: 'm' } },
      { backend: ['vllm', 'transformers'], 'batching.batch_size': [1, 0], max_output_tokens: [1, 2, 3] },
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.map((p) => [p.path.join('.'), p.message])).toEqual([
        ['vary.batching.batch_size.1', 'expected an integer > 0, got 0'],
      ]);
  });

  it('flattens vary into axes in the order written', () => {
    const { axes: found, problems } = varyAxes({
      backend: ['vllm'],
      batching: { batch_size: [1], strategy: ['static'] },
      'vllm.max_num_seqs': [4],
    });
    expect(problems).toEqual([]);
    expect(found.map((a) => [a.key, a.backend ?? null, a.source.join('.')])).toEqual([
      ['backend', null, 'vary.backend'],
      ['batching.batch_size', null, 'vary.batching.batch_size'],
      ['batching.strategy', null, 'vary.batching.strategy'],
      ['vllm.max_num_seqs', 'vllm', 'vary.vllm.max_num_seqs'],
    ]);
  });
});
