import type { Issue } from '../core/errors.js';
import type { ExperimentConfig } from './experiment.js';
import type { ExpandedExperiment } from './grid.js';
import { formatPath, locate, type DocPath, type YamlSource } from './source.js';

/**
 * A batch larger than the prompt set cannot be filled: batch sizes above prompts.count all run the same
 * batches, so a sweep over them measures the same thing several times under different labels.
 */
export function batchSizeWarning(config: ExperimentConfig): string | undefined {
  const { batch_size } = config.batching;
  const { count } = config.prompts;
  if (batch_size <= count) return undefined;
  return `batching.batch_size ${batch_size} is larger than prompts.count ${count}: a batch holds at most ${count} prompts, so this measures what batch size ${count} does (raise prompts.count)`;
}

/** The batch-size warnings of a campaign's experiments, one per distinct (batch size, prompt count). */
export function campaignBatchWarnings(
  source: YamlSource,
  experiments: readonly ExpandedExperiment[],
  where: DocPath,
): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const e of experiments) {
    const message = batchSizeWarning(e.config);
    if (message === undefined || seen.has(message)) continue;
    seen.add(message);
    out.push({ location: e.source ? { file: e.source } : locate(source, where), path: formatPath(where), message });
  }
  return out;
}

/** Same resolved config twice in one campaign: kept (the user may mean it), but never silently. */
export function duplicateWarnings(
  source: YamlSource,
  mode: 'configs' | 'grid',
  experiments: readonly ExpandedExperiment[],
): Issue[] {
  const first = new Map<string, number>();
  const warnings: Issue[] = [];
  let more = 0;
  experiments.forEach((e, i) => {
    const j = first.get(e.config_hash);
    if (j === undefined) return void first.set(e.config_hash, i);
    if (warnings.length >= 10) return void more++;
    const describe = (k: number): string => {
      const x = experiments[k]!;
      if (x.source) return `#${k} (${x.source})`;
      const v = Object.entries(x.varied)
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join(' ');
      return `#${k}${v ? ` (${v})` : ''}`;
    };
    const path: DocPath = mode === 'configs' ? ['configs', i] : ['vary'];
    warnings.push({
      location: locate(source, path),
      path: formatPath(path),
      message: `experiments ${describe(j)} and ${describe(i)} resolve to the same config (hash ${e.config_hash}); both will run`,
    });
  });
  if (more > 0) warnings.push({ location: { file: source.file }, message: `${more} more duplicate configs` });
  return warnings;
}
