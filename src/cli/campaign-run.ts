import { Command, Option } from 'clipanion';
import { err, ok, type Result } from '../core/result.js';
import type { StoredPlan } from '../campaign/stored-plan.js';
import type { LoadedCampaign } from '../config/load.js';
import { projectOptions } from './project-options.js';
import { escapeControl } from '../core/terminal-text.js';
import { CampaignExecutionCommand } from './campaign-execution-command.js';
import { configLimits } from './defaults.js';

/**
 * A Slurm campaign's checks before it is created: the partition and GPUs (problems at their line of the campaign
 * file), then the shared results folder. An error, or a warning when the folder could not be checked.
 */
async function slurmReady(loaded: LoadedCampaign, plan: StoredPlan, dir: string): Promise<Result<string | undefined>> {
  const [{ slurmSettingsOf, preflightPlan }, { slurmCommands }, { checkSharedFolder }, { locateCampaignPath }] =
    await Promise.all([
      import('../slurm/run/slurm-campaign.js'),
      import('../slurm/commands.js'),
      import('../slurm/shared-fs-check.js'),
      import('../config/load.js'),
    ]);
  const ready = await preflightPlan(slurmCommands(), plan, (p) => locateCampaignPath(loaded, p));
  if (!ready.ok) return ready;
  const settings = slurmSettingsOf(plan);
  if (settings.shared_fs_check_s === 0) return ok(undefined);
  const r = await checkSharedFolder(slurmCommands(), settings, dir, settings.shared_fs_check_s);
  if (!r.ok) return r;
  return ok(r.value.checked ? undefined : `results folder not checked for being shared: ${r.value.detail}`);
}

/** `placement: pack` against this node's GPUs, each problem at its line: before a campaign is created. */
async function checkPlacement(loaded: LoadedCampaign, pretendGpus: string | undefined): Promise<Result<void>> {
  if (loaded.settings.placement !== 'pack') return ok(undefined);
  const [{ placementPreflight }, { campaignLocator }] = await Promise.all([
    import('../placement/preflight.js'),
    import('../placement/locate.js'),
  ]);
  const at = campaignLocator(loaded);
  const r = await placementPreflight(loaded.file, loaded.settings, loaded.experiments, at, pretendGpus);
  return r.ok ? ok(undefined) : r;
}

export class CampaignRunCommand extends CampaignExecutionCommand {
  static override paths = [['campaign', 'run']];
  static override usage = Command.Usage({
    category: 'Campaigns',
    description: 'Run a campaign: plan it, start the backends it needs, dispatch every experiment, keep a manifest',
    details: `
      Validates and plans the campaign (as \`lem campaign plan\`), creates a campaign id and
      .state/campaigns/<id>/ (plan.json, manifest.json, journal.jsonl, logs/), starts only the backend
      containers the plan needs, and dispatches experiments into them with docker exec in planned order.
      Consecutive experiments that share a loaded engine run in one exec. Results go to results/<id>/.

      With \`placement: pack\` experiments run side by side on disjoint sets of this node's GPUs (listed by
      nvidia-smi; LEM_GPUS=<n> declares n pretend GPUs instead, a test aid for machines without GPUs), one
      container per (backend, GPU set); see docs/placement.md.

      Ctrl-C stops the running experiment cleanly and prints how to resume; a killed run is finished with
      \`lem campaign resume <id>\`. Exit codes: 0 all completed, 1 failures, 2 bad input, 130/143 interrupted.

      With executor: slurm (see docs/cluster.md) every batch is a Slurm job; Ctrl-C cancels the campaign's jobs, or
      with --detach leaves them queued and running for \`lem campaign resume <id>\` to re-attach to.
    `,
    examples: [
      ['Run the demo (no GPU needed)', '$0 campaign run campaigns/demo.yaml'],
      ['See what would run', '$0 campaign run campaigns/full-backend-sweep.yaml --dry-run'],
      ['Keep backends up for the next campaign', '$0 campaign run campaigns/demo.yaml --keep-backends'],
    ],
  });

  file = Option.String({ required: true, name: 'campaign.yaml' });
  dryRun = Option.Boolean('--dry-run', false, {
    description:
      'Plan and show what would run (experiments, batches, backends) and which images are missing; starts and writes nothing',
  });

