import { statfsSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Command, Option } from 'clipanion';
import { ok, type Result } from '../core/result.js';
import { LemCommand } from './base-command.js';
import type Docker from 'dockerode';
import { buildCommand } from '../runtime/build-command.js';
import type { ServiceDefinition } from '../runtime/compose-file.js';

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** A failed optional check is a warning: lem still works (e.g. no GPU: the synthetic backend runs). */
  readonly optional?: boolean;
}

export class DoctorCommand extends LemCommand {
  static override paths = [['doctor']];
  static override usage = Command.Usage({
    description: 'Check that this machine can run lem campaigns',
    details: `
      Checks the Docker engine (reachable, version), docker compose, the NVIDIA container runtime and GPUs,
      the GPU inventory \`placement: pack\` schedules on (LEM_GPUS=<n> declares n pretend GPUs: a test aid
      for machines without GPUs), which backend images are present, free disk space for results, and which
      meters besides the GPU (measurement.sources) this machine can read. Exits 1 when a required check fails.
    `,
    examples: [['Check the machine', '$0 doctor']],
  });
  project = Option.String('--project', { description: 'Project folder (holding compose.yaml)' });
  slurm = Option.Boolean('--slurm', false, {
    description:
      'Also check Slurm: commands, controller, partition, GPU GRES, and a shared results folder (one tiny job)',
  });
  campaign = Option.String('--campaign', {
    description: 'A campaign file: with executor: slurm, its slurm: section is checked (implies --slurm)',
  });

  async run(): Promise<Result<number>> {
    const [{ openProject, resolveProjectDir }, { projectOptions }, { connectDocker }] = await Promise.all([
      import('../project/project.js'),
      import('./project-options.js'),
      import('../runtime/docker-client.js'),
    ]);
    const options = projectOptions(this.project);
    const checks: Check[] = [];
    const d = await connectDocker(undefined, options.docker);
    if (!d.ok) checks.push({ name: 'docker engine', ok: false, detail: `${d.error.message}; ${d.error.hint ?? ''}` });
    else {
      checks.push({
        name: 'docker engine',
        ok: true,
        detail: `version ${d.value.info.version}, API ${d.value.info.apiVersion}`,
      });
      checks.push({
        name: 'nvidia runtime',
        ok: d.value.info.gpuRuntime,
        optional: true,
        detail: d.value.info.gpuRuntime
          ? 'present: GPU backends get GPUs via compose.gpu.yaml'
          : `absent (runtimes: ${d.value.info.runtimes.join(', ') || 'none'}): only the synthetic backend can run`,
      });
    }
    checks.push(
      commandCheck(
        'docker compose',
        [
          ['docker', ['compose', 'version', '--short']],
          ['docker-compose', ['version', '--short']],
        ],
        true,
        'lem drives Docker itself; compose is only needed to run compose.yaml by hand',
      ),
    );
    checks.push(
      commandCheck(
        'nvidia-smi',
        [['nvidia-smi', ['--query-gpu=name', '--format=csv,noheader']]],
        true,
        'no GPU visible on this host',
      ),
    );
    checks.push(await inventoryCheck(options.pretendGpus));
    const { probeSources, sourceChecks } = await import('../meters/doctor-sources.js');
    checks.push(...sourceChecks(await probeSources('/sys/class/powercap', process.env)));

    const dir = resolveProjectDir(options);
    if (!dir.ok) checks.push({ name: 'project', ok: false, detail: dir.error.message });
    else {
      const project = openProject(dir.value, options, d.ok ? d.value.info : undefined);
      if (!project.ok) checks.push({ name: 'project', ok: false, detail: project.error.message });
      else {
        checks.push({
          name: 'project',
          ok: true,
          detail: `${dir.value} (containers named lem-${project.value.name}-<backend>)`,
        });
        if (d.ok) checks.push(...(await imageChecks(d.value.docker, Object.values(project.value.compose.services))));
        const results = project.value.paths.hostResults;
        const probe = existsSync(results) ? results : dir.value;
        const fs = statfsSync(probe);
        const freeGiB = (fs.bavail * fs.bsize) / 1024 ** 3;
        checks.push({ name: 'disk space', ok: freeGiB >= 1, detail: `${freeGiB.toFixed(1)} GiB free at ${probe}` });
      }
    }

    const slurm = await this.slurmChecks(dir.ok ? dir.value : undefined);
    if (!slurm.ok) return slurm;
    checks.push(...slurm.value);
    const failed = checks.filter((c) => !c.ok && !c.optional);
    if (this.json) this.printJson({ ok: failed.length === 0, checks });
    else {
      for (const c of checks) this.print(`${c.ok ? 'ok  ' : c.optional ? 'warn' : 'FAIL'}  ${c.name}: ${c.detail}`);
      this.print(
        failed.length === 0 ? '\nlem can run campaigns here.' : `\n${failed.length} required check(s) failed.`,
      );
    }
    return ok(failed.length === 0 ? 0 : 1);
  }

