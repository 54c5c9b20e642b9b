import { Command, Option } from 'clipanion';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { terminalSafe } from '../core/terminal-text.js';
import { ResultsCommand } from './results-command.js';
import { invalidLines } from '../results/validity.js';
import { applyValidity, collectOperand } from './results-shared.js';

export class ResultsCompareCommand extends ResultsCommand {
  static override paths = [['results', 'compare']];
  static override usage = Command.Usage({
    category: 'Results',
    description: 'Compare two campaigns (or result folders) configuration by configuration',
    details: `
      Each operand is a folder (searched recursively for result.json) or a campaign id under --results.
      Configurations are matched by config hash only (a changed default changes the hash; lem never guesses which
      configurations are "the same"). For each headline metric: the ratio of means B / A with a bootstrap 95 % CI
      (the two sides resampled independently) and Welch's t-test p-value. A difference is significant when the CI
      of the ratio excludes 1.
    `,
    examples: [
      ['Two campaigns under ./results', '$0 results compare sweep-before sweep-after'],
      ['Two folders, machine-readable', '$0 results compare /data/a/results/c1 /data/b/results/c1 --json'],
    ],
  });

  a = Option.String({ name: 'a' });
  b = Option.String({ name: 'b' });

  async run(): Promise<Result<unknown>> {
    const input = await this.inputs();
    if (!input.ok) return input;
    const { root, summary, collect } = input.value;
    // Loaded when the command runs, so other commands do not pay for the statistics modules at start-up.
    const [{ compareResults }, { fmt, markdownTable }] = await Promise.all([
      import('../results/compare.js'),
      import('../results/format.js'),
    ]);
    const ca = await collectOperand(this.a, root, collect);
    if (!ca.ok) return ca;
    const cb = await collectOperand(this.b, root, collect);
    if (!cb.ok) return cb;
    const va = await applyValidity(ca.value, this.includeInvalid);
    if (!va.ok) return va;
    const vb = await applyValidity(cb.value, this.includeInvalid);
    if (!vb.ok) return vb;
    const sa = va.value.selected;
    const sb = vb.value.selected;
    const invalid = [...va.value.validity.invalid, ...vb.value.validity.invalid];
    const cmp = compareResults(sa.collection.results, sb.collection.results, summary);
    const skipped = [...sa.collection.skipped, ...sb.collection.skipped];

    if (cmp.matched.length === 0) return err(noMatch(cmp.only_a.length, cmp.only_b.length));
    if (this.json) {
      this.printJson({ a: this.a, b: this.b, ...cmp, skipped, invalid });
      return ok(undefined);
    }
    const rows = cmp.matched.flatMap((c) =>
      c.metrics.map((m) => [
        c.label,
        `${m.label} (${m.unit})`,
        fmt(m.a.mean),
        fmt(m.b.mean),
        m.ratio === null
          ? 'n/a'
          : m.ci_low === null
            ? fmt(m.ratio)
            : `${fmt(m.ratio)} [${fmt(m.ci_low)}, ${fmt(m.ci_high)}]`,
        m.welch_p === null ? 'n/a' : m.welch_p < 0.001 ? '<0.001' : m.welch_p.toFixed(3),
        m.ci_reliable === false ? `${m.verdict} †` : m.verdict,
      ]),
    );
    const lines = [
      `A: ${this.a} (${sa.collection.results.length} experiments)   B: ${this.b} (${sb.collection.results.length} experiments)`,
      `${cmp.matched.length} configurations in both (matched by config hash)`,
      '',
      markdownTable(['Configuration', 'Metric', 'A mean', 'B mean', 'B/A [95 % CI]', 'Welch p', 'Verdict'], rows, [
        'l',
        'l',
        'r',
        'r',
        'r',
        'r',
        'l',
      ]),
      'B/A: ratio of means over cycles. "B better"/"B worse" only when its bootstrap CI excludes 1, Welch p < 0.05' +
        ' and (J/token) the uncertainty intervals do not overlap; otherwise "not distinguishable" (--json says why).' +
        ' † fewer than 3 cycles on a side: the intervals are [min, max]-like, unreliable.' +
        ' n/a: not measured, or fewer than 2 cycles on a side.',
    ];
    if (cmp.only_a.length > 0)
      lines.push(`Only in A (${cmp.only_a.length}): ${cmp.only_a.map((c) => c.label).join(', ')}`);
    if (cmp.only_b.length > 0)
      lines.push(`Only in B (${cmp.only_b.length}): ${cmp.only_b.map((c) => c.label).join(', ')}`);
    if (invalid.length > 0) {
      const what = this.includeInvalid
        ? ' (kept: --include-invalid)'
        : ' and were left out (--include-invalid keeps them)';
      lines.push(`${invalid.length} results failed a validity check${what}:`, ...invalidLines(invalid));
    }
    if (skipped.length > 0)
      lines.push(`Skipped ${skipped.length} invalid or missing result files (run lem results aggregate for the list)`);
    this.print(terminalSafe(lines.join('\n')));
    return ok(undefined);
  }
}

function noMatch(onlyA: number, onlyB: number) {
  return lemError(
    ErrorCode.RESULTS_EMPTY,
    `no configuration in common (A has ${onlyA}, B has ${onlyB}; matched by config hash)`,
    {
      hint: 'compare runs of the same campaign file; any change to a resolved config (defaults included) changes its hash',
    },
  );
}
