import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeControl, jsonSafe, terminalSafe } from '../../src/core/terminal-text.js';

const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('escapeControl', () => {
  it('shows a terminal-title and screen-clearing sequence as the characters a user would type', () => {
    expect(escapeControl('\u001b]0;pwned\u0007\u001b[2J')).toBe('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(escapeControl('a\nb\tc\r')).toBe('a\\nb\\tc\\r');
    expect(escapeControl('\u009b31m \u202e')).toBe('\\x9b31m \\u202e');
  });

  it('leaves text without control characters as it is (accents, CJK, emoji)', () => {
    expect(escapeControl('café 東京 🚀 "q" \\')).toBe('café 東京 🚀 "q" \\');
  });

  it('never lets a control character through, for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => !DANGEROUS.test(escapeControl(s))));
  });
});

describe('terminalSafe', () => {
  it('keeps the lines and tabs of composed output and escapes everything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = terminalSafe(s);
        return (
          !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(out) && out.split('\n').length === s.split('\n').length
        );
      }),
    );
  });
});

describe('jsonSafe', () => {
  it('is still JSON for the same value, with no raw C1 control left', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const out = jsonSafe(JSON.stringify(v));
        return !/[\u007f-\u009f]/.test(out) && JSON.stringify(JSON.parse(out)) === JSON.stringify(v);
      }),
    );
  });
});

describe('escapeControl on hostile result text', () => {
  it('shows escape sequences and bidirectional overrides as text instead of running them', () => {
    expect(escapeControl('\u001b]0;pwned\u0007\u001b[2J')).toBe('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(escapeControl('a\u009bb\u202ec\u0000\u061c')).toBe('a\\x9bb\\u202ec\\x00\\u061c');
    expect(escapeControl('vllm bs=8 — Llama-3.1 «ok» 测试')).toBe('vllm bs=8 — Llama-3.1 «ok» 测试');
  });

  it('keeps the line breaks of multi-line output, escaping the rest', () => {
    expect(terminalSafe('a\u001b\nb\u200f')).toBe('a\\x1b\nb\\u200f');
  });
});
