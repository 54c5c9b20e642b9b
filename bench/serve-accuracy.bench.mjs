// Accuracy of lem's serving latencies: against the synthetic server (known TTFT and ITL) the load generator's
// median TTFT and ITL must be within 1 ms of the configured values at concurrency 1 and 64, with the server as a
// local process and, when Docker and lem/synthetic:latest are present, inside that container (port published on
// 127.0.0.1 only). A loaded machine delays the server's timers and shows here as FAIL. Needs `npm run build`.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runLoad } from '../dist/serve/load-run.js';
import { servingMetrics } from '../dist/serve/metrics.js';
import { monoOffsetMs, split } from './serve-accuracy-split.mjs';
import { childPid, machineWindow, processCpuS, runQueueWaitNs } from './cpu-usage.mjs';

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
  const out = await runLoad({
    endpoints: [{ url: `http://127.0.0.1:${port}/v1`, api: 'openai-chat', model: 'synthetic', headers: {} }],
    routing: 'round-robin',
    prompts,
    signal: new AbortController().signal,
    plan: { concurrency: c, requests, warmupRequests: c, arrival: 'poisson', burstiness: 1, seed: 0 },
    send: { maxTokens: 16, ignoreEos: true, requestTimeoutMs: 30_000 },
  });
  const t0MonoMs = monoOffsetMs() + out.startedAtPerfMs;
  const { streams } = await fetch(`http://127.0.0.1:${port}/simulated/timings`).then((r) => r.json());
  const gaps = out.records.filter((r) => !r.warmup).flatMap((r) => r.chunkMs.slice(1).map((t, i) => t - r.chunkMs[i]));
  const bunched = gaps.filter((g) => g < ITL / 10).length / Math.max(1, gaps.length);
  return {
    m: servingMetrics(out.records, undefined),
    parts: split(out.records, prompts, streams, t0MonoMs),
    bunched,
    client: out.client,
  };
}

const f = (v) => v.toFixed(3).padStart(7);
const pct = (v) => `${(v * 100).toFixed(0)} %`;
const verdicts = [];

/** One case: the server at `port` (its process id `serverPid` on this host, when known), at concurrency 1 and 64. */
async function report(where, port, serverPid, counts) {
  await waitReady(port);
  for (const c of [1, 64]) {
    const window = machineWindow();
    const clientCpu0 = process.cpuUsage();
    const serverCpu0 = serverPid ? processCpuS(serverPid) : null;
    const wait0 = runQueueWaitNs(process.pid);
    const wall0 = performance.now();
    const { m, parts: p, bunched, client } = await measure(port, c);
    const wait1 = runQueueWaitNs(process.pid);
    const wallMs = performance.now() - wall0;
    const machine = window.end();
    const clientCpu = process.cpuUsage(clientCpu0);
    const serverCpu = serverPid && serverCpu0 !== null ? processCpuS(serverPid) - serverCpu0 : null;
    const ttft = m.latency.ttft_ms.median;
    const itl = m.latency.itl_ms.median;
    const pass = m.requests.success_rate === 1 && Math.abs(ttft - TTFT) < 1 && Math.abs(itl - ITL) < 1;
    if (counts) verdicts.push(pass);
    const tokens = m.tokens.output + c * 16;
    console.log(
      `${where.padEnd(15)} c=${String(c).padEnd(2)}  TTFT set ${TTFT} median ${f(ttft)} ms   ITL set ${ITL} median ` +
        `${f(itl)} ms   ${pass ? 'PASS' : 'FAIL'}${counts ? '' : ' (diagnostic, not counted)'}`,
    );
    console.log(
      `${''.padEnd(21)}medians: up send→received ${f(p.upMs)} ms (server's read after ${f(p.readMs)}) | ` +
        `server late ${f(p.lateMs)} ms (1st token ` +
        `${f(p.lateFirstMs)}) | down sent→client ${f(p.downMs)} ms (1st token ${f(p.downFirstMs)}) | ITL gaps < ` +
        `${ITL / 10} ms ${(bunched * 100).toFixed(1)} % | ${p.matched} requests matched`,
    );
    const cpu = [
      `client ${((clientCpu.user + clientCpu.system) / tokens) | 0} µs/token`,
      serverCpu !== null ? `server ${((serverCpu * 1e6) / tokens) | 0} µs/token` : null,
      machine ? `machine busy ${pct(machine.busyShare)} of all CPUs, steal ${pct(machine.stealShare)}` : null,
      wait0 !== null && wait1 !== null
        ? `lem's main thread waited for a CPU ${((wait1 - wait0) / 1e6).toFixed(0)} ms (${pct((wait1 - wait0) / 1e6 / wallMs)} of the case)`
        : null,
    ];
    console.log(`${''.padEnd(21)}cpu: ${cpu.filter(Boolean).join(' | ')}`);
    console.log(
      `${''.padEnd(21)}TTFT as served (server's received → 1st token sent): median ${f(p.servedTtftMs)} p90 ` +
        `${f(p.servedTtftP90Ms)} ms | lem's own part (measured − served): median ${f(p.overheadMs)} p90 ${f(p.overheadP90Ms)} ms`,
    );
    const d = client.loop_delay_ms;
    console.log(
      `${''.padEnd(21)}lem's event-loop delay (result's serving.client): p50 ${f(d.p50 ?? NaN)} p90 ${f(d.p90 ?? NaN)} ` +
        `p99 ${f(d.p99 ?? NaN)} ms over ${client.probes} probes`,
    );
  }
}

