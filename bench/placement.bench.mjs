// Placement of a 10,000-experiment campaign onto 8 GPUs (issue: "placement: pack" scheduler scale).
// Target: < 1 s for the whole placement, run on a virtual clock (the scheduler is pure; no Docker here).
// Mix: 70 % one-GPU, 20 % two-GPU, 10 % four-GPU batches, 5 % of them pinned, seeded durations.
import { performance } from 'node:perf_hooks';
import { simulatePlacement } from '../dist/placement/simulate.js';
import { mulberry32Unit } from '../dist/core/prng.js';
import { dispatchPacked } from '../dist/placement/dispatch.js';

const N = 10_000;
const GPUS = [0, 1, 2, 3, 4, 5, 6, 7];
const random = mulberry32Unit(42);
const reqs = [];
const dur = new Map();
for (let i = 0; i < N; i++) {
  const u = random();
  const count = u < 0.7 ? 1 : u < 0.9 ? 2 : 4;
  const pinned = random() < 0.05;
  const first = Math.floor(random() * (8 - count + 1));
  reqs.push({
    key: `e${i}`,
    backend: random() < 0.5 ? 'vllm' : 'tensorrt',
    count,
    pins: pinned ? Array.from({ length: count }, (_, k) => first + k) : undefined,
  });
  dur.set(`e${i}`, 1 + Math.floor(random() * 60));
}

const times = [];
let result;
for (let run = 0; run < 5; run++) {
  const t0 = performance.now();
  result = simulatePlacement(GPUS, reqs, (k) => dur.get(k));
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[2];
const busy = result.starts.reduce((s, p) => s + (p.end - p.start) * p.gpus.length, 0);
console.log(
  `placed ${N} batches on ${GPUS.length} GPUs: median ${median.toFixed(0)} ms over 5 runs (min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)})`,
);
console.log(
  `simulated makespan ${result.makespan} time units, GPU utilisation ${((100 * busy) / (result.makespan * GPUS.length)).toFixed(1)} %`,
);
console.log(`target < 1000 ms: ${median < 1000 ? 'PASS' : 'FAIL'}`);

// The runner's own dispatch loop over the same batches, each "run" ending one event-loop turn after it starts:
// what the orchestrator spends per batch to keep the GPUs fed (reported, no target).
const loop = [];
for (let run = 0; run < 3; run++) {
  const t0 = performance.now();
  const r = await dispatchPacked({
    gpus: GPUS,
    batches: reqs,
    need: (q) => ({ backend: q.backend, count: q.count, pins: q.pins }),
    signal: new AbortController().signal,
    run: () => new Promise((resolve) => setImmediate(() => resolve({ ok: true, value: [] }))),
  });
  if (!r.ok) throw new Error(r.error.message);
  loop.push(performance.now() - t0);
}
loop.sort((a, b) => a - b);
console.log(
  `dispatch loop: ${N} batches in ${loop[1].toFixed(0)} ms (median of 3), ${((1000 * loop[1]) / N).toFixed(1)} µs per batch`,
);
process.exitCode = median < 1000 ? 0 : 1;
