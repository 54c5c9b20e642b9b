import { z } from 'zod';

/** How a Slurm job starts the backend's container on its compute node. */
export const Launcher = z.enum(['docker', 'apptainer', 'enroot']);
export type Launcher = z.infer<typeof Launcher>;

/**
 * A campaign's `slurm:` section: what each batch job asks the scheduler for. Everything here becomes an
 * #SBATCH line; lem never chooses nodes itself.
 */
export const SlurmSection = z.strictObject({
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  qos: z.string().min(1).optional(),
  /** Slurm's time format (minutes, MM:SS, HH:MM:SS, D-HH:MM:SS); absent: the partition's default. */
  time_limit: z
    .string()
    .regex(/^(\d+-)?\d+(:\d{1,2}){0,2}$/, 'a Slurm time limit such as "30", "01:30:00" or "1-00:00:00"')
    .optional(),
  /**
   * Whole nodes by default: another job's GPUs, CPUs and fans on the same node would be in every energy figure
   * of this one. Set false to share nodes (throughput runs, not energy).
   */
  exclusive: z.boolean().default(true),
  /** Extra #SBATCH options, verbatim (e.g. "--constraint=h100"). */
  extra_sbatch: z.array(z.string().regex(/^--?[A-Za-z]/, 'an sbatch option such as "--constraint=h100"')).default([]),
  launcher: Launcher.default('docker'),
  /**
   * Before a campaign is created, one tiny job writes a token into the results folder and lem reads it back: a
   * folder the compute nodes do not share would lose every result. Seconds the test job may wait to run (a busy
   * partition); 0 skips the check.
   */
  shared_fs_check_s: z.number().nonnegative().default(60),
  /** Seconds between squeue/scontrol polls while jobs are pending or running. */
  poll_interval_s: z.number().positive().max(600).default(2),
  /**
   * Batches with the same GPU need are submitted as one job array (one sbatch call for all) when there are at
   * least this many; fewer go as plain jobs, one each.
   */
  array_min_batches: z.int().positive().default(2),
});
export type SlurmSection = z.infer<typeof SlurmSection>;
