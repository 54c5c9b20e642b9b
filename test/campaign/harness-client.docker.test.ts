import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HARNESS_BUSY_EXIT,
  listHarnesses,
  runHarnessBatch,
  stopHarness,
  warmHarness,
} from '../../src/campaign/harness-client.js';
import { ExperimentConfig } from '../../src/config/experiment.js';
import type { BatchSpec } from '../../src/contract/batch-spec.js';
import type { HarnessEvent } from '../../src/contract/events.js';
import { DockerBackendContainer } from '../../src/runtime/backend-container.js';
import { execCapture } from '../../src/runtime/exec.js';
import { loadComposeProject } from '../../src/runtime/compose-file.js';
import { REPO } from '../support/lem-project.js';

// lem's harness client against the real harness in a real lem/synthetic container: ps, stop, warm, and the
// refusal (exit 3) of a second harness while one is measuring.

const dir = mkdtempSync(join(tmpdir(), 'lem-hc-'));
let c: DockerBackendContainer;

beforeAll(async () => {
  for (const sub of ['configs', 'results', '.state']) mkdirSync(join(dir, sub));
  const harness = `${join(REPO, 'docker/harness')}:`;
  const compose = readFileSync(join(REPO, 'compose.yaml'), 'utf8').replace('./docker/harness:', harness);
  writeFileSync(join(dir, 'compose.yaml'), compose);
  const project = loadComposeProject(dir, { withGpu: false, env: { ...process.env } });
  if (!project.ok) throw new Error(project.error.message);
  c = new DockerBackendContainer(
    new Docker(),
    `hc${Date.now().toString(36)}`,
    project.value.services['synthetic']!,
    {},
  );
  const up = await c.up();
  if (!up.ok) throw new Error(up.error.message);
  const healthy = await c.waitHealthy(60_000);
  if (!healthy.ok) throw new Error(healthy.error.message);
}, 90_000);

afterAll(async () => {
  await c?.down();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A batch spec in configs/ (mounted read-only at /app/configs) whose harness stays busy about `measureS` seconds.
 * A simulated run is not extended to min_measure_s (no energy is measured), so a busy harness is one whose warmup
 * never converges: 100 ms generates, up to measureS × 10 of them, stoppable between any two.
 */
function spec(campaign: string, batch: string, measureS: number): string {
  const config = ExperimentConfig.parse({
    backend: 'synthetic',
    model: { name: 'synthetic-model' },
    max_output_tokens: 8,
    prompts: { category: 'short', count: 2 },
    measurement: {
      idle_baseline_s: 0,
      min_measure_s: measureS,
      warmup:
        measureS > 0
          ? { max_runs: measureS * 10, min_runs: 1, window: 2, cv_threshold: 1e-9 }
          : { max_runs: 2, min_runs: 1, window: 2 },
    },
    ...(measureS > 0 ? { synthetic: { tokens_per_second: 80 } } : {}),
  });
  const body: BatchSpec = {
    schema_version: 1,
    campaign_id: campaign,
    batch_id: batch,
    results_dir: '/app/results',
    experiments: [{ experiment_id: 'e1', config_hash: 'h', cycle: 0, index: 0, attempt: 1, pause_before_s: 0, config }],
  };
  writeFileSync(join(dir, 'configs', `${batch}.json`), JSON.stringify(body));
  return `/app/configs/${batch}.json`;
}

function start(specPath: string) {
  const events: HarnessEvent[] = [];
  let stderr = '';
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => (stderr += d.toString()));
  let measuring: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (measuring = resolve));
  const done = runHarnessBatch(c, specPath, sink, {
    onEvent: (e) => {
      events.push(e);
      if (e.event === 'warmup' || e.event === 'measuring') measuring();
    },
    onProtocolError: (line) => {
      throw new Error(`not an event: ${line}`);
    },
  });
  return { events, stderr: () => stderr, started, done };
}

describe('the harness client in a real container', { timeout: 60_000 }, () => {
  it("warmHarness precompiles the harness into the container's bytecode cache", async () => {
    expect(await warmHarness(c)).toBeUndefined();
    const r = await execCapture(c.handle(), ['sh', '-c', 'ls /tmp/lem-pycache/app/harness/lem_harness']);
    expect(r.stdout).toContain('cli.cpython');
  });

  it('a second harness is refused with HARNESS_BUSY_EXIT; ps lists the one measuring; stop ends it', async () => {
    expect(await listHarnesses(c)).toEqual([]);
    const first = start(spec('camp-a', 'batch-a', 120));
    await first.started;

    const [running] = await listHarnesses(c);
    expect(running).toMatchObject({ campaign_id: 'camp-a', batch_id: 'batch-a' });

    const second = start(spec('camp-b', 'batch-b', 0));
    const refused = await second.done;
    expect(refused.exitCode).toBe(HARNESS_BUSY_EXIT);
    expect(second.events).toEqual([]);
    expect(second.stderr()).toContain(`pid ${running!.pid}, campaign camp-a, batch batch-a`);
    const results = await execCapture(c.handle(), ['ls', '/app/results']);
    expect(results.stdout).not.toContain('camp-b');

    expect(await stopHarness(c, 'camp-nobody', 0)).toBe(0);
    expect(await stopHarness(c, 'batch-a', 10_000)).toBe(1);
    expect((await first.done).exitCode).toBe(143);
    expect(first.events.at(-1)).toMatchObject({ event: 'failed', experiment_id: 'e1' });
    expect(await listHarnesses(c)).toEqual([]);

    // The lock went with its holder: the next batch runs.
    const next = start(spec('camp-b', 'batch-c', 0));
    expect((await next.done).exitCode).toBe(0);
    expect(next.events.at(-1)).toMatchObject({ event: 'batch_finished', completed: 1 });
  });

  it('the harness knows it runs in a container (from its namespaces)', async () => {
    const code = 'from lem_harness.environment import in_container; print(in_container())';
    const r = await execCapture(c.handle(), ['python3', '-c', code]);
    expect(r.stdout.trim()).toBe('True');
  });
});