  /** With --slurm or --campaign: the Slurm checks; none otherwise. */
  private async slurmChecks(projectDir: string | undefined): Promise<Result<Check[]>> {
    if (!this.slurm && this.campaign === undefined) return ok([]);
    const { openProject } = await import('../project/project.js');
    const { projectOptions } = await import('./project-options.js');
    const project =
      projectDir === undefined ? undefined : openProject(projectDir, projectOptions(this.project), undefined);
    const results = project?.ok ? project.value.paths.hostResults : join(process.cwd(), 'results');
    return slurmChecksFor(this.campaign, results);
  }
}

/** Slurm checks, with the campaign's slurm: section when one is given (bad config: exit 2). */
async function slurmChecksFor(campaign: string | undefined, resultsDir: string): Promise<Result<Check[]>> {
  const [{ SlurmSection }, { slurmCommands }, { slurmChecks }, { loadCampaign }] = await Promise.all([
    import('../slurm/settings.js'),
    import('../slurm/commands.js'),
    import('../slurm/doctor-checks.js'),
    import('../config/load.js'),
  ]);
  let section = SlurmSection.parse({});
  if (campaign !== undefined) {
    const loaded = loadCampaign(campaign);
    if (!loaded.ok) return loaded;
    section = loaded.value.settings.slurm ?? section;
  }
  const path = process.env['PATH'] ?? '';
  return ok(await slurmChecks(slurmCommands(), section, { path, resultsDir, waitS: 60 }));
}

/** The GPUs `placement: pack` would place experiments on; pretend ones (LEM_GPUS) are said to be a test aid. */
async function inventoryCheck(pretendGpus: string | undefined): Promise<Check> {
  const [{ probeInventory }, { describeInventory }] = await Promise.all([
    import('../placement/inventory-probe.js'),
    import('../placement/inventory.js'),
  ]);
  const inv = await probeInventory({ pretendGpus });
  if (!inv.ok) return { name: 'gpu inventory', ok: false, detail: inv.error.message };
  return { name: 'gpu inventory', ok: inv.value.gpus.length > 0, optional: true, detail: describeInventory(inv.value) };
}

function commandCheck(name: string, candidates: [string, string[]][], optional: boolean, missing: string): Check {
  for (const [cmd, args] of candidates) {
    try {
      const out = execFileSync(cmd, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
      }).trim();
      return { name, ok: true, optional, detail: `${cmd} ${args[0]}: ${out.split('\n').join(', ')}` };
    } catch {
      // Try the next form (compose v2 plugin, then the v1 standalone binary).
    }
  }
  return { name, ok: false, optional, detail: missing };
}

/** One check per backend image: present, or how to build it (lem never pulls images). */
async function imageChecks(docker: Docker, services: readonly ServiceDefinition[]): Promise<Check[]> {
  const checks: Check[] = [];
  for (const s of services) {
    let detail = `present (backend ${s.name})`;
    try {
      await docker.getImage(s.image).inspect();
    } catch (e) {
      detail =
        (e as { statusCode?: number }).statusCode === 404
          ? `missing: build with ${buildCommand(s.name, s.image, s.buildContext)}`
          : `cannot inspect: ${(e as Error).message}`;
    }
    checks.push({ name: `image ${s.image}`, ok: detail.startsWith('present'), optional: true, detail });
  }
  return checks;
}
