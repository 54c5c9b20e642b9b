import { Command, Option } from 'clipanion';
import { ErrorCode, lemError, type Issue, type LemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { LemCommand } from './base-command.js';
import { configLimits } from './defaults.js';

/** One file's verdict, as printed by --json. */
interface FileReport {
  readonly file: string;
  readonly valid: boolean;
  readonly kind: 'experiment' | 'campaign' | null;
  readonly backend?: string;
  readonly config_hash?: string;
  readonly experiments?: number;
  readonly runs?: number;
  readonly issues: readonly Issue[];
  readonly warnings: readonly Issue[];
}

export class ConfigValidateCommand extends LemCommand {
  static override paths = [['config', 'validate']];
  static override usage = Command.Usage({
    category: 'Configuration',
    description: 'Check experiment and campaign files without running anything',
    details: `
      Each file is recognised by its content: a file with campaign keys (campaign_name, configs, base_config,
      vary, cycles, structure, schedule) is a campaign, anything else an experiment config. A campaign is
      checked in full: its settings, every experiment file it lists (mode 1) or every experiment its grid
      generates (mode 2), and the prompt files they refer to.

      Exits 0 when every file is valid. Otherwise exits 2 and prints every problem found, one per line, as
      \`file:line:column: field.path: what was expected\`. Warnings (e.g. two experiments with the same
      resolved config) are printed but do not fail validation.
    `,
    examples: [
      ['Validate one experiment config', '$0 config validate configs/vllm.yaml'],
      ['Validate every example', '$0 config validate configs/*.yaml campaigns/*.yaml'],
      ['Machine-readable verdicts', '$0 config validate campaigns/demo.yaml --json'],
    ],
  });

  files = Option.Rest({ required: 1, name: 'files' });

  /** Set once --json output is written, so the error is not printed a second time by the base class. */
  private printedJson = false;

  async run(): Promise<Result<void>> {
    // Loaded on use: `lem --help` and other commands should not pay for zod and yaml at start-up.
    const { loadConfigFile } = await import('../config/load.js');
    const limits = configLimits();
    if (!limits.ok) return limits;
    const reports: FileReport[] = [];
    for (const file of this.files) {
      const loaded = loadConfigFile(file, limits.value);
      if (!loaded.ok) {
        const issues = loaded.error.issues?.length
          ? loaded.error.issues
          : [{ location: { file }, message: loaded.error.message }];
        reports.push({ file, valid: false, kind: null, issues, warnings: [] });
      } else if (loaded.value.kind === 'experiment') {
        const { config, config_hash } = loaded.value.experiment;
        reports.push({
          file,
          valid: true,
          kind: 'experiment',
          backend: config.backend,
          config_hash,
          issues: [],
          warnings: [],
        });
      } else {
        const c = loaded.value.campaign;
        const n = c.experiments.length;
        reports.push({
          file,
          valid: true,
          kind: 'campaign',
          experiments: n,
          runs: n * c.settings.cycles,
          issues: [],
          warnings: c.warnings,
        });
      }
    }

    const bad = reports.filter((r) => !r.valid);
    if (this.json) {
      this.printJson({ valid: bad.length === 0, files: reports });
      this.printedJson = true;
    } else {
      for (const r of reports) {
        for (const w of r.warnings) this.warn(w);
        if (!r.valid) continue;
        const what =
          r.kind === 'experiment'
            ? `experiment, backend ${r.backend}, config hash ${r.config_hash}`
            : `campaign, ${r.experiments} experiments, ${r.runs} runs`;
        this.print(`ok   ${r.file} (${what})`);
      }
    }
    if (bad.length === 0) return ok(undefined);
    const issues = bad.flatMap((r) => r.issues);
    const files = bad.length === 1 ? bad[0]!.file : `${bad.length} of ${reports.length} files`;
    return err(
      lemError(
        ErrorCode.CONFIG_INVALID,
        `${files} invalid: ${issues.length} problem${issues.length === 1 ? '' : 's'}`,
        { issues },
      ),
    );
  }

  protected override report(error: LemError): number {
    return this.printedJson ? error.exitCode : super.report(error);
  }
}
