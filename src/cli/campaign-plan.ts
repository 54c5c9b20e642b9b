import { relative } from 'node:path';
import { Command, Option } from 'clipanion';
import { ok, type Result } from '../core/result.js';
import { escapeControl } from '../core/terminal-text.js';
import type { Plan } from '../campaign/plan.js';
import type { LoadedCampaign } from '../config/load.js';
import { ErrorCode } from '../core/errors.js';
import type { PlanPlacement } from '../placement/plan-placement.js';
import { LemCommand } from './base-command.js';
import { configLimits } from './defaults.js';
import { formatTable } from './table.js';

export class CampaignPlanCommand extends LemCommand {
  static override paths = [['campaign', 'plan']];
  static override usage = Command.Usage({
    category: 'Campaigns',
    description: 'Show the ordered list of experiments a campaign would run, without running anything',
    details: `
      Loads and validates the campaign, expands its grid (mode 2, backend-aware) or reads its experiment files
      (mode 1), and orders the runs by cycles and structure (interleaved, shuffled with the campaign's seed,
      or grouped). The same file always gives the same plan, ids included.

      The table shows, per run: index (from 0), id, cycle (from 1), backend, the values \`vary\` gave it (mode 2)
      or its experiment file (mode 1), and the config hash that identifies the resolved config.

      With --json, prints {"campaign": {name, file, mode, cycles, structure, seed, thermal_gap_s, retries, ...},
      "experiments": [{id, index, cycle, config_index, backend, config_hash, config, varied, source?}]}, where
      config is the fully resolved experiment config. Warnings go to stderr so stdout stays valid JSON.
      With \`placement: pack\`, also shows the placement simulated on this node's GPUs (LEM_GPUS=<n>: n pretend
      GPUs, a test aid) with every experiment taking one unit of time: each batch's GPU set, start and end, and
      how many experiments run at once on average; --json adds it as "placement" {gpus, batches: [{batch,
      backend, gpus, start, end, experiments}], makespan, serial, parallelism}. A campaign this node cannot place
      is still planned, with the problems as warnings.
      Exits 2 with every problem (file:line:column: field path: message) if the campaign is invalid.
    `,
    examples: [
      ['Plan the demo campaign', '$0 campaign plan campaigns/demo.yaml'],
      [
        'Count the runs of a sweep',
        '$0 campaign plan campaigns/full-backend-sweep.yaml --json | jq ".experiments | length"',
      ],
    ],
  });

  file = Option.String({ required: true, name: 'campaign.yaml' });

  async run(): Promise<Result<void>> {
    // Loaded on use, so start-up stays lean for every other command.
    const [{ loadCampaign }, { planCampaign }] = await Promise.all([
      import('../config/load.js'),
      import('../campaign/planner.js'),
    ]);
    const limits = configLimits();
    if (!limits.ok) return limits;
    const loaded = loadCampaign(this.file, limits.value);
    if (!loaded.ok) return loaded;
    for (const w of loaded.value.warnings) this.warn(w);
    const plan = planCampaign(loaded.value);
    const placement = await this.packPlacement(loaded.value, plan);
    if (!placement.ok) return placement;
    if (this.json) {
      this.printJson(placement.value === undefined ? plan : { ...plan, placement: placement.value });
      return ok(undefined);
    }
    this.print(describeCampaign(plan));
    const byFile = plan.campaign.mode === 'configs';
    const rows = plan.experiments.map((e) => [
      String(e.index),
      e.id,
      String(e.cycle),
      e.backend,
      escapeControl(byFile ? shortPath(e.source) : describeVaried(e.varied)),
      e.config_hash,
    ]);
    this.print(
      formatTable(['index', 'id', 'cycle', 'backend', byFile ? 'config file' : 'varied', 'config hash'], rows, {
        alignRight: [0, 2],
      }),
    );
    if (placement.value) this.print(`\n${describePlacement(placement.value)}`);
    return ok(undefined);
  }

