import type Docker from 'dockerode';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

export interface EngineInfo {
  readonly version: string;
  readonly apiVersion: string;
  readonly runtimes: readonly string[];
  readonly gpuRuntime: boolean;
}

/** dockerode honours DOCKER_HOST; the default is the local socket. Loaded lazily to keep CLI start-up lean. */
export async function createDocker(): Promise<Docker> {
  const { default: DockerClass } = await import('dockerode');
  return new DockerClass();
}

export async function connectDocker(given?: Docker): Promise<Result<{ docker: Docker; info: EngineInfo }>> {
  const docker = given ?? (await createDocker());
  try {
    await docker.ping();
    const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<{ Runtimes?: Record<string, unknown> }>]);
    const runtimes = Object.keys(info.Runtimes ?? {});
    return ok({
      docker,
      info: { version: version.Version, apiVersion: version.ApiVersion, runtimes, gpuRuntime: runtimes.includes('nvidia') },
    });
  } catch (e) {
    const where = process.env['DOCKER_HOST'] ?? '/var/run/docker.sock';
    return err(
      lemError(ErrorCode.DOCKER_UNREACHABLE, `the Docker engine is not reachable at ${where}: ${(e as Error).message}`, {
        hint: 'start the Docker engine (e.g. `sudo systemctl start docker`, or `dockerd &`) and check `docker version`',
      }),
    );
  }
}
