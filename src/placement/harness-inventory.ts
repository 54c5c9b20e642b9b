import { z } from 'zod';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { BackendContainer } from '../runtime/backend-container.js';
import { execCapture } from '../runtime/exec.js';
import type { GpuInventory } from './inventory.js';

/** What `python3 -m lem_harness gpus` prints: the GPUs the container's NVML sees, or why it sees none. */
const HarnessGpus = z.object({
  gpus: z.array(
    z.object({
      index: z.int().nonnegative(),
      uuid: z.string(),
      name: z.string(),
      memory_total_mib: z.number().nullable(),
      mig_mode: z.boolean().nullable(),
    }),
  ),
  error: z.string().nullable(),
});

/** The harness's answer as an inventory (pure); output that is not that answer is an error naming the container. */
export function parseHarnessGpus(stdout: string, container: string): Result<GpuInventory> {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let parsed: z.ZodSafeParseResult<z.infer<typeof HarnessGpus>>;
  try {
    parsed = HarnessGpus.safeParse(JSON.parse(line));
  } catch {
    parsed = HarnessGpus.safeParse(undefined);
  }
  if (!parsed.success)
    return err(
      lemError(ErrorCode.CONTAINER_FAILED, `lem_harness gpus in ${container} printed ${JSON.stringify(line)}`),
    );
  const { gpus, error } = parsed.data;
  return ok({
    source: 'harness',
    gpus: gpus.map((g) => ({
      index: g.index,
      uuid: g.uuid,
      name: g.name,
      memoryMiB: g.memory_total_mib,
      mig: g.mig_mode === true,
    })),
    ...(error === null ? {} : { note: error }),
  });
}

/**
 * The GPUs as the harness in a running backend container sees them through NVML (a probe exec): the view every
 * measurement of that container has, set beside the host's nvidia-smi list. Indices are the container's NVML
 * indices; UUIDs match the host's.
 */
export async function probeHarnessGpus(c: BackendContainer): Promise<Result<GpuInventory>> {
  const r = await execCapture(c.handle(), ['python3', '-m', 'lem_harness', 'gpus']);
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().split('\n').at(-1) ?? '';
    return err(
      lemError(ErrorCode.CONTAINER_FAILED, `lem_harness gpus in ${c.containerName} exited ${r.exitCode}: ${why}`),
    );
  }
  return parseHarnessGpus(r.stdout, c.containerName);
}
