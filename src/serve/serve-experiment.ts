import { join } from 'node:path';
import type { ExperimentConfig } from '../config/experiment.js';
import type { EndpointSection } from '../config/serve.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { LoadProgress } from '../contract/events.js';
import type { ResultDocument } from '../contract/result.js';
import type { ServingBlock } from '../contract/serving.js';
import { clientHealthWarning } from './client-health.js';
import type { Endpoint } from './client.js';
import { servingEnergy, type EnergySource } from './energy-source.js';
import { loadProgressReporter } from './load-progress.js';
import { runLoad } from './load-run.js';
import { servingMetrics, workerShares } from './metrics.js';
import { isSyntheticServer } from './probe.js';
import { loadPrompts } from './prompts.js';
import { requestsCsv } from './requests-csv.js';
import { serveResultDocument, type ExperimentIdentity } from './serve-result.js';
import { loadWindows, tokensInWindow } from './windows.js';

/** Endpoints with their header values read from the environment; a variable that is not set is an error. */
export function resolveEndpoints(
  sections: readonly EndpointSection[],
  env: Readonly<Record<string, string | undefined>>,
): Result<Endpoint[]> {
  const out: Endpoint[] = [];
  for (const [i, s] of sections.entries()) {
    const headers: Record<string, string> = {};
    for (const [header, name] of Object.entries(s.headers_from_env)) {
      const value = env[name];
      if (value === undefined) {
        return err(
          lemError(
            ErrorCode.CONFIG_INVALID,
            `endpoint ${i} (${s.url}): header ${header} needs environment variable ${name}, which is not set`,
          ),
        );
      }
      headers[header] = value;
    }
    out.push({ url: s.url, api: s.api, model: s.model, headers });
  }
  return ok(out);
}

export interface ServeExperimentInput {
  readonly id: ExperimentIdentity;
  readonly config: ExperimentConfig;
  /** The experiment's result folder (<results>/<campaign>/<experiment>); written only when the run completes. */
  readonly dir: string;
  /** Endpoints of a server lem started (none: the config's external endpoint(s)). */
  readonly endpoints?: readonly EndpointSection[];
  readonly energy: EnergySource | null;
  /** Why there is no energy, when `energy` is null. */
  readonly noEnergyReason: string;
  readonly signal: AbortSignal;
  /** The user's environment (read at the CLI edge): endpoint headers name their variables in it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Told how far the load has got, every few seconds and when the last planned request finishes. */
  readonly onProgress?: (p: LoadProgress) => void;
}

/**
 * One serve experiment: the load, its metrics, result.json and requests.csv. Stopped part-way (Ctrl-C), it
 * writes nothing and returns INTERRUPTED, so a resumed campaign runs the experiment again from the start.
 */
