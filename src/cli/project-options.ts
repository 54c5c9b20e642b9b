import type { ProjectOptions } from '../project/project.js';

/**
 * The CLI edge: how the project is found and named, from the command's --project and the environment.
 * LEM_PROJECT_DIR stands in for --project, LEM_PROJECT_NAME overrides the container name prefix (tests isolate
 * their runs with it), LEM_GPU=1/0 forces compose.gpu.yaml on or off.
 */
export function projectOptions(
  explicitDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): ProjectOptions {
  const gpu = env['LEM_GPU'];
  return {
    dir: explicitDir ?? env['LEM_PROJECT_DIR'],
    name: env['LEM_PROJECT_NAME'] || undefined,
    gpu: gpu ? gpu === '1' : undefined,
    cwd,
  };
}
