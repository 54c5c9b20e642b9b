import type Docker from 'dockerode';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { LABEL_PROJECT, LABEL_SERVICE } from '../runtime/backend-container.js';

/**
 * The per-GPU-set containers (`placement: pack`) of one backend of a project, by lem's labels: what
 * `lem backends down` removes besides the backend's own container (a pack run with --keep-backends leaves them).
 */
export async function gpuSetContainers(
  docker: Docker,
  project: string,
  service: string,
  ownName: string,
): Promise<Result<string[]>> {
  try {
    const label = [`${LABEL_PROJECT}=${project}`, `${LABEL_SERVICE}=${service}`];
    const found = await docker.listContainers({ all: true, filters: { label } });
    const names = found.flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')));
    return ok(names.filter((n) => n !== ownName && n.startsWith(`${ownName}-gpu`)).sort());
  } catch (e) {
    return err(
      lemError(ErrorCode.CONTAINER_FAILED, `could not list the containers of ${service}: ${(e as Error).message}`),
    );
  }
}

/**
 * The GPU set (node indices) a container of the backend hosts, read from its name: `lem-p-vllm-gpu0-1` (own name
 * `lem-p-vllm`) hosts GPUs 0 and 1 (see gpuSetSuffix). Undefined for a name that is not a GPU-set container's.
 */
export function gpuSetOfName(name: string, ownName: string): number[] | undefined {
  const prefix = `${ownName}-gpu`;
  if (!name.startsWith(prefix)) return undefined;
  const parts = name.slice(prefix.length).split('-');
  if (parts.some((p) => !/^\d+$/.test(p))) return undefined;
  return parts.map(Number);
}

/** Removes one container by name; one already gone is fine. */
export async function removeContainer(docker: Docker, name: string): Promise<Result<void>> {
  try {
    await docker.getContainer(name).remove({ force: true });
    return ok(undefined);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return ok(undefined);
    return err(lemError(ErrorCode.CONTAINER_FAILED, `could not remove ${name}: ${(e as Error).message}`));
  }
}
