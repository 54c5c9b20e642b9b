import type { ServiceDefinition } from '../runtime/compose-file.js';
import { setKey } from './gpu-sets.js';

/**
 * A placed target: a backend on one GPU set, written `backend@0,1`. The runner hands this key to the executor
 * wherever a serial run hands it the backend's name, so the executor seam stays keyed by one string.
 */
export function placedTarget(backend: string, gpus: readonly number[]): string {
  return `${backend}@${setKey(gpus)}`;
}

/** The backend and GPU set of a target key; no GPU set for a plain backend name (serial placement). */
export function parseTarget(target: string): { backend: string; gpus: number[] | undefined } {
  const at = target.indexOf('@');
  if (at < 0) return { backend: target, gpus: undefined };
  const gpus = target
    .slice(at + 1)
    .split(',')
    .filter((g) => g !== '')
    .map(Number);
  return { backend: target.slice(0, at), gpus };
}

/** The container name's suffix for a GPU set: `lem-<project>-<backend>-gpu0-1` hosts GPUs 0 and 1. */
export function gpuSetSuffix(gpus: readonly number[]): string {
  return `-gpu${setKey(gpus).replaceAll(',', '-')}`;
}

/** The variable a GPU-set container carries its node GPU indices in, on every machine (pretend GPUs included). */
const GPU_SET_ENV = 'LEM_GPU_SET';

/**
 * The backend's service narrowed to one GPU set. Where the service gets GPUs from the NVIDIA runtime (a GPU
 * request from compose.gpu.yaml, or `runtime: nvidia`), the request names exactly these device ids and
 * NVIDIA_VISIBLE_DEVICES says the same, so the container cannot see another set's GPUs. Pretend GPUs (the test
 * aid LEM_GPUS) do not exist, so nothing real is asked for them: the set is only recorded, in LEM_GPU_SET (as it
 * is in every GPU-set container).
 */
export function gpuSetService(def: ServiceDefinition, gpus: readonly number[], pretend = false): ServiceDefinition {
  const ids = [...gpus].sort((a, b) => a - b).map(String);
  const env: Record<string, string> = { ...def.env, [GPU_SET_ENV]: ids.join(',') };
  const nvidia = def.gpus.length > 0 || def.runtime === 'nvidia';
  if (pretend || !nvidia) return { ...def, env };
  env['NVIDIA_VISIBLE_DEVICES'] = ids.join(',');
  const requests = def.gpus.map((g) => ({ ...g, count: 0, deviceIds: ids }));
  return { ...def, env, gpus: requests };
}
