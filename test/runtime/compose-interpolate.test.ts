import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/runtime/compose/dotenv.js';
import { interpolate } from '../../src/runtime/compose/interpolate.js';

const vars = { SET: 'value', EMPTY: '', NUM: '3' };
const value = (text: string) => {
  const r = interpolate(text, vars);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const error = (text: string) => {
  const r = interpolate(text, vars);
  return r.ok ? `no error, got "${r.value}"` : r.error;
};

describe('interpolate (compose semantics)', () => {
  it('substitutes $VAR and ${VAR}', () => {
    expect(value('a ${SET} b')).toBe('a value b');
    expect(value('$SET/x')).toBe('value/x');
    expect(value('${EMPTY}')).toBe('');
  });

  it('${VAR:-d} defaults when unset or empty, ${VAR-d} only when unset', () => {
    expect(value('${UNSET:-d}')).toBe('d');
    expect(value('${EMPTY:-d}')).toBe('d');
    expect(value('${SET:-d}')).toBe('value');
    expect(value('${UNSET-d}')).toBe('d');
    expect(value('${EMPTY-d}')).toBe('');
  });

  it('${VAR:+r} and ${VAR+r} replace when set', () => {
    expect(value('${SET:+r}')).toBe('r');
    expect(value('${EMPTY:+r}')).toBe('');
    expect(value('${EMPTY+r}')).toBe('r');
    expect(value('${UNSET+r}')).toBe('');
  });

  it('${VAR:?err} and ${VAR?err} fail with the message', () => {
    expect(error('${UNSET:?set it please}')).toBe('required variable UNSET: set it please');
    expect(error('${EMPTY:?}')).toBe('required variable EMPTY: EMPTY is empty');
    expect(value('${EMPTY?x}')).toBe('');
    expect(error('${UNSET?}')).toBe('required variable UNSET: UNSET is not set');
  });

  it('$$ is a literal dollar, and defaults may nest', () => {
    expect(value('cost $$5 ${SET}')).toBe('cost $5 value');
    expect(value('$${SET}')).toBe('${SET}');
    expect(value('${UNSET:-${SET}/x}')).toBe('value/x');
    expect(value('${UNSET:-${ALSO_UNSET:-deep}}')).toBe('deep');
  });

  it('refuses an unset variable without a default, and malformed templates', () => {
    expect(error('${UNSET}')).toMatch(/\$\{UNSET\} is not set in the environment: .*\$\{UNSET:-value\}/);
    expect(error('$UNSET')).toMatch(/not set/);
    expect(error('${SET')).toMatch(/without its closing/);
    expect(error('${1X}')).toMatch(/does not start with a variable name/);
    expect(error('${SET:x}')).toMatch(/not a valid interpolation/);
    expect(error('50$')).toMatch(/write "\$\$"/);
  });

  it('leaves text without $ unchanged and maps $$ to $ for any text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const plain = s.replaceAll('$', '');
        expect(value(plain)).toBe(plain);
        expect(value(s.replaceAll('$', () => '$$'))).toBe(s);
      }),
    );
  });
});

describe('parseDotenv', () => {
  it('reads KEY=VALUE lines: comments, export, quotes, escapes, interpolation', () => {
    const text = [
      '# a comment',
      '',
      'A=1',
      'export B = two words # trailing comment',
      "C='raw ${SET} #not a comment'",
      'D="line\\nnext ${SET}"',
      'E=${A}-${SET}',
      'F=',
    ].join('\n');
    const r = parseDotenv(text, vars);
    expect(r).toEqual({
      ok: true,
      vars: { A: '1', B: 'two words', C: 'raw ${SET} #not a comment', D: 'line\nnext value', E: '1-value', F: '' },
    });
  });

  it('reports every bad line with its number', () => {
    const r = parseDotenv('A=1\nnot a pair\nB="open\nC=${NOPE}\n', vars);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.map((i) => i.line)).toEqual([2, 3, 4]);
      expect(r.issues[0]!.message).toMatch(/expected KEY=VALUE/);
      expect(r.issues[1]!.message).toMatch(/double quote is not closed/);
      expect(r.issues[2]!.message).toMatch(/C: \$\{NOPE\} is not set/);
    }
  });
});