const args = ['-m', 'lem_harness', 'serve-synthetic', '--ttft-ms', String(TTFT), '--itl-ms', String(ITL)];
console.log(
  'TTFT = up + set TTFT + server late (1st token) + down (1st token); each ITL = set ITL + change in late + change ' +
    'in down.\nup: lem writes the request → it reaches the server socket (kernel stamp); late: server sent − its ' +
    'deadline; down: server ' +
    'sent → lem received (same host, same CLOCK_MONOTONIC).',
);

const port = await freePort();
const local = spawn('python3', [...args, '--port', String(port)], {
  env: { ...process.env, PYTHONPATH: join(repo, 'docker/harness') },
  stdio: 'ignore',
});
try {
  await report('process', port, local.pid, true);
} finally {
  local.kill('SIGTERM');
}

/** The server in a lem/synthetic container; `network` is the docker run networking arguments. */
async function inContainer(where, network, port, counts) {
  const name = `lem-serve-accuracy-${process.pid}`;
  const run = spawnSync(
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
      ...network,
      'lem/synthetic:latest',
      'python3',
      ...args,
      ...(counts ? ['--host', '0.0.0.0', '--port', '8000'] : ['--port', String(port)]),
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`docker run failed: ${run.stderr}`);
  try {
    // --init makes the container's first process tini; the server is its child.
    const init = Number(spawnSync('docker', ['inspect', '-f', '{{.State.Pid}}', name], { encoding: 'utf8' }).stdout);
    await report(where, port, init > 0 ? childPid(init) : null, counts);
  } finally {
    spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  }
}

const hasImage = spawnSync('docker', ['image', 'inspect', 'lem/synthetic:latest'], { stdio: 'ignore' }).status === 0;
if (hasImage) {
  // As lem runs it: the port published on 127.0.0.1, which Docker relays through its userland proxy (docker-proxy)
  // unless the daemon runs with userland-proxy disabled.
  const cport = await freePort();
  await inContainer('container', ['-p', `127.0.0.1:${cport}:8000`], cport, true);
  // The same container on the host's network (no published port, no proxy): the difference is the proxy's share.
  const hport = await freePort();
  await inContainer('container-host', ['--network', 'host'], hport, false);
} else {
  console.log('container: skipped (no Docker or no lem/synthetic:latest image)');
}
const ok = verdicts.every(Boolean);
console.log(ok ? 'serve accuracy: PASS' : 'serve accuracy: FAIL');
process.exitCode = ok ? 0 : 1;