  async run(): Promise<Result<number>> {
    const execution = this.executionOptions();
    if (!execution.ok) return execution;
    // Loaded here, not at the top: every lem invocation would otherwise pay for the runner's modules.
    const [
      { loadCampaign },
      { planCampaign },
      { createCampaign },
      { connect },
      { StoredPlan },
      { runCampaignCommand },
      images,
      { preflightMeters },
    ] = await Promise.all([
      import('../config/load.js'),
      import('../campaign/planner.js'),
      import('../campaign/session.js'),
      import('../project/project.js'),
      import('../campaign/stored-plan.js'),
      import('./run-support.js'),
      import('../project/images.js'),
      import('../meters/run-meters.js'),
    ]);
    const limits = configLimits();
    if (!limits.ok) return limits;
    const loaded = loadCampaign(this.file, limits.value);
    if (!loaded.ok) return loaded;
    for (const w of loaded.value.warnings) this.warn(w);
    const plan = StoredPlan.parse(planCampaign(loaded.value));
    const placed = await checkPlacement(loaded.value, projectOptions(this.project).pretendGpus);
    if (!placed.ok) return placed;
    if (this.dryRun) return this.showDryRun(plan);

    const c = await connect(projectOptions(this.project));
    if (!c.ok) return c;
    // Every missing image is named before anything is created: a campaign that cannot start leaves nothing behind.
    const missing = await images.missingImages(
      c.value.docker,
      c.value.project,
      plan.experiments.map((e) => e.backend),
    );
    if (missing.length > 0) return err(images.missingImagesError(missing));
    // Likewise an unreadable host meter (RAPL permissions, an unreachable PDU): refused before the campaign exists.
    const meters = await preflightMeters(plan.experiments, c.value.project.env);
    if (!meters.ok) return meters;
    if ((plan.campaign as { executor?: string }).executor === 'slurm') {
      // Checked before the campaign is created: bad Slurm settings leave nothing behind and submit nothing.
      const ready = await slurmReady(loaded.value, plan, c.value.project.paths.hostResults);
      if (!ready.ok) return ready;
      if (ready.value !== undefined) this.warn(ready.value);
    }
    const store = createCampaign(c.value.project, plan, loaded.value.path);
    const id = store.current.campaign_id;
    if (!this.json)
      this.print(
        `campaign ${id}: ${plan.experiments.length} experiment${plan.experiments.length === 1 ? '' : 's'} (state: ${store.dir})`,
      );
    return runCampaignCommand(c.value.docker, c.value.project, store, plan, execution.value);
  }

  /** What would run, without starting or writing anything; missing images are warned about when Docker answers. */
  private async showDryRun(plan: StoredPlan): Promise<Result<number>> {
    const [{ groupIntoBatches }, { connect }, images] = await Promise.all([
      import('../campaign/batching.js'),
      import('../project/project.js'),
      import('../project/images.js'),
    ]);
    const batches = groupIntoBatches(plan.experiments, { forceColdStart: plan.campaign.force_cold_start });
    const backends = [...new Set(plan.experiments.map((e) => e.backend))];
    const c = await connect(projectOptions(this.project));
    const missing = c.ok ? await images.missingImages(c.value.docker, c.value.project, backends) : [];
    if (!c.ok) this.context.stderr.write(`warning: images not checked: ${c.error.message}\n`);
    else if (missing.length > 0)
      this.context.stderr.write(`warning: ${images.describeMissing(missing)}; a run would be refused\n`);
    if (this.json) {
      const missingImages = missing.map((m) => m.image);
      this.printJson({
        campaign: plan.campaign,
        experiments: plan.experiments.length,
        batches: batches.map((b) => b.map((e) => e.id)),
        backends,
        missing_images: missingImages,
      });
      return ok(0);
    }
    this.print(
      `${escapeControl(plan.campaign.name)}: ${plan.experiments.length} experiment(s) in ${batches.length} exec batch(es), backends: ${backends.join(', ')}`,
    );
    for (const [i, b] of batches.entries())
      this.print(`  batch ${i + 1} (${b[0]!.backend}): ${b.map((e) => e.id).join(', ')}`);
    this.print('dry run: nothing was started or written');
    return ok(0);
  }
}
