import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createExperimentValidator, finishExperiment, validateExperiment } from '../../src/config/resolve.js';

/** Values a field may be given: valid ones, wrong types, out-of-range numbers, NaN and Infinity (YAML .nan/.inf). */
const anyValue = fc.oneof(
  fc.constantFrom(
    1,
    4,
    0,
    -1,
    2.5,
    0.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    'fp16',
    'bf16',
    'fp8',
    'static',
    'sorted',
    'vllm',
    'pytorch',
    'onnx',
    true,
    false,
    'standard',
  ),
  fc.constant({}),
  fc.constant([1]),
);

/** Paths that exist, paths to other backends' sections, and keys no schema knows. */
const PATHS = [
  'backend',
  'model.name',
  'model.fp_precision',
  'max_output_tokens',
  'batching.batch_size',
  'batching.strategy',
  'decoder.preset',
  'decoder.temperature',
  'decoder.top_p',
  'prompts.count',
  'measurement.idle_baseline_s',
  'measurement.warmup.window',
  'force_cold_start',
  'vllm.max_num_seqs',
  'vllm.gpu_memory_utilization',
  'transformers.torch_compile',
  'tensorrt.max_batch_size',
  'synthetic.ttft_ms',
  'vllm.extra.foo',
  'bogus',
  'batching.bogus',
];

function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return { ...obj, [head!]: value };
  const child = obj[head!];
  return {
    ...obj,
    [head!]: setPath(
      child !== null && typeof child === 'object' && !Array.isArray(child) ? (child as Record<string, unknown>) : {},
      rest.join('.'),
      value,
    ),
  };
}

const BASE = { backend: 'vllm', model: { name: 'm' } };
const experimentInput = fc
  .array(fc.tuple(fc.constantFrom(...PATHS), anyValue), { maxLength: 4 })
  .map((edits) => edits.reduce<Record<string, unknown>>((o, [p, v]) => setPath(o, p, v), BASE));

describe('createExperimentValidator', () => {
  it('gives exactly what validateExperiment gives, for every input of a long sequence sharing one cache', () => {
    fc.assert(
      fc.property(fc.array(experimentInput, { minLength: 1, maxLength: 30 }), (inputs) => {
        const fast = createExperimentValidator();
        for (const input of inputs) expect(fast(input)).toEqual(validateExperiment(input));
      }),
      { numRuns: 300 },
    );
  });

  it('reuses results for field values seen before, by identity or content', () => {
    const fast = createExperimentValidator();
    const a = fast({ backend: 'vllm', model: { name: 'm' }, batching: { batch_size: 4 } });
    const b = fast({ backend: 'vllm', model: { name: 'm' }, batching: { batch_size: 4 }, max_output_tokens: 9 });
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) {
      expect(b.value.model).toBe(a.value.model);
      expect(b.value.batching).toBe(a.value.batching);
    }
  });
});

describe('finishExperiment', () => {
  it('leaves absolute prompt files alone and reports missing ones at prompts.file', () => {
    const v = validateExperiment({
      backend: 'vllm',
      model: { name: 'm' },
      prompts: { source: 'file', file: '/nonexistent/p.jsonl' },
    });
    if (!v.ok) throw new Error('invalid');
    expect(finishExperiment(v.value, { baseDir: '/x' })).toEqual({ ok: true, value: v.value });
    expect(finishExperiment(v.value, { fileExists: () => false })).toEqual({
      ok: false,
      error: [{ path: ['prompts', 'file'], message: 'prompt file not found: /nonexistent/p.jsonl' }],
    });
  });
});
