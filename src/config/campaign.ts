import { z } from 'zod';
import { isMapping } from '../core/mapping.js';
import { SlurmSection } from '../slurm/settings.js';

/**
 * How the runs of a campaign are ordered (see docs/campaigns.md):
 * - interleaved: every cycle runs the experiment list in order (e0 e1 e2 | e0 e1 e2 ...);
 * - shuffled: every cycle runs the list in its own seeded random order (seed, cycle) — reproducible;
 * - grouped: each experiment's cycles back to back (e0 e0 e0 | e1 e1 e1 ...).
 */
export const Structure = z.enum(['interleaved', 'shuffled', 'grouped']);
export type Structure = z.infer<typeof Structure>;

/** What the daemon does when a scheduled time comes while a cycle is still running. */
export const Overlap = z.enum(['queue', 'skip']);

/**
 * When the daemon runs a cycle. Only the shape is checked here; cron syntax and time zones are checked by
 * scheduleProblems (schedule.ts) whenever a campaign file is loaded. `cron` is normalised to a list.
 */
export const Schedule = z.strictObject({
  cron: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .transform((c) => (typeof c === 'string' ? [c] : c)),
  /** IANA time zone, e.g. "Europe/London"; absent means the daemon's local time. */
  timezone: z.string().min(1).optional(),
  /** Total cycles to run over the campaign's life (the daemon runs one cycle per scheduled time). */
  max_cycles: z.int().positive().optional(),
  overlap: Overlap.default('skip'),
});
export type Schedule = z.infer<typeof Schedule>;

/** Settings every campaign has, whichever way it lists its experiments. */
export const CampaignSettings = z.strictObject({
  campaign_name: z.string().min(1),
  description: z.string().optional(),
  /** Repeat the whole experiment set this many times; the cycle is the highest organising principle. */
  cycles: z.int().positive().default(1),
  structure: Structure.default('interleaved'),
  /** Seed of the shuffled structure: same seed, same order. */
  seed: z.int().min(0).max(0xffff_ffff).default(0),
  /** Pause between experiments so the GPU returns towards idle temperature. */
  thermal_gap_s: z.number().nonnegative().default(0),
  /** When set, overrides every experiment's force_cold_start (unload the model between experiments). */
  force_cold_start: z.boolean().optional(),
  /** Extra attempts for a failed experiment before the runner records it as failed. */
  retries: z.int().nonnegative().default(1),
  /**
   * Longest an experiment may run, engine load included, before it is stopped and counted as failed: a hung
   * engine must not hold a campaign forever. Raise it for very large models or long measurement windows.
   */
  experiment_timeout_s: z.number().positive().default(3600),
  schedule: Schedule.optional(),
  /**
   * serial: one experiment at a time on every GPU the backend container sees (the measurement default);
   * pack: experiments run in parallel on disjoint GPU sets of this node, one container per (backend, GPU set).
   */
  placement: z.enum(['serial', 'pack']).default('serial'),
  /**
   * pack only: take each experiment's idle baselines (device_idle, loaded_idle) only while no other experiment on
   * the node does any work; lem pauses the others at a gate meanwhile (docs/placement.md).
   */
  isolate_baseline: z.boolean().default(false),
  /** Restrict lem to these GPUs of the node (node indices); absent: every GPU the inventory lists. */
  gpu_ids: z.array(z.int().nonnegative()).min(1).optional(),
  /** Where batches run: local (this machine's Docker engine) or slurm (one job per batch; see docs/cluster.md). */
  executor: z.enum(['local', 'slurm']).default('local'),
  /** What each batch job asks Slurm for, with `executor: slurm`. */
  slurm: SlurmSection.optional(),
});
export type CampaignSettings = z.infer<typeof CampaignSettings>;

const Mapping = z.record(z.string(), z.unknown());

/**
 * A campaign file. Exactly one mode:
 * - mode 1 `configs:` lists experiment files (paths relative to the campaign file);
 * - mode 2 `base_config:` + `vary:` is a backend-aware cartesian product (see grid.ts).
 * base_config and vary are validated by the grid expansion, per generated experiment, so their problems are
 * reported at the exact base_config or vary entry they come from.
 */
export const CampaignFile = CampaignSettings.extend({
  configs: z.array(z.string().min(1)).min(1).optional(),
  base_config: Mapping.optional(),
  vary: Mapping.optional(),
}).superRefine(
  (value, ctx) => {
    const { configs, base_config, vary } = value;
    const add = (path: string[], message: string): void =>
      ctx.addIssue({ code: 'custom', input: value, path, message });
    if (configs !== undefined && (base_config !== undefined || vary !== undefined)) {
      add(['configs'], 'a campaign lists either configs: (mode 1) or base_config: + vary: (mode 2), not both');
    } else if (configs === undefined && base_config === undefined && vary === undefined) {
      add([], 'no experiments: give configs: (a list of experiment files) or base_config: + vary: (a grid)');
    } else if (base_config !== undefined && vary === undefined) {
      add(
        ['base_config'],
        'base_config needs vary: (the values to sweep); for fixed experiments list their files under configs:',
      );
    } else if (vary !== undefined && base_config === undefined) {
      add(['vary'], 'vary needs base_config: (the values every experiment shares)');
    }
    if (value.isolate_baseline === true && value.placement !== 'pack') {
      add(
        ['isolate_baseline'],
        'isolate_baseline keeps baselines apart from experiments running beside them, which only placement: pack ' +
          'does; set placement: pack, or remove isolate_baseline (serial placement runs one experiment at a time)',
      );
    }
  },
  // Checked even when settings have other problems: the mode decides what else can be checked at all.
  { when: (payload) => payload.value !== null && typeof payload.value === 'object' },
);
export type CampaignFile = z.infer<typeof CampaignFile>;

/** Keys that only a campaign file has: how `lem config validate` tells a campaign from an experiment. */
export const CAMPAIGN_ONLY_KEYS = [
  'campaign_name',
  'configs',
  'base_config',
  'vary',
  'cycles',
  'structure',
  'schedule',
] as const;

export function looksLikeCampaign(data: unknown): boolean {
  return isMapping(data) && CAMPAIGN_ONLY_KEYS.some((k) => Object.hasOwn(data, k));
}
