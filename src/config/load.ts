import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ErrorCode, lemError, type Issue, type LemError, type SourceLocation } from '../core/errors.js';
import { isMapping, type Mapping } from '../core/mapping.js';
import { err, ok, type Result } from '../core/result.js';
import { CampaignFile, looksLikeCampaign, type CampaignSettings } from './campaign.js';
import { ExperimentConfig } from './experiment.js';
import { expandGrid, type ExpandedExperiment } from './grid.js';
import { configHash } from './hash.js';
import { DEFAULT_CONFIG_LIMITS, type ConfigLimits } from './limits.js';
import { planSizeProblem, requestedExperiments } from './plan-size.js';
import { knownKeysAt, problemsFromZod, type Problem } from './problems.js';
import { finishExperiment, validateExperiment } from './resolve.js';
import { scheduleProblems } from './schedule.js';
import { formatPath, locate, readYamlFile, type DocPath, type YamlSource } from './source.js';
import { batchSizeWarning, campaignBatchWarnings, duplicateWarnings } from './warnings.js';

export interface LoadedExperiment {
  /** The path as given (relative paths stay relative, for messages). */
  readonly file: string;
  readonly source: YamlSource;
  readonly config: ExperimentConfig;
  readonly config_hash: string;
  /** Things the user should know that do not make the config invalid (a batch larger than the prompts). */
  readonly warnings: readonly Issue[];
}

export type CampaignMode = 'configs' | 'grid';

/** A campaign file read, validated and expanded: everything planCampaign needs, plus where it came from. */
export interface LoadedCampaign {
  readonly file: string;
  /** Absolute path of the campaign file (its identity in plans and manifests). */
  readonly path: string;
  readonly name: string;
  readonly mode: CampaignMode;
  readonly settings: CampaignSettings;
  /** Unique experiments in campaign order (before cycles and structure are applied). */
  readonly experiments: readonly ExpandedExperiment[];
  /** Things the user should know that do not stop the campaign (duplicate configs, YAML warnings). */
  readonly warnings: readonly Issue[];
  /** Kept so later checks can point at lines: see locateCampaignPath. */
  readonly source: YamlSource;
}

export type LoadedConfigFile =
  | { readonly kind: 'campaign'; readonly campaign: LoadedCampaign }
  | { readonly kind: 'experiment'; readonly experiment: LoadedExperiment };

/** Problems placed in their file: file:line:column, the field path, the message. */
function toIssues(source: YamlSource, problems: readonly Problem[]): Issue[] {
  return problems.map((p) => {
    const path = formatPath(p.path);
    return path === ''
      ? { location: locate(source, p.path), message: p.message }
      : { location: locate(source, p.path), path, message: p.message };
  });
}

function invalid(file: string, issues: readonly Issue[]): LemError {
  const n = issues.length;
  return lemError(ErrorCode.CONFIG_INVALID, `${file}: ${n} problem${n === 1 ? '' : 's'}`, {
    issues: inReadingOrder(issues),
  });
}

