import { join } from 'node:path';
import { groupIntoBatches } from '../../campaign/batching.js';
import { countStatuses, remainingWork } from '../../campaign/manifest.js';
import { ManifestStore } from '../../campaign/manifest-store.js';
import type { ProgressReporter } from '../../campaign/progress.js';
import type { RunOutcome } from '../../campaign/runner.js';
import type { StoredExperiment, StoredPlan } from '../../campaign/stored-plan.js';
import { mustWrite } from '../../core/atomic-file.js';
import { ErrorCode, lemError, type SourceLocation } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import { gpuNeed } from '../../placement/gpu-need.js';
import type { Project } from '../../project/project.js';
import type { SlurmCommands } from '../commands.js';
import { jobComment, jobName } from '../job-script.js';
import { isFinished, type JobInfo, type JobPhase } from '../job-state.js';
import { preflight } from '../preflight.js';
import { SlurmSection } from '../settings.js';
import { BatchWatch } from './batch-watch.js';
import { jobsFile, readJobRecords, recordSettled, type SubmittedBatch } from './job-records.js';
import { submitBatches, type SubmitContext } from './submit.js';

export interface SlurmRunOptions {
  readonly slurm: SlurmCommands;
  readonly project: Project;
  readonly store: ManifestStore;
  readonly plan: StoredPlan;
  readonly progress: ProgressReporter;
  readonly signal: AbortSignal;
  /** On Ctrl-C/SIGTERM: cancel the campaign's jobs (true), or leave them queued and running for a resume. */
  readonly cancelOnInterrupt: boolean;
}

/** The `slurm:` section as frozen in the plan (absent: every default). */
export function slurmSettingsOf(plan: StoredPlan): SlurmSection {
  return SlurmSection.parse((plan.campaign as { slurm?: unknown }).slurm ?? {});
}