  /**
   * `placement: pack`: the placement simulated on this node's GPUs (LEM_GPUS: pretend ones, a test aid). Where the
   * campaign cannot be placed on this node (no GPU, a pin it lacks) the plan is still shown and the problems are
   * warnings: it may be meant for another node, and `lem campaign run` refuses it there with the same words.
   */
  private async packPlacement(loaded: LoadedCampaign, plan: Plan): Promise<Result<PlanPlacement | undefined>> {
    if (plan.campaign.placement !== 'pack') return ok(undefined);
    const [{ placementPreflight }, { campaignLocator }, { simulatePlanPlacement }] = await Promise.all([
      import('../placement/preflight.js'),
      import('../placement/locate.js'),
      import('../placement/plan-placement.js'),
    ]);
    const at = campaignLocator(loaded);
    const pretend = process.env['LEM_GPUS'] || undefined;
    const node = await placementPreflight(loaded.file, loaded.settings, loaded.experiments, at, pretend);
    if (!node.ok) {
      if (node.error.code !== ErrorCode.CONFIG_INVALID || !node.error.issues) return node;
      for (const issue of node.error.issues) this.warn(issue);
      this.warn('placement not simulated: this node cannot run the campaign as placement: pack');
      return ok(undefined);
    }
    return ok(simulatePlanPlacement(plan, node.value!.usable));
  }
}

function describeCampaign(plan: Plan): string {
  const c = plan.campaign;
  const lines = [
    `campaign ${escapeControl(c.name)} (${escapeControl(c.file)})`,
    `${c.experiment_count} experiments × ${c.cycles} cycle${c.cycles === 1 ? '' : 's'} = ${c.run_count} runs, ${c.structure}${c.structure === 'shuffled' ? ` (seed ${c.seed})` : ''}, thermal gap ${c.thermal_gap_s} s, retries ${c.retries}` +
      (c.force_cold_start !== undefined ? `, force_cold_start ${c.force_cold_start}` : ''),
  ];
  if (c.schedule)
    lines.push(
      escapeControl(
        `schedule: ${c.schedule.cron.join(' | ')}${c.schedule.timezone ? ` (${c.schedule.timezone})` : ''}, overlap ${c.schedule.overlap}`,
      ),
    );
  return lines.join('\n') + '\n\n';
}

/** The simulated pack placement: one row per batch, in the order batches would start. */
function describePlacement(p: PlanPlacement): string {
  const head =
    `placement: pack on GPU ${p.gpus.join(', ')}, simulated with every experiment taking one unit of time: ` +
    `${p.batches.length} batches end at ${p.makespan} units (one after another: ${p.serial}), ` +
    `about ${p.parallelism.toFixed(1)} experiments at once`;
  const rows = p.batches.map((b) => [
    String(b.batch),
    b.backend,
    b.gpus.length === 0 ? 'none' : b.gpus.join(','),
    String(b.start),
    String(b.end),
    describeIds(b.experiments),
  ]);
  return `${head}\n\n${formatTable(['batch', 'backend', 'gpus', 'start', 'end', 'experiments'], rows, {
    alignRight: [0, 3, 4],
  })}`;
}

/** A batch's experiments by their plan index (the id's first part): `0-3` for 0, 1, 2, 3, else `0, 2, 5`. */
function describeIds(ids: readonly string[]): string {
  const idx = ids.map((id) => Number(id.split('-')[0]));
  const consecutive = idx.every((n, i) => i === 0 || n === idx[i - 1]! + 1);
  if (idx.length > 1 && consecutive) return `${idx[0]}-${idx.at(-1)}`;
  return idx.join(', ');
}

/** `batching.batch_size=4 vllm.max_num_seqs=8`; the backend has its own column. */
function describeVaried(varied: Record<string, unknown>): string {
  return Object.entries(varied)
    .filter(([k]) => k !== 'backend')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** Experiment files relative to the working directory when below it: shorter, and what the user typed. */
function shortPath(file: string | undefined): string {
  if (file === undefined) return '';
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
