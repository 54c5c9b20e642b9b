import { runLoad } from '/work/main/dist/serve/load-run.js';
const [port, c, requests, tag] = process.argv.slice(2);
const C = Number(c), R = Number(requests);
const prompts = Array.from({ length: R + C }, (_, i) => `${tag}-${i}`);
const out = await runLoad({
  endpoints: [{ url: `http://127.0.0.1:${port}/v1`, api: 'openai-chat', model: 'synthetic', headers: {} }],
  routing: 'round-robin', prompts, signal: new AbortController().signal,
  plan: { concurrency: C, requests: R, warmupRequests: C, arrival: 'poisson', burstiness: 1, seed: 0 },
  send: { maxTokens: 16, ignoreEos: true, requestTimeoutMs: 30_000 },
});
const m = out.records.filter((r) => !r.warmup && r.errorClass === null);
process.stdout.write(JSON.stringify({ ttft: m.map((r) => r.firstTokenMs - r.sendMs), itl: m.flatMap((r) => r.chunkMs.slice(1).map((t, i) => t - r.chunkMs[i])) }));
