// Serving bench: can lem's load generator keep up with a fast server? Against a local zero-delay streaming server
// (a separate process, bench/serve-target.mjs) it must sustain >= 30,000 streamed tokens/s (one token per SSE
// event) and >= 1,000 requests/s, with the client's own CPU time per token <= 20 us. A single H100 serving an 8 B
// model streams ~10,000 tokens/s at batch 512: the client must never be the bottleneck. Needs `npm run build`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runLoad } from '../dist/serve/load-run.js';
import { servingMetrics } from '../dist/serve/metrics.js';

const here = dirname(fileURLToPath(import.meta.url));
const TARGET = { tokensPerS: 30_000, requestsPerS: 1_000, cpuUsPerToken: 20 };

const target = spawn(process.execPath, [join(here, 'serve-target.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => target.stdout.once('data', (b) => resolve(Number(String(b).trim()))));
const url = `http://127.0.0.1:${port}/v1`;

async function phase(concurrency, requests, maxTokens) {
  const input = {
    endpoints: [{ url, api: 'openai-chat', model: 'bench', headers: {} }],
    routing: 'round-robin',
    prompts: ['bench'],
    plan: { concurrency, requests, warmupRequests: concurrency * 2, arrival: 'poisson', burstiness: 1, seed: 0 },
    send: { maxTokens, ignoreEos: false, requestTimeoutMs: 60_000 },
    signal: new AbortController().signal,
  };
  const cpu0 = process.cpuUsage();
  const out = await runLoad(input);
  const cpu = process.cpuUsage(cpu0);
  const m = servingMetrics(out.records, undefined);
  if (m.requests.failed > 0) throw new Error(`bench requests failed: ${JSON.stringify(m.requests.failures)}`);
  // Chunks actually parsed (one token each), measured requests and warm-up alike, for the CPU cost per token.
  const chunks = out.records.reduce((s, r) => s + r.chunkMs.length, 0);
  return { m, cpuUsPerToken: (cpu.user + cpu.system) / chunks };
}

let ok = true;
try {
  const streams = await phase(64, 2_000, 64);
  const tokS = streams.m.throughput.output_tokens_per_s;
  const short = await phase(64, 4_000, 1);
  const reqS = short.m.throughput.requests_per_s;
  const rows = [
    ['streamed tokens/s (c=64, 64 tokens/request)', tokS, `>= ${TARGET.tokensPerS}`, tokS >= TARGET.tokensPerS],
    ['requests/s (c=64, 1 token/request)', reqS, `>= ${TARGET.requestsPerS}`, reqS >= TARGET.requestsPerS],
    [
      'client CPU us/token (streaming phase)',
      streams.cpuUsPerToken,
      `<= ${TARGET.cpuUsPerToken}`,
      streams.cpuUsPerToken <= TARGET.cpuUsPerToken,
    ],
  ];
  for (const [name, value, goal, pass] of rows) {
    console.log(
      `${name.padEnd(46)} ${value.toFixed(1).padStart(10)}  target ${goal.padEnd(9)} ${pass ? 'PASS' : 'FAIL'}`,
    );
    ok &&= pass;
  }
  console.log(
    `(median ITL in the streaming phase ${streams.m.latency.itl_ms.median.toFixed(3)} ms; ${streams.m.tokens.output} tokens in ${streams.m.duration_s.toFixed(2)} s)`,
  );
} finally {
  target.kill('SIGTERM');
}
console.log(ok ? 'serve bench: PASS' : 'serve bench: FAIL');
process.exitCode = ok ? 0 : 1;