/** The checks made before a Slurm campaign is created or resumed (see preflight). */
export function preflightPlan(
  slurm: SlurmCommands,
  plan: StoredPlan,
  locate?: (path: string[]) => SourceLocation,
): Promise<Result<void>> {
  const serve = plan.experiments.find((e) => e.config.mode === 'serve');
  if (serve)
    return Promise.resolve(
      err(
        lemError(ErrorCode.CONFIG_INVALID, `serve mode does not run on Slurm in this version (${serve.id})`, {
          hint: 'run serve-mode campaigns with executor: local',
        }),
      ),
    );
  const gpus = Math.max(1, ...plan.experiments.map((e) => gpuNeed(e.config).count));
  return preflight(slurm, slurmSettingsOf(plan), gpus, locate);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

/**
 * Runs (or resumes) a campaign on Slurm: every batch is a job (job arrays for many), recorded durably before
 * lem waits on it; lem follows the jobs with squeue and scontrol and folds the harness events each job writes to
 * the shared filesystem through the same reducer as a local run. On resume, recorded jobs still pending or
 * running are re-attached and finished ones collected; only work no job owns is submitted again.
 */
export class SlurmCampaign {
  private readonly settings: SlurmSection;
  private readonly campaignId: string;
  private readonly campaignDir: string;
  private readonly byId: Map<string, StoredExperiment>;
  private watches: BatchWatch[] = [];

  constructor(private readonly o: SlurmRunOptions) {
    this.settings = slurmSettingsOf(o.plan);
    this.campaignId = o.store.current.campaign_id;
    this.campaignDir = ManifestStore.campaignDir(o.project.paths.hostState, this.campaignId);
    this.byId = new Map(o.plan.experiments.map((e) => [e.id, e]));
  }

  async run(): Promise<Result<RunOutcome>> {
    const { store, plan, progress, signal } = this.o;
    const checked = await preflightPlan(this.o.slurm, plan);
    if (!checked.ok) return checked;
    const counts0 = countStatuses(store.current);
    const failedForGood = store.current.experiments.filter(
      (e) => e.status === 'failed' && e.attempts > plan.campaign.retries,
    ).length;
    progress.begin(counts0.total, counts0.completed + failedForGood);
    const adopted = await this.reattach();
    if (!adopted.ok) return adopted;
    store.setStatus('running');
    while (!signal.aborted) {
      const submitted = await this.submitRemaining();
      if (!submitted.ok) return submitted;
      if (this.watches.length === 0) break;
      await this.tick();
      if (this.watches.length > 0) await sleep(this.settings.poll_interval_s * 1000, signal);
    }
    if (signal.aborted) await this.interrupt();
    return ok(this.conclude());
  }

  /** The jobs an earlier lem submitted and did not see to their end: followed again from their events' start. */
  private async reattach(): Promise<Result<void>> {
    const records = readJobRecords(jobsFile(this.campaignDir));
    if (!records.ok) return records;
    const known = new Set(records.value.all.map((b) => b.job_id));
    for (const rec of records.value.unsettled) this.watch([rec], 'adopted');
    if (this.watches.length > 0)
      this.o.progress.note(`re-attached to ${this.watches.length} Slurm job(s): ${this.jobList(this.watches)}`);
    // A job submitted by a lem killed between sbatch and recording it: no record says which batch it runs, so
    // its results could not be told from a resubmission's. It is cancelled; its batch is submitted again.
    const listed = await this.o.slurm.listByComment(jobComment(this.campaignId), jobName(this.campaignId));
    if (!listed.ok) return listed;
    const orphans = listed.value.filter((j) => !known.has(j.jobId) && !isFinished(j.phase)).map((j) => j.jobId);
    if (orphans.length > 0) {
      this.o.progress.note(`cancelling ${orphans.length} unrecorded job(s) of this campaign: ${orphans.join(', ')}`);
      const c = await this.o.slurm.cancel(orphans);
      if (!c.ok) return c;
    }
    return ok(undefined);
  }

  private watch(records: readonly SubmittedBatch[], how: 'adopted' | 'new'): void {
    const { store, progress, plan, project } = this.o;
    for (const rec of records) {
      const w = new BatchWatch(
        {
          store,
          progress,
          campaignId: this.campaignId,
          projectDir: project.paths.projectDir,
          hostResults: project.paths.hostResults,
          retries: plan.campaign.retries,
          timeoutS: plan.campaign.experiment_timeout_s,
          cancel: (id) => void this.cancel([id]),
        },
        rec,
      );
      if (w.hasWork) this.watches.push(w);
      else mustWrite(recordSettled(jobsFile(this.campaignDir), rec.batch_id));
      if (how === 'new') progress.note(`submitted batch ${rec.batch_id} as Slurm job ${rec.job_id}`);
    }
  }

  private async cancel(ids: readonly string[]): Promise<void> {
    const r = await this.o.slurm.cancel(ids);
    if (!r.ok) this.o.progress.note(`could not cancel Slurm job(s) ${ids.join(', ')}: ${r.error.message}`);
  }

  /** Submits what the campaign still owes and no job of it owns: the plan's rest, and retries as they fall due. */
  private async submitRemaining(): Promise<Result<void>> {
    const { store, plan } = this.o;
    const owned = new Set(this.watches.flatMap((w) => w.record.experiments.map((e) => e.id)));
    const work = remainingWork(store.current, plan.campaign.retries).filter((e) => !owned.has(e.id));
    if (work.length === 0) return ok(undefined);
    const batches = groupIntoBatches(
      work.map((e) => this.byId.get(e.id)!),
      { forceColdStart: plan.campaign.force_cold_start },
    );
    const submitted = await submitBatches(this.submitContext(), batches, store.current.seq, (id) => {
      // An experiment left `running` by a killed lem whose job is gone: that attempt does not count.
      const e = store.entry(id);
      return e.status === 'running' ? Math.max(0, e.attempts - 1) : e.attempts;
    });
    if (!submitted.ok) return submitted;
    this.watch(submitted.value, 'new');
    return ok(undefined);
  }

  private submitContext(): SubmitContext {
    const { project, plan } = this.o;
    const services = new Map(Object.entries(project.compose.services));
    return {
      slurm: this.o.slurm,
      settings: this.settings,
      paths: project.paths,
      services,
      projectName: project.name,
      campaignId: this.campaignId,
      outDir: join(this.campaignDir, 'slurm'),
      jobsFile: jobsFile(this.campaignDir),
      thermalGapS: plan.campaign.thermal_gap_s,
    };
  }

  /** One poll: the jobs' states from squeue, details from scontrol where needed, then every batch's events. */
  private async tick(): Promise<void> {
    const listed = await this.o.slurm.listByComment(jobComment(this.campaignId), jobName(this.campaignId));
    if (!listed.ok) {
      // A controller that does not answer for a while is no reason to give up on running jobs.
      this.o.progress.note(`squeue: ${listed.error.message} (trying again)`);
      return;
    }
    const phases = new Map<string, JobPhase>(listed.value.map((j) => [j.jobId, j.phase]));
    const gone = (w: BatchWatch) => !phases.has(w.jobId) || isFinished(phases.get(w.jobId)!);
    const need = this.watches.filter((w) => gone(w) || (phases.get(w.jobId) === 'running' && !w.isPlaced));
    const details = await this.details(need.map((w) => w.jobId));
    for (const w of this.watches) {
      const job = details.get(w.jobId);
      if (job && job.phase !== 'pending') w.placed(job);
      w.poll(job, gone(w));
      if (w.ended) mustWrite(recordSettled(jobsFile(this.campaignDir), w.record.batch_id));
    }
    this.watches = this.watches.filter((w) => !w.ended);
  }

  /** scontrol show job -d, once per job or job array (an array's call lists every task). */
  private async details(jobIds: readonly string[]): Promise<Map<string, JobInfo>> {
    const bases = [...new Set(jobIds.map((id) => id.split('_')[0]!))];
    const shown = await this.o.slurm.show(bases);
    if (!shown.ok) this.o.progress.note(`scontrol: ${shown.error.message}`);
    return new Map((shown.ok ? shown.value : []).map((j) => [j.jobId, j]));
  }

  /** Ctrl-C/SIGTERM: cancel the jobs and fold their ends, or leave them to a later resume. */
  private async interrupt(): Promise<void> {
    if (this.watches.length === 0) return;
    const { progress } = this.o;
    if (!this.o.cancelOnInterrupt) {
      for (const w of this.watches) w.detach();
      progress.note(
        `left ${this.watches.length} Slurm job(s) queued or running: ${this.jobList(this.watches)}; ` +
          `follow them with: lem campaign resume ${this.campaignId}; ` +
          `cancel them with: scancel --name=${jobName(this.campaignId)}`,
      );
      return;
    }
    progress.note(`cancelling ${this.watches.length} Slurm job(s) of campaign ${this.campaignId}`);
    for (const w of this.watches) w.abort();
    const quiet = new AbortController();
    // scancel ends jobs within Slurm's KillWait; a job the controller will not end is left to a resume.
    for (let i = 0; i < 120 && this.watches.length > 0; i++) {
      await this.tick();
      if (this.watches.length > 0) await sleep(500, quiet.signal);
    }
    for (const w of this.watches) w.detach();
  }

  private jobList(ws: readonly BatchWatch[]): string {
    const ids = ws.map((w) => w.jobId);
    return ids.length <= 6 ? ids.join(', ') : `${ids.slice(0, 6).join(', ')} and ${ids.length - 6} more`;
  }

  private conclude(): RunOutcome {
    const { store, plan, progress, signal } = this.o;
    const counts = countStatuses(store.current);
    const interrupted =
      signal.aborted && (this.watches.length > 0 || remainingWork(store.current, plan.campaign.retries).length > 0);
    store.setStatus(interrupted ? 'interrupted' : counts.failed > 0 ? 'failed' : 'completed');
    progress.end();
    const failures = store.current.experiments
      .filter((e) => e.status === 'failed')
      .map((e) => ({ id: e.id, error: e.error ?? 'unknown error', log: e.log_path }));
    return { counts, interrupted, failures };
  }
}
