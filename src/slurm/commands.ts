import { execFile } from 'node:child_process';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { parseScontrolJobs, phaseOf, type JobInfo } from './job-state.js';

/** The Slurm commands lem uses, one process each; every call has a timeout so a hung controller cannot hang lem. */
export interface SlurmCommands {
  submit(scriptPath: string): Promise<Result<string>>;
  show(jobIds: readonly string[]): Promise<Result<JobInfo[]>>;
  /** Jobs of one campaign still known to the controller (pending, running, or recently ended). */
  listByComment(
    comment: string,
    /** The jobs' name, when known: squeue then asks the controller for these jobs only, not every user's. */
    name?: string,
  ): Promise<Result<{ jobId: string; state: string; phase: JobInfo['phase']; reason: string | null }[]>>;
  cancel(jobIds: readonly string[]): Promise<Result<void>>;
  partitions(): Promise<Result<{ name: string; gres: string; nodes: number; state: string }[]>>;
}

export interface CommandOptions {
  readonly timeoutMs?: number;
  /** Extra environment for every command (e.g. SLURM_CONF); the CLI passes it, library code reads none. */
  readonly env?: NodeJS.ProcessEnv;
}

function run(cmd: string, args: readonly string[], o: CommandOptions): Promise<Result<string>> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      [...args],
      { timeout: o.timeoutMs ?? 30_000, env: o.env, maxBuffer: 64 * 1024 * 1024 },
      (e, stdout, stderr) => {
        if (!e) return resolve(ok(stdout));
        const why =
          (e as NodeJS.ErrnoException).code === 'ENOENT'
            ? `${cmd} not found on PATH (is this a Slurm login node?)`
            : stderr.trim() || e.message;
        resolve(err(lemError(ErrorCode.EXEC_FAILED, `${cmd} ${args.join(' ')}: ${why}`)));
      },
    );
  });
}

export function slurmCommands(o: CommandOptions = {}): SlurmCommands {
  return {
    async submit(scriptPath) {
      const r = await run('sbatch', ['--parsable', scriptPath], o);
      if (!r.ok) return r;
      // --parsable prints "jobid" or "jobid;cluster".
      const id = r.value.trim().split(';')[0] ?? '';
      return /^\d+$/.test(id)
        ? ok(id)
        : err(lemError(ErrorCode.EXEC_FAILED, `sbatch printed no job id: ${r.value.trim()}`));
    },
    async show(jobIds) {
      if (jobIds.length === 0) return ok([]);
      const jobs: JobInfo[] = [];
      for (const id of jobIds) {
        const r = await run('scontrol', ['show', 'job', '-d', id], o);
        // A job the controller has forgotten (older than MinJobAge) is simply absent.
        if (!r.ok) {
          if (/Invalid job id/i.test(r.error.message)) continue;
          return r;
        }
        jobs.push(...parseScontrolJobs(r.value));
      }
      return ok(jobs);
    },
    async listByComment(comment, name) {
      // -r: one line per array task (a pending array is otherwise one line, "123_[0-9]").
      const byName = name === undefined ? [] : [`--name=${name}`];
      const r = await run('squeue', ['-h', '-r', '-t', 'all', ...byName, '-o', '%i|%T|%r|%k'], o);
      if (!r.ok) return r;
      return ok(
        r.value
          .split('\n')
          .map((l) => l.split('|'))
          .filter((f) => f.length >= 4 && f[3]!.trim() === comment)
          .map((f) => ({
            jobId: f[0]!,
            state: f[1]!,
            phase: phaseOf(f[1]!),
            reason: f[2] === 'None' ? null : f[2]!,
          })),
      );
    },
    async cancel(jobIds) {
      if (jobIds.length === 0) return ok(undefined);
      const r = await run('scancel', [...jobIds], o);
      return r.ok ? ok(undefined) : r;
    },
    async partitions() {
      const r = await run('sinfo', ['-h', '-o', '%P|%G|%D|%T'], o);
      if (!r.ok) return r;
      return ok(
        r.value
          .split('\n')
          .filter((l) => l.includes('|'))
          .map((l) => {
            const [p, g, d, s] = l.split('|');
            return { name: p!.replace(/\*$/, ''), gres: g!, nodes: Number(d), state: s! };
          }),
      );
    },
  };
}

/** The most GPUs any node of a partition offers, from sinfo's GRES column ("gpu:4", "gpu:h100:8(S:0-1)"). */
export function maxGpusPerNode(gres: string): number {
  let max = 0;
  for (const m of gres.matchAll(/gpu(?::[A-Za-z0-9_.-]+)?:(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}
