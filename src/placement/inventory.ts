import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/** One GPU of this node as lem schedules it: `index` is the node index (nvidia-smi's), never a container's. */
export interface GpuInfo {
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  readonly memoryMiB: number | null;
  /** MIG mode enabled: its instances are not whole GPUs, so `placement: pack` refuses the node. */
  readonly mig: boolean;
}

/**
 * The GPUs lem may place experiments on. `pretend` marks the test aid (LEM_GPUS=<n>): GPUs that do not exist,
 * declared so the scheduler and the per-GPU-set containers can be exercised on a machine without a GPU.
 */
export interface GpuInventory {
  /** nvidia-smi on the host; the harness's NVML in a backend container (probe exec); LEM_GPUS. */
  readonly source: 'nvidia-smi' | 'harness' | 'pretend';
  readonly gpus: readonly GpuInfo[];
  /** Why the list is empty, when it is (no nvidia-smi, no driver). */
  readonly note?: string;
}

/** The nvidia-smi query whose output parseNvidiaSmi reads. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,uuid,name,memory.total,mig.mode.current',
  '--format=csv,noheader,nounits',
] as const;

/** The most pretend GPUs LEM_GPUS may declare (a real node has at most a few dozen). */
export const MAX_PRETEND_GPUS = 64;

/** Parses the text of `nvidia-smi` run with NVIDIA_SMI_ARGS; a line it cannot read is an error, not skipped. */
export function parseNvidiaSmi(text: string): Result<GpuInfo[]> {
  const gpus: GpuInfo[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    const index = Number(cells[0]);
    if (cells.length < 4 || !Number.isInteger(index) || index < 0) {
      return err(lemError(ErrorCode.CONTAINER_FAILED, `nvidia-smi printed a GPU line lem cannot read: ${line}`));
    }
    const memory = Number(cells[3]);
    gpus.push({
      index,
      uuid: cells[1]!,
      name: cells[2]!,
      memoryMiB: Number.isFinite(memory) && cells[3] !== '' ? memory : null,
      mig: (cells[4] ?? '').toLowerCase() === 'enabled',
    });
  }
  return ok(gpus.sort((a, b) => a.index - b.index));
}

/** The test aid's inventory: n GPUs numbered 0..n-1, named so no reader takes them for hardware. */
export function pretendInventory(n: number): GpuInventory {
  const gpus = Array.from({ length: n }, (_, i) => ({
    index: i,
    uuid: `GPU-pretend-${i}`,
    name: 'pretend GPU (LEM_GPUS test aid)',
    memoryMiB: null,
    mig: false,
  }));
  return { source: 'pretend', gpus };
}

/** LEM_GPUS as given: a whole number of pretend GPUs, 0 to MAX_PRETEND_GPUS; undefined when not set. */
export function parsePretendGpus(raw: string | undefined): Result<number | undefined> {
  if (raw === undefined || raw === '') return ok(undefined);
  const n = Number(raw);
  if (/^\d+$/.test(raw.trim()) && n <= MAX_PRETEND_GPUS) return ok(n);
  return err(
    lemError(ErrorCode.USAGE, `LEM_GPUS=${raw} is not a number of pretend GPUs (0 to ${MAX_PRETEND_GPUS})`, {
      hint: 'LEM_GPUS is a test aid for machines without GPUs; unset it to use the real inventory',
    }),
  );
}

/** One line per GPU, for doctor and messages. */
export function describeInventory(inv: GpuInventory): string {
  if (inv.gpus.length === 0) return `no GPU${inv.note ? ` (${inv.note})` : ''}`;
  const indices = inv.gpus.map((g) => g.index).join(', ');
  if (inv.source === 'pretend') return `${inv.gpus.length} pretend GPU(s) from LEM_GPUS, a test aid: ${indices}`;
  const list = inv.gpus.map((g) => {
    const mem = g.memoryMiB === null ? '' : `, ${Math.round(g.memoryMiB / 1024)} GiB`;
    return `${g.index}: ${g.name} (${g.uuid}${mem}${g.mig ? ', MIG enabled' : ''})`;
  });
  const by = inv.source === 'harness' ? "the harness's NVML" : 'nvidia-smi';
  return `${inv.gpus.length} GPU(s) by ${by}: ${list.join('; ')}`;
}
