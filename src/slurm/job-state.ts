/**
 * Slurm job states as lem needs them. `scontrol show job` is the source here: the clusters lem targets often
 * run without accounting (no sacct), and scontrol keeps a finished job for MinJobAge seconds.
 */
export type JobPhase =
  | 'pending'
  | 'running'
  | 'completed'
  | 'failed'
  | 'timeout'
  | 'cancelled'
  | 'preempted'
  | 'node_fail'
  | 'out_of_memory'
  | 'unknown';

export interface JobInfo {
  readonly jobId: string;
  readonly state: string;
  readonly phase: JobPhase;
  /** Why a pending job waits, or why it ended (Slurm's Reason field); null when "None". */
  readonly reason: string | null;
  readonly nodes: string | null;
  readonly exitCode: string | null;
  /** GPU indices on the node (from `-d` output, e.g. IDX:0-1 → [0, 1]). */
  readonly gpuIndices: readonly number[];
  readonly comment: string | null;
}

const PHASES: Readonly<Record<string, JobPhase>> = {
  PENDING: 'pending',
  CONFIGURING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RESV_DEL_HOLD: 'pending',
  SUSPENDED: 'pending',
  RUNNING: 'running',
  COMPLETING: 'running',
  STAGE_OUT: 'running',
  SIGNALING: 'running',
  RESIZING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  BOOT_FAIL: 'node_fail',
  DEADLINE: 'timeout',
  TIMEOUT: 'timeout',
  CANCELLED: 'cancelled',
  REVOKED: 'cancelled',
  PREEMPTED: 'preempted',
  NODE_FAIL: 'node_fail',
  OUT_OF_MEMORY: 'out_of_memory',
};

export function phaseOf(state: string): JobPhase {
  // squeue prints e.g. "CANCELLED by 0"; scontrol "CANCELLED"; either way the first word is the state.
  return PHASES[state.split(/[\s+]/)[0]!.toUpperCase()] ?? 'unknown';
}

export function isFinished(p: JobPhase): boolean {
  return p !== 'pending' && p !== 'running' && p !== 'unknown';
}

/** "0-1,3" → [0, 1, 3]. */
export function parseIndexList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/**
 * Parses `scontrol show job -d <id>` output (several jobs are separated by blank lines; an array job lists
 * each task). Fields are space-separated Key=Value pairs; values never contain spaces except Comment/Reason
 * text after the last key on a line, which scontrol prints last.
 */
export function parseScontrolJobs(text: string): JobInfo[] {
  return text
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter((block) => block.startsWith('JobId='))
    .map(parseBlock);
}

function parseBlock(block: string): JobInfo {
  const fields = new Map<string, string>();
  for (const m of block.matchAll(/(?:^|\s)([A-Za-z][A-Za-z:/_]*)=(\S*)/g)) {
    if (!fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
  }
  const state = fields.get('JobState') ?? 'UNKNOWN';
  const idx = /IDX:([\d,-]+)/.exec(block);
  const none = (v: string | undefined) => (v === undefined || v === '' || v === 'None' || v === '(null)' ? null : v);
  const arrayJob = fields.get('ArrayJobId');
  const arrayTask = fields.get('ArrayTaskId');
  return {
    jobId: arrayJob && arrayTask && /^\d+$/.test(arrayTask) ? `${arrayJob}_${arrayTask}` : (fields.get('JobId') ?? ''),
    state,
    phase: phaseOf(state),
    reason: none(fields.get('Reason')),
    nodes: none(fields.get('NodeList')),
    exitCode: none(fields.get('ExitCode')),
    gpuIndices: idx ? parseIndexList(idx[1]!) : [],
    comment: none(fields.get('Comment')),
  };
}
