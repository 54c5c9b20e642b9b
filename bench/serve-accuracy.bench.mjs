// Accuracy of lem's serving latencies: against the synthetic server (known TTFT and ITL) the load generator's
// median TTFT and ITL must be within 1 ms of the configured values at concurrency 1 and 64, with the server as a
// local process and, when Docker and lem/synthetic:latest are present, inside that container (port published on
// 127.0.0.1 only). A loaded machine delays the server's timers and shows here as FAIL. Needs `npm run build`.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runLoad } from '../dist/serve/load-run.js';
import { servingMetrics } from '../dist/serve/metrics.js';
import { monoOffsetMs, split } from './serve-accuracy-split.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const TTFT = 20;
const ITL = 5;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function waitReady(port) {
  for (let i = 0; i < 150; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('synthetic server not ready after 30 s');
}

async function measure(port, c) {
  const requests = c === 1 ? 50 : 320;
  // A distinct prompt per request lets the server's timing log be matched to lem's records.
  const prompts = Array.from({ length: requests + c }, (_, i) => `accuracy-${c}-${i}`);
  await fetch(`http://127.0.0.1:${port}/simulated/timings`).then((r) => r.json());
  const t0MonoMs = monoOffsetMs() + performance.now();
  const out = await runLoad({
    endpoints: [{ url: `http://127.0.0.1:${port}/v1`, api: 'openai-chat', model: 'synthetic', headers: {} }],
    routing: 'round-robin',
    prompts,
    signal: new AbortController().signal,
    plan: { concurrency: c, requests, warmupRequests: c, arrival: 'poisson', burstiness: 1, seed: 0 },
    send: { maxTokens: 16, ignoreEos: true, requestTimeoutMs: 30_000 },
  });
  const { streams } = await fetch(`http://127.0.0.1:${port}/simulated/timings`).then((r) => r.json());
  const gaps = out.records.filter((r) => !r.warmup).flatMap((r) => r.chunkMs.slice(1).map((t, i) => t - r.chunkMs[i]));
  const bunched = gaps.filter((g) => g < ITL / 10).length / Math.max(1, gaps.length);
  return { m: servingMetrics(out.records, undefined), parts: split(out.records, prompts, streams, t0MonoMs), bunched };
}

const f = (v) => v.toFixed(3).padStart(7);
let ok = true;
async function report(where, port) {
  await waitReady(port);
  for (const c of [1, 64]) {
    const { m, parts: p, bunched } = await measure(port, c);
    const ttft = m.latency.ttft_ms.median;
    const itl = m.latency.itl_ms.median;
    const pass = m.requests.success_rate === 1 && Math.abs(ttft - TTFT) < 1 && Math.abs(itl - ITL) < 1;
    ok &&= pass;
    console.log(
      `${where.padEnd(9)} c=${String(c).padEnd(2)}  TTFT set ${TTFT} median ${f(ttft)} ms   ITL set ${ITL} median ${f(itl)} ms` +
        `   ${pass ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `${''.padEnd(15)}medians (ms): up send→received ${f(p.upMs)} (of which server reading ${f(p.readMs)})` +
        `  server late ${f(p.lateMs)} (1st token ${f(p.lateFirstMs)})` +
        `  down sent→client ${f(p.downMs)} (1st token ${f(p.downFirstMs)})` +
        `  ITL gaps < ${ITL / 10} ms: ${(bunched * 100).toFixed(1)} %  [${p.matched} requests matched]`,
    );
  }
}

const port = await freePort();
const args = ['-m', 'lem_harness', 'serve-synthetic', '--ttft-ms', String(TTFT), '--itl-ms', String(ITL)];
const local = spawn('python3', [...args, '--port', String(port)], {
  env: { ...process.env, PYTHONPATH: join(repo, 'docker/harness') },
  stdio: 'ignore',
});
try {
  await report('process', port);
} finally {
  local.kill('SIGTERM');
}

const hasImage = spawnSync('docker', ['image', 'inspect', 'lem/synthetic:latest'], { stdio: 'ignore' }).status === 0;
if (hasImage) {
  const cport = await freePort();
  const name = `lem-serve-accuracy-${process.pid}`;
  spawnSync(
    'docker',
    [
      'run',
      '-d',
      '--rm',
      '--init',
      '--name',
      name,
      '-e',
      'PYTHONPATH=/app/harness',
      '-v',
      `${join(repo, 'docker/harness')}:/app/harness:ro`,
      '-p',
      `127.0.0.1:${cport}:8000`,
      'lem/synthetic:latest',
      'python3',
      ...args,
      '--host',
      '0.0.0.0',
      '--port',
      '8000',
    ],
    { stdio: 'ignore' },
  );
  try {
    await report('container', cport);
  } finally {
    spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  }
} else {
  console.log('container: skipped (no Docker or no lem/synthetic:latest image)');
}
console.log(ok ? 'serve accuracy: PASS' : 'serve accuracy: FAIL');
process.exitCode = ok ? 0 : 1;
