import type { ProjectOptions } from '../project/project.js';

/**
 * The CLI edge: how the project is found and named, from the command's --project and the environment.
 * LEM_PROJECT_DIR stands in for --project, LEM_PROJECT_NAME overrides the container name prefix (tests isolate
 * their runs with it), LEM_GPU=1/0 forces compose.gpu.yaml on or off. The environment is passed on for
 * compose.yaml's `${VAR}` interpolation and the secrets passed by name; `LEM_UID`/`LEM_GID` default to the invoking
 * user, so compose.yaml's `user: "${LEM_UID}:${LEM_GID}"` runs a backend as that user and its result files are
 * the user's on the host. LEM_GPUS=<n> is a test aid: n pretend GPUs for `placement: pack` on a machine without
 * GPUs (their containers get the GPU set as an environment variable only); never a default.
 */
export function projectOptions(
  explicitDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): ProjectOptions {
  const gpu = env['LEM_GPU'];
  const ids = { LEM_UID: String(process.getuid?.() ?? 0), LEM_GID: String(process.getgid?.() ?? 0) };
  return {
    dir: explicitDir ?? env['LEM_PROJECT_DIR'],
    name: env['LEM_PROJECT_NAME'] || undefined,
    gpu: gpu ? gpu === '1' : undefined,
    cwd,
    env: { ...ids, ...env },
    pretendGpus: env['LEM_GPUS'] || undefined,
    docker: { trace: dockerTraceEnabled(env) ? traceToStderr : undefined },
  };
}

/** `DEBUG=lem:docker` (the `debug` package's convention; `lem:*` and `*` too) or `LEM_DEBUG=1`. */
export function dockerTraceEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env['LEM_DEBUG'] !== undefined && env['LEM_DEBUG'] !== '' && env['LEM_DEBUG'] !== '0') return true;
  return (env['DEBUG'] ?? '').split(/[\s,]+/).some((d) => d === 'lem:docker' || d === 'lem:*' || d === '*');
}

function traceToStderr(line: string): void {
  process.stderr.write(`[lem:docker] ${line}\n`);
}
