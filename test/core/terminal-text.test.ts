import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeForTerminal, escapeLinesForTerminal } from '../../src/core/terminal-text.js';

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('escapeForTerminal', () => {
  it('shows an escape sequence as text instead of running it', () => {
    expect(escapeForTerminal('\u001b]0;pwned\u0007\u001b[2J')).toBe('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(escapeForTerminal('a\u009bb\u202ec\u0000')).toBe('a\\x9bb\\u202ec\\x00');
    expect(escapeForTerminal('vllm bs=8 — Llama-3.1 «ok» 测试')).toBe('vllm bs=8 — Llama-3.1 «ok» 测试');
  });

  it('leaves no control character, changes nothing twice, and keeps every safe character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const once = escapeForTerminal(s);
        expect(once).not.toMatch(UNSAFE);
        expect(escapeForTerminal(once)).toBe(once);
        expect(once.replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, '')).toBe(
          s.replace(new RegExp(UNSAFE, 'g'), '').replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, ''),
        );
      }),
    );
  });

  it('keeps the line breaks of multi-line output', () => {
    expect(escapeLinesForTerminal('a\u001b\nb\r')).toBe('a\\x1b\nb\\x0d');
  });
});
