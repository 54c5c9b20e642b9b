import { ErrorCode, lemError, type SourceLocation } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { maxGpusPerNode, type SlurmCommands } from './commands.js';
import type { SlurmSection } from './settings.js';

/**
 * What can be known before anything is submitted: the controller answers, the partition exists, and some node
 * of it has as many GPUs as the largest batch asks for (a job asking more would pend for ever). Bad settings are
 * the user's to fix: exit 2, nothing submitted.
 */
export async function preflight(
  slurm: SlurmCommands,
  s: SlurmSection,
  gpusPerJob: number,
  /** Where a field of the campaign file is (when lem has the file): problems then point at its line. */
  locate?: (path: string[]) => SourceLocation,
): Promise<Result<void>> {
  const at = (path: string[], message: string) =>
    locate ? { issues: [{ location: locate(path), path: path.join('.'), message }] } : {};
  const parts = await slurm.partitions();
  if (!parts.ok) {
    const missing = /not found on PATH/.test(parts.error.message);
    return err(
      lemError(missing ? ErrorCode.CONFIG_INVALID : ErrorCode.EXEC_FAILED, parts.error.message, {
        hint: missing
          ? 'executor: slurm runs lem on a Slurm login node, with sbatch, squeue, scontrol, scancel and sinfo on PATH'
          : 'is the Slurm controller up? check with: scontrol ping',
      }),
    );
  }
  // sinfo lists a partition once per node state; the default partition is the one marked with '*'.
  const rows = s.partition === undefined ? parts.value : parts.value.filter((p) => p.name === s.partition);
  if (rows.length === 0) {
    const names = [...new Set(parts.value.map((p) => p.name))].join(', ');
    const message = `no partition "${s.partition}" on this cluster`;
    return err(
      lemError(ErrorCode.CONFIG_INVALID, `slurm.partition: ${message}`, {
        hint: `partitions: ${names || '(none)'}`,
        ...at(['slurm', 'partition'], message),
      }),
    );
  }
  const most = Math.max(0, ...rows.map((p) => maxGpusPerNode(p.gres)));
  if (gpusPerJob > most) {
    const where = s.partition === undefined ? 'any partition' : `partition ${s.partition}`;
    return err(
      lemError(
        ErrorCode.CONFIG_INVALID,
        `a batch needs ${gpusPerJob} GPU(s) but no node of ${where} has more than ${most} (sinfo GRES)`,
        { hint: "lower the experiments' gpus / tensor_parallel_size, or pick a partition with larger nodes" },
      ),
    );
  }
  return ok(undefined);
}
