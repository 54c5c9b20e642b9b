import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import type { BackendContainer } from '../../runtime/backend-container.js';

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null | undefined>;

/** The host port bound on 127.0.0.1 to a container port, from `docker inspect`'s NetworkSettings.Ports (pure). */
export function hostPortOf(ports: PortMap | undefined, containerPort: number): number | undefined {
  const bound = ports?.[`${containerPort}/tcp`] ?? [];
  const loop = bound.find((b) => b.HostIp === '127.0.0.1');
  const n = loop ? Number(loop.HostPort) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The port on 127.0.0.1 where a running backend container publishes `containerPort`. */
export async function publishedHostPort(c: BackendContainer, containerPort: number): Promise<Result<number>> {
  let ports: PortMap | undefined;
  try {
    ports = (await c.handle().inspect()).NetworkSettings.Ports;
  } catch (e) {
    return err(lemError(ErrorCode.CONTAINER_FAILED, `cannot inspect ${c.containerName}: ${(e as Error).message}`));
  }
  const port = hostPortOf(ports, containerPort);
  if (port !== undefined) return ok(port);
  return err(
    lemError(
      ErrorCode.CONFIG_INVALID,
      `${c.containerName} publishes no port for ${containerPort}/tcp on 127.0.0.1, so lem cannot reach the server it starts there`,
      { hint: `add to service ${c.service} in compose.yaml: ports: ["127.0.0.1::${containerPort}"]` },
    ),
  );
}
