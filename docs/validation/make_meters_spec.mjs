// Writes the batch spec of the meters cross-check (run_meters_crosscheck.sh) with lem's own resolver, so the
// harness on the device receives exactly the resolved config lem would send it.
//   npm run build && node docs/validation/make_meters_spec.mjs <model dir on the device> <results dir> > spec.json
// Four experiments of one engine load, chosen for different power shapes (each window >= 15 s, 100 ms NVML
// sampling, 10 s loaded-idle baseline): decode at batch 1, 8 and 64 (power rising with batch), then
// prefill only (32 x 1024 input tokens, 1 output token), whose power swings by hundreds of watts
// from one 100 ms sample to the next: the case where a 1 s trailing average and an instantaneous reading part.
import { validateExperiment } from '../../dist/config/resolve.js';
import { buildBatchSpec } from '../../dist/campaign/run/batch-spec.js';

const [model, results] = process.argv.slice(2);
if (!model || !results) {
  process.stderr.write('usage: node make_meters_spec.mjs <model dir> <results dir>\n');
  process.exit(2);
}

function config(batch, inputLength, outputTokens) {
  const r = validateExperiment({
    backend: 'transformers',
    model: { name: model, fp_precision: 'bf16' },
    max_output_tokens: outputTokens,
    batching: { batch_size: batch, strategy: 'static' },
    decoder: { temperature: 0 },
    prompts: { source: 'builtin', category: 'medium', count: Math.max(batch, 32), input_length: inputLength },
    measurement: {
      sample_interval_ms: 100,
      idle_baseline_s: 10,
      device_idle_s: 0,
      min_measure_s: 15,
      warmup: { max_runs: 6, cv_threshold: 0.05, window: 3, min_runs: 2 },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

const plan = [
  ['decode-bs1', config(1, 128, 128)],
  ['decode-bs8', config(8, 128, 128)],
  ['decode-bs64', config(64, 128, 128)],
  ['prefill-bs32', config(32, 1024, 1)],
];
const items = plan.map(([id, c], index) => ({
  experiment: { id, config_hash: `meters-${id}`, cycle: 0, index, config: c },
  attempt: 1,
  pauseBeforeS: 0,
  config: c,
}));
process.stdout.write(
  JSON.stringify(buildBatchSpec('meters-crosscheck', 'meters-crosscheck-1', results, items), null, 1),
);
