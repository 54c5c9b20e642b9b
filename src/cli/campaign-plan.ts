import { relative } from 'node:path';
import { Command, Option } from 'clipanion';
import { ok, type Result } from '../core/result.js';
import { escapeControl } from '../core/terminal-text.js';
import type { Plan } from '../campaign/plan.js';
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
    if (this.json) {
      this.printJson(plan);
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
    return ok(undefined);
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
