import { launchCommand, shq, type ContainerRun } from './launcher.js';
import type { Launcher, SlurmSection } from './settings.js';

/** One batch a job (or one task of a job array) runs. */
export interface JobBatch {
  readonly batchId: string;
  /** The container command for this batch (its spec path differs per batch). */
  readonly run: ContainerRun;
}

export interface JobScriptInput {
  readonly campaignId: string;
  readonly gpus: number;
  readonly settings: SlurmSection;
  /** Folder on the shared filesystem where the job writes events (stdout) and logs (stderr) per batch. */
  readonly outDir: string;
  /** One batch: a plain job. Several: a job array, task i runs batches[i]. */
  readonly batches: readonly JobBatch[];
}

/** The comment every lem job carries: how resume finds a campaign's jobs again after lem was killed. */
export function jobComment(campaignId: string): string {
  return `lem:${campaignId}`;
}

/** The name every job of a campaign carries: squeue --name finds them without listing other users' jobs. */
export function jobName(campaignId: string): string {
  return `lem-${campaignId}`;
}

/** #SBATCH header lines, from the campaign's slurm: section and the batch's GPU need. */
export function sbatchHeader(i: JobScriptInput): string[] {
  const s = i.settings;
  const array = i.batches.length > 1;
  const lines = [
    `--job-name=${shq(jobName(i.campaignId))}`,
    `--comment=${shq(jobComment(i.campaignId))}`,
    `--output=${shq(`${i.outDir}/${array ? '%A_%a' : '%j'}.slurm.out`)}`,
    ...(i.gpus > 0 ? [`--gres=gpu:${i.gpus}`] : []),
    ...(s.exclusive ? ['--exclusive'] : []),
    ...(s.partition ? [`--partition=${shq(s.partition)}`] : []),
    ...(s.account ? [`--account=${shq(s.account)}`] : []),
    ...(s.qos ? [`--qos=${shq(s.qos)}`] : []),
    ...(s.time_limit ? [`--time=${s.time_limit}`] : []),
    ...(array ? [`--array=0-${i.batches.length - 1}`] : []),
    // A requeued job (preemption, node failure) runs the same batch again; lem's manifest decides what counts.
    '--requeue',
    ...s.extra_sbatch,
  ];
  return lines.map((l) => `#SBATCH ${l}`);
}

/**
 * The batch script. The harness's stdout (the JSON-line events lem folds into the manifest) goes to
 * <outDir>/<batch>.<job>.events.jsonl and its stderr to <batch>.<job>.log, on the shared filesystem, where the
 * orchestrator on the login node follows them; the job id in the names keeps a requeued run apart from the
 * earlier one.
 */
export function jobScript(i: JobScriptInput): string {
  const array = i.batches.length > 1;
  const body = array
    ? [
        'case "$SLURM_ARRAY_TASK_ID" in',
        ...i.batches.map(
          (b, n) =>
            `  ${n})\n    BATCH=${shq(b.batchId)}\n    ${indent(launchLine(b, i.settings.launcher), 4)}\n    ;;`,
        ),
        '  *) echo "lem: no batch for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;',
        'esac',
      ]
    : [`BATCH=${shq(i.batches[0]!.batchId)}`, launchLine(i.batches[0]!, i.settings.launcher)];
  return [
    '#!/bin/bash',
    `# Written by lem for campaign ${i.campaignId}: runs ${array ? `${i.batches.length} batches as a job array` : 'one batch'} of experiments in the backend container.`,
    ...sbatchHeader(i),
    'set -uo pipefail',
    `OUT=${shq(i.outDir)}`,
    'JOB="${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}${SLURM_ARRAY_TASK_ID:+_$SLURM_ARRAY_TASK_ID}"',
    ...body,
    '',
  ].join('\n');
}

function launchLine(b: JobBatch, launcher: Launcher): string {
  return launchCommand(launcher, b.run, '>"$OUT/$BATCH.$JOB.events.jsonl" 2>"$OUT/$BATCH.$JOB.log"');
}

function indent(text: string, n: number): string {
  return text.split('\n').join(`\n${' '.repeat(n)}`);
}
