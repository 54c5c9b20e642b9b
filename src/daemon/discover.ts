import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG_LIMITS, type ConfigLimits } from '../config/limits.js';
import { loadCampaign, type LoadedCampaign } from '../config/load.js';
import { readYamlFile } from '../config/source.js';
import { ErrorCode, formatError, lemError } from '../core/errors.js';
import { isMapping } from '../core/mapping.js';
import { err, ok, type Result } from '../core/result.js';

export interface Discovered {
  readonly campaigns: LoadedCampaign[];
  /** Files skipped because they could not be read as YAML at all: the user should hear of them. */
  readonly skipped: string[];
}

function hasSchedule(data: unknown): boolean {
  return isMapping(data) && Object.hasOwn(data, 'schedule');
}

/**
 * The scheduled campaigns of a folder: every *.yaml / *.yml file (not recursive) with a top-level `schedule:`.
 * Other files (unscheduled campaigns, experiment configs) are left alone. A scheduled file must load cleanly:
 * the daemon refuses to start with a schedule it cannot honour.
 */
export function discoverScheduled(dir: string, limits: ConfigLimits = DEFAULT_CONFIG_LIMITS): Result<Discovered> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory())
      return err(
        lemError(ErrorCode.USAGE, `${dir} is not a folder`, {
          hint: 'pass the folder holding campaign files with --campaigns <dir>',
        }),
      );
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort();
  } catch (e) {
    return err(
      lemError(ErrorCode.FILE_NOT_FOUND, `cannot read the campaigns folder ${dir}: ${(e as Error).message}`, {
        hint: 'pass the folder holding campaign files with --campaigns <dir>',
      }),
    );
  }
  const campaigns: LoadedCampaign[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const read = readYamlFile(file, limits);
    if (!read.ok) {
      skipped.push(formatError(read.error));
      continue;
    }
    if (!hasSchedule(read.value.data)) continue;
    const loaded = loadCampaign(file, limits);
    if (!loaded.ok) return loaded;
    campaigns.push(loaded.value);
  }
  return ok({ campaigns, skipped });
}
