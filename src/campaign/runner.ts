import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { mustWrite, writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { BatchSpec } from '../contract/batch-spec.js';
import type { HarnessEvent } from '../contract/events.js';
import { ResultDocument } from '../contract/result.js';
import type { BackendContainer } from '../runtime/backend-container.js';
import { describeState, isAlive, isUsable } from '../runtime/container-state.js';
import { groupIntoBatches } from './batching.js';
import { runHarnessBatch, stopHarness } from './harness-client.js';
import { remainingWork, countStatuses, type ManifestEntry, type StatusCounts } from './manifest.js';
import type { ManifestStore } from './manifest-store.js';
import type { ProgressReporter } from './progress.js';
import type { StoredExperiment, StoredPlan } from './stored-plan.js';

/** Where the host and the containers meet: the same folders under two names. */
export interface SharedPaths {
  readonly projectDir: string;
  readonly hostResults: string;
  readonly hostState: string;
  readonly containerResults: string;
  readonly containerState: string;
}

export interface RunnerOptions {
  readonly store: ManifestStore;
  readonly plan: StoredPlan;
  readonly backends: ReadonlyMap<string, BackendContainer>;
  readonly paths: SharedPaths;
  readonly progress: ProgressReporter;
  readonly signal: AbortSignal;
  readonly healthTimeoutMs: number;
  /** How long a stopping harness may take before its container is stopped under it. */
  readonly stopGraceMs?: number;
}

export interface RunOutcome {
  readonly counts: StatusCounts;
  readonly interrupted: boolean;
  readonly failures: readonly { id: string; error: string; log: string | null }[];
}

type Terminal = 'completed' | 'failed' | 'interrupted';

/**
 * The dispatch loop: batches of experiments go into long-running backend containers by exec; every event is
 * folded into the durable manifest before the next step. Completed experiments are never dispatched again.
 */
export class CampaignRunner {
  private readonly byId: Map<string, StoredExperiment>;
  private dispatched = 0;
  private readonly campaignId: string;

  constructor(private readonly o: RunnerOptions) {
    this.byId = new Map(o.plan.experiments.map((e) => [e.id, e]));
    this.campaignId = o.store.current.campaign_id;
  }

  async run(): Promise<Result<RunOutcome>> {
    const { store, plan, progress, signal } = this.o;
    const settings = plan.campaign;
    const counts0 = countStatuses(store.current);
    progress.begin(counts0.total, counts0.completed + store.current.experiments.filter((e) => e.status === 'failed' && e.attempts > settings.retries).length);
    store.setStatus('running');

    // Anything left `running` by a killed orchestrator: its harness may still be working, or may have finished.
    const recovered = await this.recoverStale();
    if (!recovered.ok) return recovered;

    let queue = this.batchesOf(remainingWork(store.current, settings.retries));
    while (queue.length > 0 && !signal.aborted) {
      const batch = queue.shift()!;
      const r = await this.runBatch(batch);
      if (!r.ok) return r;
      // Retries and experiments a dying container never reached go next, ahead of the rest of the plan.
      const again = batch.filter((e) => {
        const m = store.entry(e.id);
        return m.status === 'pending' || (m.status === 'failed' && m.attempts <= settings.retries) || (m.status === 'interrupted' && !signal.aborted);
      });
      if (again.length > 0 && !signal.aborted) queue = [...this.batchesOf(again.map((e) => store.entry(e.id))), ...queue];
    }

    const counts = countStatuses(store.current);
    // A failure with a retry ahead is unfinished work too: stopped before its retry, the campaign is resumable.
    const interrupted = signal.aborted && remainingWork(store.current, settings.retries).length > 0;
    store.setStatus(interrupted ? 'interrupted' : counts.failed > 0 ? 'failed' : 'completed');
    progress.end();
    const failures = store.current.experiments
      .filter((e) => e.status === 'failed')
      .map((e) => ({ id: e.id, error: e.error ?? 'unknown error', log: e.log_path }));
    return ok({ counts, interrupted, failures });
  }

  private batchesOf(entries: readonly ManifestEntry[]): StoredExperiment[][] {
    const items = entries.map((e) => this.byId.get(e.id)!);
    return groupIntoBatches(items, { forceColdStart: this.o.plan.campaign.force_cold_start });
  }

  private container(backend: string): BackendContainer {
    const c = this.o.backends.get(backend);
    if (!c) throw new Error(`no container for backend ${backend}`);
    return c;
  }

  private async recoverStale(): Promise<Result<void>> {
    // Stop harness processes a previous orchestrator left behind, so nothing runs twice at once. Every backend is
    // asked, not only those of `running` experiments: a kill between two experiments of a batch (the harness
    // pausing for the thermal gap) leaves none `running`, yet its exec goes on to the rest of the batch.
    // A campaign with no batch spec written yet was never dispatched (runBatch writes the spec before the exec),
    // so no harness of it can be running anywhere: skip the exec per backend (~60 ms each).
    const batchesDir = join(this.o.paths.hostState, 'campaigns', this.campaignId, 'batches');
    const dispatchedBefore = existsSync(batchesDir) && readdirSync(batchesDir).length > 0;
    for (const c of dispatchedBefore ? this.o.backends.values() : []) {
      if (!isUsable(await c.state())) continue;
      try {
        const n = await stopHarness(c, this.campaignId, this.o.stopGraceMs ?? 10_000);
        if (n > 0) this.o.progress.note(`stopped ${n} harness process(es) left running in ${c.containerName} by an earlier run`);
      } catch (e) {
        return err(lemError(ErrorCode.CONTAINER_FAILED, (e as Error).message));
      }
    }
    const stale = this.o.store.current.experiments.filter((e) => e.status === 'running');
    for (const e of stale) {
      // The result may have been written after the orchestrator died: collect it rather than run it again.
      const check = this.checkResult(e.id, this.hostResultPath(e.id), e.attempts);
      if (check.ok) {
        this.o.store.update(e.id, { status: 'completed', finished_at: new Date().toISOString(), result_path: relative(this.o.paths.projectDir, this.hostResultPath(e.id)), error: null });
        this.o.progress.done(e.id, 'completed (collected after restart)');
      } else {
        this.o.store.update(e.id, { status: 'interrupted', error: 'the orchestrator stopped while this experiment ran', attempts: Math.max(0, e.attempts - 1) });
      }
    }
    return ok(undefined);
  }

  private hostResultPath(id: string): string {
    return join(this.o.paths.hostResults, this.campaignId, id, 'result.json');
  }

  private checkResult(id: string, hostPath: string, attempt: number): Result<void> {
    if (!existsSync(hostPath)) return err(lemError(ErrorCode.RESULT_INVALID, `result file missing: ${relative(this.o.paths.projectDir, hostPath)}`));
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(hostPath, 'utf8'));
    } catch (e) {
      return err(lemError(ErrorCode.RESULT_INVALID, `result file is not JSON: ${relative(this.o.paths.projectDir, hostPath)}: ${(e as Error).message}`));
    }
    const parsed = ResultDocument.safeParse(doc);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return err(lemError(ErrorCode.RESULT_INVALID, `result file does not match schema v3 at ${i?.path.join('.') || '(root)'}: ${i?.message}: ${relative(this.o.paths.projectDir, hostPath)}`));
    }
    if (parsed.data.experiment.experiment_id !== id || parsed.data.experiment.campaign_id !== this.campaignId) {
      return err(lemError(ErrorCode.RESULT_INVALID, `result file belongs to another experiment (${parsed.data.experiment.campaign_id}/${parsed.data.experiment.experiment_id})`));
    }
    if (attempt > 0 && parsed.data.experiment.attempt !== attempt) {
      return err(lemError(ErrorCode.RESULT_INVALID, `result file is from attempt ${parsed.data.experiment.attempt}, expected ${attempt}`));
    }
    return ok(undefined);
  }

  private async ensureUsable(c: BackendContainer): Promise<Result<void>> {
    const st = await c.state();
    if (isUsable(st)) return ok(undefined);
    if (!isAlive(st) || st.kind === 'unhealthy') {
      this.o.progress.note(`backend container ${c.containerName} is ${describeState(st)}: restarting it`);
      const r = st.kind === 'absent' ? await c.up() : await c.restart();
      if (!r.ok) return r;
    }
    // Alive but its health not yet reported by the engine: waitHealthy runs the check itself.
    return c.waitHealthy(this.o.healthTimeoutMs, (ms, s) => this.o.progress.waiting(c.containerName, ms, describeState(s)), this.o.signal);
  }

  /** The config as the harness must see it: host paths replaced by their paths inside the container. */
  private containerConfig(e: StoredExperiment, c: BackendContainer): Record<string, unknown> | undefined {
    const config = e.config as unknown as Record<string, unknown>;
    const prompts = e.config.prompts;
    if (prompts.source !== 'file' || !prompts.file) return config;
    const inside = c.containerPathFor(prompts.file);
    return inside === undefined ? undefined : { ...config, prompts: { ...prompts, file: inside } };
  }

  private async runBatch(batch: readonly StoredExperiment[]): Promise<Result<void>> {
    const { store, paths, progress, signal, plan } = this.o;
    const first = batch[0]!;
    const c = this.container(first.backend);
    const usable = await this.ensureUsable(c);
    // Interrupted while waiting for the backend: nothing of this batch started; the loop ends on the signal.
    if (!usable.ok) return signal.aborted ? ok(undefined) : usable;

    // A prompts file is named by its host path; the harness must read it through a mount of the container.
    const unreadable = batch.filter((e) => this.containerConfig(e, c) === undefined);
    for (const e of unreadable) {
      store.update(e.id, { attempts: this.o.plan.campaign.retries + 1, container: c.containerName });
      store.update(e.id, { status: 'failed', finished_at: new Date().toISOString(), error: `prompts file ${e.config.prompts.file} is not inside a folder mounted into ${c.containerName} (put it under configs/, mounted at /app/configs)` });
      progress.done(e.id, `failed: ${store.entry(e.id).error}`);
    }
    if (unreadable.length > 0) batch = batch.filter((e) => !unreadable.includes(e));
    if (batch.length === 0) return ok(undefined);

    const campaignDir = join(paths.hostState, 'campaigns', this.campaignId);
    const batchId = `b${String(store.current.seq).padStart(6, '0')}-${first.id}`;
    const spec: BatchSpec = {
      schema_version: 1,
      campaign_id: this.campaignId,
      batch_id: batchId,
      results_dir: paths.containerResults,
      experiments: batch.map((e) => ({
        experiment_id: e.id,
        config_hash: e.config_hash,
        cycle: e.cycle,
        index: e.index,
        attempt: store.entry(e.id).attempts + 1,
        pause_before_s: this.dispatched++ === 0 ? 0 : plan.campaign.thermal_gap_s,
        config: this.containerConfig(e, c)!,
      })),
    };
    const hostSpec = join(campaignDir, 'batches', `${batchId}.json`);
    mustWrite(writeFileAtomic(hostSpec, JSON.stringify(spec, null, 2)));
    const containerSpec = `${paths.containerState}/${relative(paths.hostState, hostSpec).split('\\').join('/')}`;

    const logs = new ExperimentLogs(join(campaignDir, 'logs'), paths.projectDir);
    const terminal = new Map<string, Terminal>();
    const startedAt = new Map<string, number>();
    const stopBatch = () => {
      stopHarness(c, batchId).catch((e: unknown) => progress.note(`could not stop the harness in ${c.containerName}: ${(e as Error).message}`));
      // A harness that ignores the request gets its container stopped under it.
      setTimeout(() => {
        if (!done) c.handle().stop({ t: 1 }).catch((e: unknown) => progress.note(`could not stop ${c.containerName}: ${(e as Error).message}`));
      }, this.o.stopGraceMs ?? 10_000).unref();
    };
    const onAbort = () => stopBatch();
    let done = false;
    signal.addEventListener('abort', onAbort, { once: true });
    // The watchdog: an experiment running longer than experiment_timeout_s (engine load included) is stopped and
    // fails with that reason, so a hung engine cannot hold the campaign forever.
    const limitS = plan.campaign.experiment_timeout_s;
    let timedOut: string | undefined;
    const watchdog = setInterval(() => {
      if (timedOut || signal.aborted) return;
      for (const [id, t] of startedAt) {
        if (!terminal.has(id) && Date.now() - t > limitS * 1000) {
          timedOut = id;
          progress.note(`${id} has run longer than experiment_timeout_s (${limitS} s): stopping it`);
          stopBatch();
          return;
        }
      }
    }, Math.min(1000, limitS * 250));
    watchdog.unref();

    const handle = (ev: HarnessEvent) => {
      if (!('experiment_id' in ev)) return;
      const id = ev.experiment_id;
      // Only this batch's experiments are the exec's to report on; anything else is a harness bug, kept in the log.
      if (!spec.experiments.some((x) => x.experiment_id === id)) {
        logs.write(`[lem] ignored "${ev.event}" of ${id}, which is not in this batch (${batchId})\n`);
        return;
      }
      switch (ev.event) {
        case 'started': {
          logs.switchTo(id);
          startedAt.set(id, Date.now());
          const attempt = spec.experiments.find((x) => x.experiment_id === id)!.attempt;
          store.update(id, { status: 'running', attempts: attempt, started_at: new Date().toISOString(), finished_at: null, container: c.containerName, log_path: logs.pathFor(id), error: null });
          progress.phase(id, 'started');
          break;
        }
        case 'engine_loading':
          progress.phase(id, 'loading engine');
          break;
        case 'engine_loaded':
          progress.phase(id, `engine loaded in ${ev.load_s.toFixed(1)} s`);
          break;
        case 'baseline':
          progress.phase(id, `idle baseline ${ev.duration_s} s`);
          break;
        case 'warmup':
          progress.phase(id, `warmup ${ev.run}/${ev.max_runs}${ev.cv === null ? '' : ` cv=${ev.cv.toFixed(3)}`}`);
          break;
        case 'measuring':
          progress.phase(id, 'measuring');
          break;
        case 'finished': {
          const hostPath = this.hostResultPath(id);
          const attempt = store.entry(id).attempts;
          const check = this.checkResult(id, hostPath, attempt);
          const secs = ((Date.now() - (startedAt.get(id) ?? Date.now())) / 1000).toFixed(1);
          if (check.ok) {
            store.update(id, { status: 'completed', finished_at: new Date().toISOString(), result_path: relative(paths.projectDir, hostPath), error: null });
            terminal.set(id, 'completed');
            progress.done(id, `completed in ${secs} s`);
          } else {
            this.fail(id, check.error.message, c, logs, terminal);
          }
          break;
        }
        case 'failed':
          if (id === timedOut) {
            this.fail(id, `timed out: ran longer than experiment_timeout_s (${limitS} s)`, c, logs, terminal);
          } else if (ev.reason.startsWith('interrupted')) {
            // An interrupted attempt does not count; one interrupted in the pause before it never started, and the
            // attempts already made (a retry's earlier failure) stand.
            const attempts = store.entry(id).attempts;
            store.update(id, { status: 'interrupted', finished_at: new Date().toISOString(), error: ev.reason, attempts: startedAt.has(id) ? Math.max(0, attempts - 1) : attempts });
            terminal.set(id, 'interrupted');
            progress.done(id, 'interrupted');
          } else {
            this.fail(id, ev.reason, c, logs, terminal);
          }
          break;
      }
    };

    let exitCode: number | null;
    try {
      const r = await runHarnessBatch(c, containerSpec, logs, {
        onEvent: handle,
        onProtocolError: (line, why) => logs.write(`[lem] ignored stdout line (${why}): ${line}\n`),
      });
      exitCode = r.exitCode;
    } catch (e) {
      exitCode = null;
      logs.write(`[lem] exec failed: ${(e as Error).message}\n`);
    } finally {
      done = true;
      clearInterval(watchdog);
      signal.removeEventListener('abort', onAbort);
    }

    // The exec ended: anything it started but did not finish failed with it (or was interrupted).
    const started = [...startedAt.keys()];
    // A harness that exited 0 with every experiment it started reported leaves nothing to explain: skip the
    // container inspect (a Docker API round trip per batch). A container that died since is caught by the next
    // batch's ensureUsable.
    const clean = exitCode === 0 && !signal.aborted && started.length > 0 && started.every((id) => terminal.has(id));
    const state = clean ? undefined : await this.settledState(c, exitCode);
    const died = state !== undefined && !isAlive(state);
    const why = signal.aborted
      ? 'interrupted'
      : died
        ? `backend container ${c.containerName} died during the experiment (${describeState(state!)})`
        : `the harness exited with code ${exitCode ?? 'unknown'} before finishing`;
    for (const id of started) {
      if (terminal.has(id)) continue;
      if (id === timedOut) this.fail(id, `timed out: ran longer than experiment_timeout_s (${limitS} s)`, c, logs, terminal);
      else if (signal.aborted) {
        store.update(id, { status: 'interrupted', finished_at: new Date().toISOString(), error: 'interrupted', attempts: Math.max(0, store.entry(id).attempts - 1) });
        progress.done(id, 'interrupted');
      } else this.fail(id, why, c, logs, terminal);
    }
    // An exec that never started any experiment (a broken spec, a missing interpreter) must not loop forever.
    if (started.length === 0 && !signal.aborted) {
      for (const e of batch) {
        store.update(e.id, { attempts: store.entry(e.id).attempts + 1, container: c.containerName, log_path: logs.pathFor(e.id) });
        logs.switchTo(e.id);
        this.fail(e.id, `${why}; no experiment of the batch started`, c, logs, terminal);
      }
    }
    await logs.close();
    if (died && !signal.aborted) {
      progress.note(`backend container ${c.containerName} is ${describeState(state!)}: restarting it`);
      const r = await this.ensureUsable(c);
      if (!r.ok) return signal.aborted ? ok(undefined) : r;
    }
    return ok(undefined);
  }

  /** A killed container ends the exec a moment before the engine reports it stopped: give it that moment. */
  private async settledState(c: BackendContainer, exitCode: number | null) {
    let state = await c.state();
    if (exitCode === 0) return state;
    for (let i = 0; i < 20 && isAlive(state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await c.state();
    }
    return state;
  }

  private fail(id: string, reason: string, c: BackendContainer, logs: ExperimentLogs, terminal: Map<string, Terminal>): void {
    const entry = this.o.store.entry(id);
    const retrying = entry.attempts <= this.o.plan.campaign.retries;
    this.o.store.update(id, { status: 'failed', finished_at: new Date().toISOString(), error: reason, container: c.containerName, log_path: logs.pathFor(id) });
    terminal.set(id, 'failed');
    const what = `failed (attempt ${entry.attempts}${retrying ? ', will retry' : ''}): ${reason} — log: ${logs.pathFor(id)}`;
    // Only a final outcome moves the progress count; a failure with a retry ahead is news, not progress.
    if (retrying) this.o.progress.note(`${id} ${what}`);
    else this.o.progress.done(id, what);
  }
}

