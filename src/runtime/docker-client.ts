import type Docker from 'dockerode';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { traceDockerCalls, type DockerTrace } from './docker-trace.js';

export interface EngineInfo {
  readonly version: string;
  readonly apiVersion: string;
  readonly runtimes: readonly string[];
  readonly gpuRuntime: boolean;
}

export interface DockerOptions {
  /** Called with one line per Docker API call (the CLI sets it for DEBUG=lem:docker or LEM_DEBUG=1). */
  readonly trace?: DockerTrace;
}

/** dockerode honours DOCKER_HOST; the default is the local socket. Loaded lazily to keep CLI start-up lean. */
export async function createDocker(opts: DockerOptions = {}): Promise<Docker> {
  const { default: DockerClass } = await import('dockerode');
  const docker = new DockerClass();
  if (opts.trace) traceDockerCalls(docker, opts.trace);
  return docker;
}

export async function connectDocker(
  given?: Docker,
  opts: DockerOptions = {},
): Promise<Result<{ docker: Docker; info: EngineInfo }>> {
  const docker = given ?? (await createDocker(opts));
  try {
    await docker.ping();
    const [version, info] = await Promise.all([
      docker.version(),
      docker.info() as Promise<{ Runtimes?: Record<string, unknown> }>,
    ]);
    const runtimes = Object.keys(info.Runtimes ?? {});
    return ok({
      docker,
      info: {
        version: version.Version,
        apiVersion: version.ApiVersion,
        runtimes,
        gpuRuntime: runtimes.includes('nvidia'),
      },
    });
  } catch (e) {
    return err(
      lemError(
        ErrorCode.DOCKER_UNREACHABLE,
        `the Docker engine is not reachable at ${engineAddress(docker)}: ${(e as Error).message}`,
        {
          hint: 'start the Docker engine (e.g. `sudo systemctl start docker`, or `dockerd &`) and check `docker version`',
        },
      ),
    );
  }
}

/** Where dockerode connects (from DOCKER_HOST or the default socket), for error messages. */
function engineAddress(docker: Docker): string {
  const m = docker.modem as unknown as {
    socketPath?: string;
    host?: string;
    port?: number | string;
    protocol?: string;
  };
  if (m.host) return `${m.protocol ?? 'http'}://${m.host}${m.port ? `:${m.port}` : ''}`;
  return `unix://${m.socketPath ?? '/var/run/docker.sock'}`;
}
