import { execFile } from 'node:child_process';
import { ok, type Result } from '../core/result.js';
import { NVIDIA_SMI_ARGS, parseNvidiaSmi, parsePretendGpus, pretendInventory, type GpuInventory } from './inventory.js';

/**
 * This node's GPUs: the pretend ones when the test aid LEM_GPUS is given (passed in from the CLI edge), else
 * what the host's nvidia-smi lists (the same tool `lem doctor` runs). No nvidia-smi, or one that fails (no
 * driver), is an empty inventory with the reason: a machine without GPUs, not an error.
 */
export async function probeInventory(o: { pretendGpus?: string | undefined }): Promise<Result<GpuInventory>> {
  const pretend = parsePretendGpus(o.pretendGpus);
  if (!pretend.ok) return pretend;
  if (pretend.value !== undefined) return ok(pretendInventory(pretend.value));
  const run = await new Promise<{ out: string; error?: string }>((resolve) => {
    execFile('nvidia-smi', [...NVIDIA_SMI_ARGS], { timeout: 15_000, encoding: 'utf8' }, (e, stdout, stderr) => {
      if (!e) return resolve({ out: stdout });
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'nvidia-smi not found' : `nvidia-smi failed: ${(stderr || e.message).trim()}`;
      resolve({ out: '', error: why });
    });
  });
  if (run.error !== undefined) return ok({ source: 'nvidia-smi', gpus: [], note: run.error });
  const gpus = parseNvidiaSmi(run.out);
  return gpus.ok ? ok({ source: 'nvidia-smi', gpus: gpus.value }) : gpus;
}
