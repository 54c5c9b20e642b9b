import { Command, Option } from 'clipanion';
import { formatError, formatIssue, fromUnknown, type Issue, type LemError } from '../core/errors.js';
import { jsonSafe, terminalSafe } from '../core/terminal-text.js';
import type { Result } from '../core/result.js';

/**
 * Shared base for every lem command (yarn berry style): commands return Results, and only here are errors
 * turned into one clear message and an exit code (2: usage/config, 1: the run failed). With --json, errors
 * are printed as JSON on stdout too, so scripts never have to parse prose.
 */
export abstract class LemCommand extends Command {
  json = Option.Boolean('--json', false, { description: 'Print machine-readable JSON instead of text' });

  abstract run(): Promise<Result<unknown>>;

  async execute(): Promise<number> {
    let result: Result<unknown>;
    try {
      result = await this.run();
    } catch (e) {
      result = { ok: false, error: fromUnknown(e) };
    }
    // A command may choose its own success exit code (e.g. 130 after an orderly interrupt).
    if (result.ok) return typeof result.value === 'number' ? result.value : 0;
    return this.report(result.error);
  }

  protected report(error: LemError): number {
    if (this.json) {
      this.context.stdout.write(
        jsonSafe(
          JSON.stringify({
            error: { code: error.code, message: error.message, issues: error.issues ?? [], hint: error.hint ?? null },
          }),
        ) + '\n',
      );
    } else {
      this.context.stderr.write(terminalSafe(formatError(error)) + '\n');
    }
    return error.exitCode;
  }

  /** Text output; control characters that slipped into it (from user text) are shown escaped. */
  protected print(text: string): void {
    const safe = terminalSafe(text);
    this.context.stdout.write(safe.endsWith('\n') ? safe : safe + '\n');
  }

  protected printJson(value: unknown): void {
    this.context.stdout.write(jsonSafe(JSON.stringify(value, null, 2)) + '\n');
  }

  /** A warning on stderr, as `warning: file:line:column: field: message`. */
  protected warn(warning: Issue | string): void {
    this.context.stderr.write(
      `warning: ${terminalSafe(typeof warning === 'string' ? warning : formatIssue(warning))}\n`,
    );
  }
}
