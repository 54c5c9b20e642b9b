import { rewriteResult } from '../contract/result-rewrite.js';
import { z } from 'zod';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { sourceLabel, startMeters, type RunningMeters } from './collect-domains.js';
import { domainsBlock, SAME_HOST_CLOCK, type ClockAssumption } from './result-domains.js';
import type { SourceSamples } from './samples.js';
import { MeterSource } from './sources-config.js';

/**
 * Host meters around a campaign's batches (effects). The harness measures the GPU inside its container; these
 * meters run on lem's host from before a batch is handed to the executor until it ends, and each experiment's
 * measured window (the wall-clock times the harness put in its result) is cut out of their samples afterwards.
 */

/** An experiment as the meters see it: its id and the sources its resolved config names. */
export interface MeteredExperiment {
  readonly id: string;
  readonly config: { readonly measurement?: { readonly sources?: unknown } };
}

const Sources = z.array(MeterSource).optional();

export function sourcesOf(e: MeteredExperiment): Result<MeterSource[]> {
  const parsed = Sources.safeParse(e.config.measurement?.sources);
  if (parsed.success) return ok(parsed.data ?? []);
  const i = parsed.error.issues[0];
  return err(
    lemError(ErrorCode.STATE_CORRUPT, `experiment ${e.id}: measurement.sources.${i?.path.join('.')}: ${i?.message}`),
  );
}

/** Every distinct source the experiments name (two of one label are one meter). */
export function unionOfSources(experiments: readonly MeteredExperiment[]): Result<MeterSource[]> {
  const byLabel = new Map<string, MeterSource>();
  for (const e of experiments) {
    const s = sourcesOf(e);
    if (!s.ok) return s;
    for (const src of s.value) if (!byLabel.has(sourceLabel(src))) byLabel.set(sourceLabel(src), src);
  }
  return ok([...byLabel.values()]);
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Before anything runs: every live meter the plan names starts and stops once, so an unreadable RAPL tree or an
 * unreachable PDU stops the campaign at once rather than leaving hours of results without their figures.
 */
export async function preflightMeters(experiments: readonly MeteredExperiment[], env: Env): Promise<Result<void>> {
  const sources = unionOfSources(experiments);
  if (!sources.ok) return sources;
  const live = sources.value.filter((s) => !('path' in s));
  if (live.length === 0) return ok(undefined);
  const started = await startMeters(live, { env });
  if (!started.ok) return started;
  const stopped = await started.value.stop();
  return stopped.ok ? ok(undefined) : stopped;
}

/** What became of one experiment of a batch: its result to annotate (a completed attempt) or nothing. */
export interface FinishedExperiment extends MeteredExperiment {
  readonly resultPath: string;
}

export interface BatchMeterRun {
  /** Stops the meters and writes each finished experiment's `domains`; resolves the problems, one line each. */
  finish(done: readonly FinishedExperiment[]): Promise<string[]>;
}

export interface BatchMeters {
  /** Starts the meters the batch's experiments name; undefined when they name none. */
  start(batch: readonly MeteredExperiment[]): Promise<BatchMeterRun | undefined>;
}

export function batchMeters(env: Env, clock: ClockAssumption = SAME_HOST_CLOCK): BatchMeters {
  return {
    start: async (batch) => {
      const sources = unionOfSources(batch);
      if (!sources.ok) return failedRun(sources.error.message, clock);
      if (sources.value.length === 0) return undefined;
      const started = await startMeters(sources.value, { env });
      if (!started.ok) return failedRun(started.error.message, clock);
      return { finish: (done) => finishRun(started.value, done, clock) };
    },
  };
}

/** Meters that could not start: the batch still runs, and its results say why they have no host figures. */
function failedRun(error: string, clock: ClockAssumption): BatchMeterRun {
  return {
    finish: async (done) => [`host meters did not start: ${error}`, ...annotateAll(done, { error }, clock)],
  };
}

async function finishRun(
  meters: RunningMeters,
  done: readonly FinishedExperiment[],
  clock: ClockAssumption,
): Promise<string[]> {
  const samples = await meters.stop();
  if (samples.ok) return annotateAll(done, samples.value, clock);
  const error = samples.error.message;
  return [`host meters failed: ${error}`, ...annotateAll(done, { error }, clock)];
}

function annotateAll(
  done: readonly FinishedExperiment[],
  host: readonly SourceSamples[] | { readonly error: string },
  clock: ClockAssumption,
): string[] {
  const problems: string[] = [];
  for (const e of done) {
    const mine = sourcesOf(e);
    if (!mine.ok) {
      problems.push(mine.error.message);
      continue;
    }
    if (mine.value.length === 0) continue;
    const labels = new Set(mine.value.map(sourceLabel));
    const own = 'error' in host ? host : host.filter((s) => labels.has(s.source));
    const r = annotateResult(e.resultPath, own, clock);
    if (!r.ok) problems.push(`${e.id}: meters: ${r.error.message}`);
  }
  return problems;
}

/** Adds `domains` to a result.json, rewriting it atomically (a reader sees the old or the new file, never half). */
export function annotateResult(
  path: string,
  host: readonly SourceSamples[] | { readonly error: string },
  clock: ClockAssumption,
): Result<void> {
  return rewriteResult(path, (doc) => ({ ...doc, domains: domainsBlock(doc, host, clock) }));
}
