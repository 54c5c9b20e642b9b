import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchHandlers } from '../campaign/run/executor.js';
import { ExperimentConfig } from '../config/experiment.js';
import type { EndpointSection } from '../config/serve.js';
import type { BatchExperiment, BatchSpec } from '../contract/batch-spec.js';
import type { HarnessEvent, LoadProgress } from '../contract/events.js';
import { ErrorCode, type LemError } from '../core/errors.js';
import { ok, type Result } from '../core/result.js';
import type { EnergySource } from './energy-source.js';
import { runServeExperiment } from './serve-experiment.js';

/** Exit code of a batch stopped part-way, as the harness reports SIGINT. */
export const INTERRUPTED_EXIT = 130;

/** What one experiment runs against: the endpoints (none: the config's own) and who measures its energy. */
export interface ServeTarget {
  readonly endpoints?: readonly EndpointSection[];
  readonly energy: EnergySource | null;
  readonly noEnergyReason: string;
  /** Called after the load, whatever its outcome (stops an energy sampler). */
  readonly finish?: () => Promise<void>;
  /** Called once the load is about to start (an idle baseline is measured before it). */
  readonly beforeLoad?: () => Promise<void>;
}

export interface ServeBatchInput {
  readonly spec: BatchSpec;
  readonly stderr: Writable;
  readonly handlers: BatchHandlers;
  readonly signal: AbortSignal;
  readonly hostResults: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Prepares the target of one experiment (starts or reuses a server); an error fails that experiment. */
  readonly target: (x: BatchExperiment, config: ExperimentConfig) => Promise<Result<ServeTarget>>;
}

/** An error as one line for the experiment's `failed` event, its hint (last server lines) after it. */
export function describeFailure(e: LemError): string {
  return e.hint ? `${e.message}\n${e.hint}` : e.message;
}

/**
 * Runs the serve experiments of one batch in lem's own process, speaking the harness's event protocol, so the
 * campaign's reducer, manifest and resume treat them like any other experiments. Stopped part-way (Ctrl-C), it
 * returns the interrupted exit code and the running experiment writes nothing.
 */
export async function runServeBatch(b: ServeBatchInput): Promise<Result<{ exitCode: number | null }>> {
  const { spec, stderr } = b;
  const emit = (e: HarnessEvent): void => b.handlers.onEvent(e);
  const ts = (): number => Date.now() / 1000;
  let completed = 0;
  let failed = 0;
  const harness_version = 'lem-load-generator';
  emit({
    event: 'batch_started',
    ts: ts(),
    batch_id: spec.batch_id,
    harness_version,
    experiments: spec.experiments.length,
  });
  for (const x of spec.experiments) {
    if (x.pause_before_s > 0)
      await sleep(x.pause_before_s * 1000, undefined, { signal: b.signal }).catch(() => undefined);
    if (b.signal.aborted) return ok({ exitCode: INTERRUPTED_EXIT });
    const base = { ts: ts(), experiment_id: x.experiment_id };
    emit({ event: 'started', ...base });
    const config = ExperimentConfig.parse(x.config);
    const target = await b.target(x, config);
    if (!target.ok) {
      if (target.error.code === ErrorCode.INTERRUPTED) return ok({ exitCode: INTERRUPTED_EXIT });
      stderr.write(`[lem] ${describeFailure(target.error)}\n`);
      failed++;
      emit({ event: 'failed', ts: ts(), experiment_id: x.experiment_id, reason: describeFailure(target.error) });
      continue;
    }
    const outcome = await runOne(b, x, config, target.value);
    if (outcome === 'interrupted') return ok({ exitCode: INTERRUPTED_EXIT });
    if (outcome === 'completed') completed++;
    else failed++;
  }
  emit({ event: 'batch_finished', ts: ts(), batch_id: spec.batch_id, completed, failed });
  return ok({ exitCode: 0 });
}

async function runOne(
  b: ServeBatchInput,
  x: BatchExperiment,
  config: ExperimentConfig,
  t: ServeTarget,
): Promise<'completed' | 'failed' | 'interrupted'> {
  const ts = (): number => Date.now() / 1000;
  const dir = join(b.hostResults, b.spec.campaign_id, x.experiment_id);
  const id = {
    campaign_id: b.spec.campaign_id,
    experiment_id: x.experiment_id,
    config_hash: x.config_hash,
    cycle: x.cycle,
    index: x.index,
    attempt: x.attempt,
  };
  const t0 = Date.now();
  let r: Awaited<ReturnType<typeof runServeExperiment>>;
  try {
    await t.beforeLoad?.();
    b.handlers.onEvent({ event: 'measuring', ts: ts(), experiment_id: x.experiment_id });
    const onProgress = (p: LoadProgress): void =>
      b.handlers.onEvent({ event: 'load_progress', ts: ts(), experiment_id: x.experiment_id, ...p });
    r = await runServeExperiment({ id, config, dir, signal: b.signal, env: b.env, onProgress, ...t });
  } finally {
    await t.finish?.();
  }
  if (!r.ok && (r.error.code === ErrorCode.INTERRUPTED || b.signal.aborted)) {
    b.stderr.write(`[lem] ${r.error.message}\n`);
    return 'interrupted';
  }
  if (!r.ok) {
    b.handlers.onEvent({ event: 'failed', ts: ts(), experiment_id: x.experiment_id, reason: r.error.message });
    return 'failed';
  }
  const s = r.value.serving!;
  const rate = s.throughput.output_tokens_per_s.toFixed(1);
  b.stderr.write(`[lem] ${x.experiment_id}: ${s.requests.completed}/${s.requests.total} req, ${rate} tok/s\n`);
  b.handlers.onEvent({
    event: 'finished',
    ts: ts(),
    experiment_id: x.experiment_id,
    result_path: join(dir, 'result.json'),
    duration_s: (Date.now() - t0) / 1000,
  });
  return 'completed';
}