/** Issues sorted as the user reads the files: by file (in order of first mention), then line and column. */
function inReadingOrder(issues: readonly Issue[]): Issue[] {
  const fileRank = new Map<string, number>();
  for (const i of issues)
    if (i.location && !fileRank.has(i.location.file)) fileRank.set(i.location.file, fileRank.size);
  const rank = (i: Issue): [number, number, number] => [
    i.location ? fileRank.get(i.location.file)! : -1,
    i.location?.line ?? 0,
    i.location?.column ?? 0,
  ];
  return [...issues].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

/** Line and column of any field of a loaded campaign file, e.g. ['schedule', 'cron', 0] for the daemon. */
export function locateCampaignPath(campaign: Pick<LoadedCampaign, 'source'>, path: DocPath): SourceLocation {
  return locate(campaign.source, path);
}

function notAMapping(source: YamlSource, what: string): LemError {
  const got =
    source.data === null || source.data === undefined
      ? 'an empty document'
      : Array.isArray(source.data)
        ? 'a list'
        : 'a single value';
  return invalid(source.file, [
    { location: { file: source.file, line: 1, column: 1 }, message: `expected a mapping (${what}), got ${got}` },
  ]);
}

/**
 * The document without its top-level `x-` keys: like compose files, config files may keep YAML anchors there
 * (`x-defaults: &defaults ...`) for use elsewhere in the file; lem ignores them.
 */
function withoutExtensions(data: Mapping): Mapping {
  const keys = Object.keys(data);
  if (!keys.some((k) => k.startsWith('x-'))) return data;
  return Object.fromEntries(keys.filter((k) => !k.startsWith('x-')).map((k) => [k, data[k]]));
}

/** existsSync with memory: a grid refers to the same prompt file thousands of times. */
function cachedExists(): (path: string) => boolean {
  const known = new Map<string, boolean>();
  return (path) => {
    let v = known.get(path);
    if (v === undefined) known.set(path, (v = existsSync(path)));
    return v;
  };
}

function experimentFromSource(
  source: YamlSource,
  options: { forceColdStart?: boolean; fileExists: (p: string) => boolean },
): Result<LoadedExperiment> {
  if (!isMapping(source.data)) return err(notAMapping(source, 'an experiment config'));
  if (looksLikeCampaign(source.data)) {
    return err(
      invalid(source.file, [
        {
          location: { file: source.file, line: 1, column: 1 },
          message: 'this is a campaign file, not an experiment config',
        },
      ]),
    );
  }
  const validated = validateExperiment(withoutExtensions(source.data));
  if (!validated.ok) return err(invalid(source.file, toIssues(source, validated.error)));
  const done = finishExperiment(validated.value, {
    baseDir: dirname(resolve(source.file)),
    fileExists: options.fileExists,
    ...(options.forceColdStart !== undefined ? { forceColdStart: options.forceColdStart } : {}),
  });
  if (!done.ok) return err(invalid(source.file, toIssues(source, done.error)));
  const batch = batchSizeWarning(done.value);
  const warnings =
    batch === undefined
      ? []
      : [{ location: locate(source, ['batching', 'batch_size']), path: 'batching.batch_size', message: batch }];
  return ok({ file: source.file, source, config: done.value, config_hash: configHash(done.value), warnings });
}

/** Read and validate one experiment config file; relative prompt files resolve against its directory. */
export function loadExperimentFile(
  file: string,
  options: { forceColdStart?: boolean; limits?: ConfigLimits } = {},
): Result<LoadedExperiment> {
  const source = readYamlFile(file, options.limits);
  if (!source.ok) return source;
  return experimentFromSource(source.value, { ...options, fileExists: cachedExists() });
}

/** Experiment fields written at a campaign's top level: say where they belong instead of "unknown field". */
function campaignProblems(problems: Problem[]): Problem[] {
  const experimentKeys = new Set(knownKeysAt(ExperimentConfig, []));
  return problems.map((p) =>
    p.unknownKey && p.path.length === 1 && experimentKeys.has(String(p.path[0]))
      ? {
          ...p,
          message: `"${String(p.path[0])}" is an experiment field: in a campaign it goes under base_config: (or in the files listed under configs:)`,
        }
      : p,
  );
}

/**
 * Read, validate and expand a campaign file. Every problem found is reported at once, each at its file, line
 * and column: the campaign's own settings, each listed experiment file (mode 1), or the base_config/vary entry
 * it comes from (mode 2).
 */
export function loadCampaign(file: string, limits: ConfigLimits = DEFAULT_CONFIG_LIMITS): Result<LoadedCampaign> {
  const read = readYamlFile(file, limits);
  if (!read.ok) return read;
  const source = read.value;
  return campaignFromSource(source, limits);
}

/** Why a file listed under configs: could not be read, said at its entry in the campaign. */
function unreadableEntry(source: YamlSource, i: number, shown: string, error: LemError): Issue[] {
  const at = { location: locate(source, ['configs', i]), path: `configs[${i}]` };
  if (error.code === ErrorCode.FILE_NOT_FOUND) return [{ ...at, message: `experiment file not found: ${shown}` }];
  const issues = error.issues ?? [];
  // Problems of the file as a whole (not a regular file, too large) belong to the entry that names it.
  if (issues.length === 1 && issues[0]!.location?.line === undefined)
    return [{ ...at, message: `experiment file ${shown} ${issues[0]!.message}` }];
  return issues.length > 0 ? [...issues] : [{ ...at, message: error.message }];
}

function campaignFromSource(source: YamlSource, limits: ConfigLimits): Result<LoadedCampaign> {
  const { file } = source;
  if (!isMapping(source.data))
    return err(notAMapping(source, 'a campaign: campaign_name, then configs: or base_config: + vary:'));
  const data = withoutExtensions(source.data);
  const parsed = CampaignFile.safeParse(data, { reportInput: true });
  const issues: Issue[] = parsed.success
    ? []
    : toIssues(source, campaignProblems(problemsFromZod(parsed.error.issues, CampaignFile)));
  if (parsed.success && parsed.data.schedule) issues.push(...toIssues(source, scheduleProblems(parsed.data.schedule)));
  // Counted before anything is expanded or read: a grid of 10⁸ or cycles: 1e9 must not fill memory first.
  const requested = requestedExperiments(data);
  const tooMany = requested && planSizeProblem(data, requested.count, limits.maxRuns, requested.path);
  if (tooMany) return err(invalid(file, [...issues, ...toIssues(source, [tooMany])]));
  const dir = dirname(resolve(file));
  const fileExists = cachedExists();
  const forceColdStart = typeof data['force_cold_start'] === 'boolean' ? data['force_cold_start'] : undefined;
  const extra = forceColdStart !== undefined ? { forceColdStart } : {};

  // The experiments are checked even when the settings have problems, so one run reports everything.
  const experiments: ExpandedExperiment[] = [];
  const batchWarnings: Issue[] = [];
  const configs = data['configs'];
  const base = data['base_config'];
  const vary = data['vary'];
  let mode: CampaignMode = 'grid';
  if (Array.isArray(configs) && base === undefined && vary === undefined) {
    mode = 'configs';
    configs.forEach((entry, i) => {
      if (typeof entry !== 'string' || entry === '') return; // reported by the schema
      const shown = isAbsolute(entry) ? entry : join(dirname(file), entry);
      const read = readYamlFile(shown, limits);
      if (!read.ok) return void issues.push(...unreadableEntry(source, i, shown, read.error));
      const loaded = experimentFromSource(read.value, { ...extra, fileExists });
      if (!loaded.ok) return void issues.push(...(loaded.error.issues ?? []));
      const { config, config_hash } = loaded.value;
      batchWarnings.push(...loaded.value.warnings);
      experiments.push({ backend: config.backend, config, config_hash, varied: {}, source: resolve(shown) });
    });
  } else if (isMapping(base) && isMapping(vary) && configs === undefined) {
    const grid = expandGrid(base, vary, { baseDir: dir, fileExists, ...extra });
    if (!grid.ok) issues.push(...toIssues(source, grid.error));
    else experiments.push(...grid.value);
  }

  if (!parsed.success || issues.length > 0) return err(invalid(file, issues));
  const { configs: _c, base_config: _b, vary: _v, ...settings } = parsed.data;
  const warnings: Issue[] = source.doc.warnings.map((w) => {
    const pos = source.lineCounter.linePos(w.pos[0]);
    return { location: { file, line: pos.line, column: pos.col }, message: w.message.split('\n')[0] ?? w.message };
  });
  warnings.push(...duplicateWarnings(source, mode, experiments));
  warnings.push(
    ...(mode === 'configs' ? batchWarnings : campaignBatchWarnings(source, experiments, batchSizePath(data))),
  );
  return ok({ file, path: resolve(file), name: settings.campaign_name, mode, settings, experiments, warnings, source });
}

/** Where a grid's batch size is written: its vary entry when varied, else base_config. */
function batchSizePath(data: Mapping): DocPath {
  const vary = data['vary'];
  if (isMapping(vary)) {
    if (Object.hasOwn(vary, 'batching.batch_size')) return ['vary', 'batching.batch_size'];
    const batching = vary['batching'];
    if (isMapping(batching) && Object.hasOwn(batching, 'batch_size')) return ['vary', 'batching', 'batch_size'];
  }
  return ['base_config', 'batching', 'batch_size'];
}

/** Load an experiment or a campaign file, telling which by its content (campaign-only keys). */
export function loadConfigFile(file: string, limits: ConfigLimits = DEFAULT_CONFIG_LIMITS): Result<LoadedConfigFile> {
  const read = readYamlFile(file, limits);
  if (!read.ok) return read;
  if (looksLikeCampaign(read.value.data)) {
    const campaign = campaignFromSource(read.value, limits);
    return campaign.ok ? ok({ kind: 'campaign', campaign: campaign.value }) : campaign;
  }
  const experiment = experimentFromSource(read.value, { fileExists: cachedExists() });
  return experiment.ok ? ok({ kind: 'experiment', experiment: experiment.value }) : experiment;
}