export async function runServeExperiment(x: ServeExperimentInput): Promise<Result<ResultDocument>> {
  const c = x.config;
  const load = c.load;
  if (c.mode !== 'serve' || load === undefined)
    return err(lemError(ErrorCode.CONFIG_INVALID, 'not a serve experiment'));
  const sections = x.endpoints ?? c.endpoints ?? (c.endpoint ? [c.endpoint] : []);
  const endpoints = resolveEndpoints(sections, x.env);
  if (!endpoints.ok) return endpoints;
  const prompts = loadPrompts(c.prompts);
  if (!prompts.ok) return prompts;
  const simulated =
    c.backend === 'synthetic' || (await Promise.all(sections.map((e) => isSyntheticServer(e.url)))).some(Boolean);
  const startedAt = new Date();
  const out = await runLoad({
    endpoints: endpoints.value,
    routing: c.routing ?? 'round-robin',
    prompts: prompts.value,
    signal: x.signal,
    plan: loadPlan(load),
    send: sendOptions(c, load),
    ...(x.onProgress
      ? { onRecord: loadProgressReporter(load.requests ?? null, x.onProgress, () => performance.now()) }
      : {}),
  });
  if (out.interrupted)
    return err(lemError(ErrorCode.INTERRUPTED, `${x.id.experiment_id}: load run stopped; no result written`));
  const m = servingMetrics(out.records, c.slo);
  const windows = loadWindows({
    records: out.records,
    concurrency: load.concurrency,
    rampS: load.ramp_s,
    lastSendMs: out.lastSendMs,
  });
  const energy = await servingEnergy(
    x.energy,
    x.noEnergyReason,
    { epochMs: out.startedAtEpochMs, whole: windows.whole, steady: windows.steady },
    {
      completed: m.requests.completed,
      outputTokens: m.tokens.output,
      steadyTokens: windows.steady ? tokensInWindow(out.records, windows.steady) : 0,
    },
  );
  const workers = workerShares(
    out.records,
    sections.map((s) => s.url),
    m.duration_s,
  );
  const serving = {
    ...m,
    load: loadSummary(load),
    workers,
    windows,
    energy,
    files: { requests_csv: 'requests.csv' },
    client: out.client,
  };
  const warnings = serveWarnings(simulated, serving);
  const doc = serveResultDocument(x.id, c, {
    simulated,
    startedAt,
    finishedAt: new Date(),
    loadEpochMs: out.startedAtEpochMs,
    warmupS: out.measuredStartMs / 1000,
    promptCount: prompts.value.length,
    serving,
    warnings,
  });
  // requests.csv first: result.json is the marker of a complete result folder.
  const csv = writeFileAtomic(join(x.dir, 'requests.csv'), requestsCsv(out.records));
  if (!csv.ok) return csv;
  const json = writeFileAtomic(join(x.dir, 'result.json'), JSON.stringify(doc, null, 2) + '\n');
  return json.ok ? ok(doc) : json;
}

type LoadSection = NonNullable<ServeExperimentInput['config']['load']>;

/** What a reader of the result must know about how it was measured. */
function serveWarnings(simulated: boolean, s: ServingBlock): string[] {
  const warnings = ['serve mode: warm-up is load.warmup_requests requests, not CV convergence'];
  if (simulated) warnings.push("measured against lem's synthetic server (a test double): simulated timings");
  if (s.energy.simulated) warnings.push("energy is the synthetic server's power model, not a measurement (simulated)");
  const late = s.client ? clientHealthWarning(s.client) : null;
  if (late !== null) warnings.push(late);
  const r = s.requests;
  if (r.failed > 0) warnings.push(`${r.failed} of ${r.total} requests failed: ${JSON.stringify(r.failures)}`);
  return warnings;
}

/** The load's shape as the load generator takes it. */
function loadPlan(load: LoadSection) {
  return {
    concurrency: load.concurrency,
    rate: load.rate,
    arrival: load.arrival,
    burstiness: load.burstiness,
    seed: load.seed,
    requests: load.requests,
    durationS: load.duration_s,
    warmupRequests: load.warmup_requests,
  };
}

/** What every request asks of the server. */
function sendOptions(c: ServeExperimentInput['config'], load: LoadSection) {
  return {
    maxTokens: load.max_tokens ?? c.max_output_tokens,
    ignoreEos: load.ignore_eos,
    temperature: c.decoder.temperature,
    requestTimeoutMs: load.request_timeout_s * 1000,
    ...(load.stall_timeout_s !== undefined ? { stallTimeoutMs: load.stall_timeout_s * 1000 } : {}),
  };
}

/** The load as the result records it: open or closed loop, and only the settings that loop uses. */
function loadSummary(load: LoadSection) {
  const open = load.rate !== undefined;
  return {
    loop: open ? ('open' as const) : ('closed' as const),
    concurrency: load.concurrency ?? null,
    rate: load.rate ?? null,
    arrival: open ? load.arrival : null,
    burstiness: open && load.arrival === 'gamma' ? load.burstiness : null,
    seed: load.seed,
  };
}
