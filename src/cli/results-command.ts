import { Option } from 'clipanion';
import { ok, type Result } from '../core/result.js';
import type { CampaignSelection, CollectOptions } from '../results/collect.js';
import type { ValidityNote } from '../results/aggregate.js';
import { DEFAULT_SUMMARY_OPTIONS, type SummaryOptions } from '../results/defaults.js';
import { LemCommand } from './base-command.js';
import {
  applyValidity,
  campaignSelection,
  collectOptions,
  INCLUDE_INVALID_DESCRIPTION,
  MAX_RESULT_MB_HELP,
  PROJECT_OPTION_HELP,
  RESULTS_OPTION_HELP,
  resultsRoot,
  selectAndCollect,
  summaryOptions,
  type Selected,
} from './results-shared.js';

/** What every results command reads before its own work: where the results are and how to summarise them. */
export interface ResultsInputs {
  readonly root: string;
  readonly summary: SummaryOptions;
  readonly collect: CollectOptions;
}

/**
 * The options `lem results aggregate`, `report` and `compare` share, declared once so the three commands offer
 * the same flags with the same help and the same rules.
 */
export abstract class ResultsCommand extends LemCommand {
  results = Option.String('--results', { description: RESULTS_OPTION_HELP });
  project = Option.String('--project', { description: PROJECT_OPTION_HELP });
  maxResultMb = Option.String('--max-result-mb', { description: MAX_RESULT_MB_HELP });
  resamples = Option.String('--resamples', {
    description: `Bootstrap resamples (default ${DEFAULT_SUMMARY_OPTIONS.resamples})`,
  });
  seed = Option.String('--seed', { description: `Bootstrap seed (default ${DEFAULT_SUMMARY_OPTIONS.seed})` });
  includeInvalid = Option.Boolean('--include-invalid', false, { description: INCLUDE_INVALID_DESCRIPTION });

  protected async inputs(): Promise<Result<ResultsInputs>> {
    const summary = summaryOptions(this.resamples, this.seed);
    if (!summary.ok) return summary;
    const collect = collectOptions(this.maxResultMb);
    if (!collect.ok) return collect;
    const root = await resultsRoot(this.results, this.project);
    if (!root.ok) return root;
    return ok({ root: root.value, summary: summary.value, collect: collect.value });
  }
}

/** The results of one campaign, every campaign, or the latest, with the validity rule applied. */
export interface SelectedResults extends ResultsInputs {
  readonly selection: CampaignSelection;
  readonly selected: Selected;
  readonly validity: ValidityNote;
}

/** `aggregate` and `report`: a results command over a campaign selection (--campaign, --all, or the latest). */
export abstract class CampaignResultsCommand extends ResultsCommand {
  campaign = Option.String('--campaign', { description: 'Campaign id (a folder under --results); default the latest' });
  all = Option.Boolean('--all', false, { description: 'Every campaign together' });

  protected async selectedResults(): Promise<Result<SelectedResults>> {
    const selection = campaignSelection(this.campaign, this.all);
    if (!selection.ok) return selection;
    const inputs = await this.inputs();
    if (!inputs.ok) return inputs;
    const collected = await selectAndCollect(inputs.value.root, selection.value, inputs.value.collect);
    if (!collected.ok) return collected;
    const v = await applyValidity(collected.value, this.includeInvalid);
    if (!v.ok) return v;
    return ok({ ...inputs.value, selection: selection.value, ...v.value });
  }
}
