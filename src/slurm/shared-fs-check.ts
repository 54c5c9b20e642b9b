import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { SlurmCommands } from './commands.js';
import { isFinished } from './job-state.js';
import { shq } from './launcher.js';
import type { SlurmSection } from './settings.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether a compute node sees `dir` as lem does: a one-second job writes a random token into it and lem reads
 * it back. Jobs write events and results there and lem reads them, so a folder that is local to the login node
 * (a /tmp, a laptop's disk) would leave every batch without a trace. `ok(false)` with a reason when the job
 * could not run within `waitS` (a busy partition): then nothing is known either way.
 */
export async function checkSharedFolder(
  slurm: SlurmCommands,
  s: SlurmSection,
  dir: string,
  waitS: number,
): Promise<Result<{ checked: boolean; detail: string }>> {
  const token = randomBytes(8).toString('hex');
  const file = join(dir, `.lem-shared-check-${token}`);
  const script = join(dir, `.lem-shared-check-${token}.sbatch`);
  mkdirSync(dir, { recursive: true });
  const header = [
    '--job-name=lem-shared-check',
    '--output=/dev/null',
    '--ntasks=1',
    '--time=1',
    ...(s.partition ? [`--partition=${shq(s.partition)}`] : []),
    ...(s.account ? [`--account=${shq(s.account)}`] : []),
    ...(s.qos ? [`--qos=${shq(s.qos)}`] : []),
  ].map((l) => `#SBATCH ${l}`);
  writeFileSync(script, ['#!/bin/bash', ...header, `echo ${token} > ${shq(file)}`, ''].join('\n'));
  try {
    const id = await slurm.submit(script);
    if (!id.ok) return id;
    const t0 = Date.now();
    for (;;) {
      const shown = await slurm.show([id.value]);
      if (!shown.ok) return shown;
      const job = shown.value[0];
      if (!job || isFinished(job.phase)) {
        const seen = existsSync(file) && readFileSync(file, 'utf8').trim() === token;
        if (seen) return ok({ checked: true, detail: `job ${id.value} on ${job?.nodes ?? '?'} wrote into ${dir}` });
        return err(
          lemError(
            ErrorCode.CONFIG_INVALID,
            `${dir} is not shared with the compute nodes: test job ${id.value} ` +
              `(${job ? `${job.state} on ${job.nodes ?? '?'}` : 'gone'}) ` +
              'wrote a file there that this machine cannot see',
            {
              hint:
                "put the project (results/ and .state/) on the cluster's shared filesystem, " +
                'e.g. under $HOME or /scratch',
            },
          ),
        );
      }
      if (Date.now() - t0 > waitS * 1000) {
        await slurm.cancel([id.value]);
        const why = job.reason === null ? job.state : `${job.state}, ${job.reason}`;
        return ok({ checked: false, detail: `test job ${id.value} did not run within ${waitS} s (${why})` });
      }
      await sleep(300);
    }
  } finally {
    rmSync(file, { force: true });
    rmSync(script, { force: true });
  }
}
