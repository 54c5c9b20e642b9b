import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { maxGpusPerNode, type SlurmCommands } from './commands.js';
import type { SlurmSection } from './settings.js';
import { checkSharedFolder } from './shared-fs-check.js';

export interface SlurmCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const COMMANDS = ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'] as const;

/** The Slurm commands lem runs, looked up on `path` (the user's PATH, from the CLI). */
export function commandsOnPath(path: string): SlurmCheck {
  const dirs = path.split(delimiter).filter(Boolean);
  const missing = COMMANDS.filter((c) => !dirs.some((d) => existsSync(join(d, c))));
  return missing.length === 0
    ? { name: 'slurm commands', ok: true, detail: `${COMMANDS.join(', ')} on PATH` }
    : { name: 'slurm commands', ok: false, detail: `not on PATH: ${missing.join(', ')} (is this a Slurm login node?)` };
}

/**
 * What `executor: slurm` needs of this login node and its cluster: the commands, a controller that answers,
 * the partition, GPUs as GRES, and a results folder that the compute nodes share with this machine.
 */
export async function slurmChecks(
  slurm: SlurmCommands,
  s: SlurmSection,
  o: { path: string; resultsDir: string; waitS: number },
): Promise<SlurmCheck[]> {
  const checks = [commandsOnPath(o.path)];
  const parts = await slurm.partitions();
  if (!parts.ok) return [...checks, { name: 'slurm controller', ok: false, detail: parts.error.message }];
  checks.push({ name: 'slurm controller', ok: true, detail: `sinfo answers (${parts.value.length} partition row(s))` });
  const rows = s.partition === undefined ? parts.value : parts.value.filter((p) => p.name === s.partition);
  const which = s.partition ?? 'default';
  if (rows.length === 0) {
    const names = [...new Set(parts.value.map((p) => p.name))].join(', ');
    return [...checks, { name: 'slurm partition', ok: false, detail: `no partition "${which}" (there are: ${names})` }];
  }
  checks.push({
    name: 'slurm partition',
    ok: true,
    detail: `${which}: ${rows.map((r) => `${r.nodes} ${r.state}`).join(', ')} node(s)`,
  });
  const gpus = Math.max(0, ...rows.map((r) => maxGpusPerNode(r.gres)));
  checks.push({
    name: 'slurm GPUs',
    ok: gpus > 0,
    detail: gpus > 0 ? `up to ${gpus} GPU(s) per node (GRES ${rows[0]!.gres})` : "no gpu GRES on the partition's nodes",
  });
  const shared = await checkSharedFolder(slurm, s, o.resultsDir, o.waitS);
  checks.push(
    shared.ok
      ? { name: 'shared filesystem', ok: shared.value.checked, detail: shared.value.detail }
      : { name: 'shared filesystem', ok: false, detail: shared.error.message },
  );
  return checks;
}
