import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../src/serve/load-run.js';
import { servingMetrics } from '../../src/serve/metrics.js';
import { isSyntheticServer } from '../../src/serve/probe.js';
import { REPO } from '../support/lem-project.js';
import { freePort } from '../support/synthetic-server-process.js';

const TTFT = 20;
const ITL = 5;
const docker = new Docker();
let container: Docker.Container;
let url: string;

/** The synthetic server inside a real lem/synthetic container, its port published on 127.0.0.1 only. */
beforeAll(async () => {
  const port = await freePort();
  container = await docker.createContainer({
    Image: 'lem/synthetic:latest',
    name: `lem-serve-synthetic-test-${process.pid}`,
    Cmd: [
      'python3',
      '-m',
      'lem_harness',
      'serve-synthetic',
      '--host',
      '0.0.0.0',
      '--port',
      '8000',
      '--ttft-ms',
      String(TTFT),
      '--itl-ms',
      String(ITL),
    ],
    Env: ['PYTHONPATH=/app/harness', 'PYTHONUNBUFFERED=1'],
    ExposedPorts: { '8000/tcp': {} },
    HostConfig: {
      Binds: [`${REPO}/docker/harness:/app/harness:ro`],
      PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
      Init: true,
    },
  });
  await container.start();
  url = `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('synthetic server in its container never became ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  await container?.remove({ force: true });
});

describe('the synthetic server in its container', () => {
  it('is recognised as the synthetic double, so results against it say simulated', async () => {
    expect(await isSyntheticServer(url)).toBe(true);
  });

  it('publishes its port on 127.0.0.1 only', async () => {
    const info = await container.inspect();
    expect(info.NetworkSettings.Ports['8000/tcp']!.map((b) => b.HostIp)).toEqual(['127.0.0.1']);
  });

  // Timing accuracy (median TTFT/ITL within 1 ms of the configured values) is measured by bench/serve-accuracy.bench.mjs:
  // timing is asserted in benchmarks, never in tests that share a loaded machine.
  it('serves 64 concurrent streams to the load generator, every token and usage count intact', async () => {
    const out = await runLoad({
      endpoints: [{ url, api: 'openai-chat', model: 'synthetic', headers: {} }],
      routing: 'round-robin',
      prompts: ['p'],
      plan: { concurrency: 64, requests: 128, warmupRequests: 0, arrival: 'poisson', burstiness: 1, seed: 0 },
      send: { maxTokens: 16, ignoreEos: true, requestTimeoutMs: 30_000 },
      signal: new AbortController().signal,
    });
    const m = servingMetrics(out.records, undefined);
    expect(m.requests).toMatchObject({ total: 128, completed: 128, success_rate: 1 });
    expect(m.tokens).toMatchObject({ output: 128 * 16, from_usage: true });
    expect(m.latency.ttft_ms!.min).toBeGreaterThanOrEqual(TTFT - 1);
    expect(m.latency.itl_ms!.n).toBe(128 * 15);
  }, 60_000);
});