/**
 * stderr of a batch exec, split into one log per experiment (the one that started last gets the lines).
 */
class ExperimentLogs extends Writable {
  private stream: WriteStream | undefined;
  private currentId: string | undefined;
  private pending: Buffer[] = [];
  constructor(
    private readonly dir: string,
    private readonly projectDir: string,
  ) {
    super();
    mkdirSync(dir, { recursive: true });
  }
  pathFor(id: string): string {
    return relative(this.projectDir, join(this.dir, `${id}.log`));
  }
  switchTo(id: string): void {
    if (this.currentId === id) return;
    this.stream?.end();
    this.currentId = id;
    this.stream = createWriteStream(join(this.dir, `${id}.log`), { flags: 'a' });
    // A log that cannot be written (a full disk) is this sink's error, for the exec to report (not a crash).
    this.stream.on('error', (e) => this.destroy(e));
    for (const b of this.pending) this.stream.write(b);
    this.pending = [];
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.stream) this.stream.write(chunk, cb);
    else {
      this.pending.push(chunk);
      cb();
    }
  }
  async close(): Promise<void> {
    if (this.pending.length > 0) {
      // Output no experiment claimed (the run was interrupted before any started) is kept beside the logs.
      this.stream = createWriteStream(join(this.dir, `batch-preamble.log`), { flags: 'a' });
      this.stream.on('error', (e) => this.destroy(e));
      for (const b of this.pending) this.stream.write(b);
      this.pending = [];
    }
    const s = this.stream;
    if (s) await new Promise<void>((r) => s.end(r));
  }
}
