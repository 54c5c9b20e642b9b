import type { Launcher } from './settings.js';

export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** What runs inside the job: the backend image with the project's folders mounted, the harness command. */
export interface ContainerRun {
  readonly image: string;
  /**
   * The container's base name (letters, digits, `_.-`); the job id is appended at run time, so a requeued job's
   * container never collides with a leftover of the earlier run.
   */
  readonly name: string;
  readonly mounts: readonly Mount[];
  /** Plain values (not secrets). */
  readonly env: Readonly<Record<string, string>>;
  /** Secrets passed by name: the job inherits them from the submitting shell, never written to the script. */
  readonly secretNames: readonly string[];
  readonly command: readonly string[];
  /** true on real GPU nodes: hand the job's GPUs to the container (CUDA_VISIBLE_DEVICES set by Slurm). */
  readonly gpus: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

/** Quotes a word for bash (single quotes; a single quote inside is closed, escaped and reopened). */
export function shq(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const bind = (m: Mount): string => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`;

/**
 * The command line that starts the backend container for one batch, per launcher. docker is what lem's own
 * tests run on a real Slurm; apptainer/singularity and enroot (through pyxis's srun --container-image) are
 * the launchers HPC sites use, built from their documented options.
 */
export function launchCommand(launcher: Launcher, run: ContainerRun, redirect: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(run.name))
    throw new RangeError(`container name "${run.name}" has characters Docker refuses`);
  const cmd = run.command.map(shq).join(' ');
  const env = Object.entries(run.env);
  switch (launcher) {
    case 'docker':
      return (
        [
          'docker run --rm --init',
          `--name ${run.name}-"$JOB"`,
          ...Object.entries(run.labels).map(([k, v]) => `--label ${shq(`${k}=${v}`)}`),
          '--cap-drop ALL --security-opt no-new-privileges',
          '--user "$(id -u):$(id -g)"',
          ...run.mounts.map((m) => `-v ${shq(bind(m))}`),
          ...env.map(([k, v]) => `-e ${shq(`${k}=${v}`)}`),
          ...run.secretNames.map((n) => `-e ${shq(n)}`),
          ...(run.gpus ? ['--gpus "\\"device=${CUDA_VISIBLE_DEVICES}\\""'] : []),
          shq(run.image),
          `${cmd} ${redirect} &`,
        ].join(' \\\n  ') +
        // Slurm signals the batch shell on scancel, timeout or preemption; the docker client alone would die
        // and leave the container running on the node. Stop it in order (the harness ends its experiment
        // cleanly on SIGTERM), then remove whatever is left (a container killed while being created).
        `\nCHILD=$!\ntrap 'docker stop -t 3 ${run.name}-"$JOB" >/dev/null 2>&1; ` +
        `docker rm -f ${run.name}-"$JOB" >/dev/null 2>&1; wait "$CHILD"' TERM INT\nwait "$CHILD"`
      );
    case 'apptainer':
      return [
        'apptainer exec --containall --cleanenv',
        ...(run.gpus ? ['--nv'] : []),
        ...run.mounts.map((m) => `--bind ${shq(bind(m))}`),
        ...env.map(([k, v]) => `--env ${shq(`${k}=${v}`)}`),
        ...run.secretNames.map((n) => `--env "${n}=\${${n}}"`),
        shq(run.image),
        `${cmd} ${redirect}`,
      ].join(' \\\n  ');
    case 'enroot':
      return [
        'srun --ntasks=1',
        `--container-image=${shq(run.image)}`,
        `--container-name=${run.name}-"$JOB"`,
        `--container-mounts=${shq(run.mounts.map(bind).join(','))}`,
        '--no-container-remap-root',
        `env ${[...env.map(([k, v]) => shq(`${k}=${v}`))].join(' ')}`,
        `${cmd} ${redirect}`,
      ].join(' \\\n  ');
  }
}
