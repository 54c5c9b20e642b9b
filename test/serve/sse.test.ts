import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../../src/serve/sse.js';
import { parsePayload } from '../../src/serve/openai.js';

function parseChunks(chunks: readonly string[]): SseEvent[] {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c));
}

/** Split text at the given cut points (sorted, deduplicated). */
function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(text.slice(prev, p));
    prev = p;
  }
  out.push(text.slice(prev));
  return out;
}

describe('SseParser', () => {
  it('parses events, comments, multi-line data, event names and ids', () => {
    const text = ': keep-alive\n\ndata: a\ndata: b\n\nevent: x\nid: 7\ndata:{"k":1}\n\ndata: [DONE]\n\n';
    expect(parseChunks([text])).toEqual([
      { event: 'message', data: 'a\nb', id: null },
      { event: 'x', data: '{"k":1}', id: '7' },
      { event: 'message', data: '[DONE]', id: '7' },
    ]);
  });

  it('accepts CRLF, CR and LF line endings alike', () => {
    const lf = 'data: one\n\ndata: two\ndata: 2b\n\n';
    const expected = parseChunks([lf]);
    expect(parseChunks([lf.replace(/\n/g, '\r\n')])).toEqual(expected);
    expect(parseChunks([lf.replace(/\n/g, '\r')])).toEqual(expected);
  });

  it('a CRLF split across two chunks is one line ending, not two', () => {
    expect(parseChunks(['data: x\r', '\ndata: y\r\n\r\n'])).toEqual([{ event: 'message', data: 'x\ny', id: null }]);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 12 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
      fc.constant(': comment'),
      fc.constant('event: e'),
      fc.constant(''),
      fc.constant('data'),
    );
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const stream = fc
      .array(fc.tuple(line, eol), { maxLength: 30 })
      .map((ls) => ls.map(([l, e]) => l + e).join('') + '\n\n');
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
        expect(parseChunks(splitAt(text, cuts))).toEqual(parseChunks([text]));
      }),
      { numRuns: 500 },
    );
  });

  it('reports an event cut off by the end of the stream', () => {
    const p = new SseParser();
    expect(p.push('data: complete\n\ndata: cut')).toHaveLength(1);
    expect(p.end().incomplete).toBe(true);
    const q = new SseParser();
    q.push('data: x\n\n');
    expect(q.end().incomplete).toBe(false);
  });
});

describe('parsePayload', () => {
  it('reads chat deltas, completion text, usage, [DONE], server errors and malformed data', () => {
    expect(parsePayload('[DONE]')).toEqual({ kind: 'done' });
    expect(parsePayload('{"choices":[{"delta":{"content":"hi"}}]}')).toEqual({
      kind: 'chunk',
      text: 'hi',
      usage: null,
    });
    expect(parsePayload('{"choices":[{"delta":{"role":"assistant"}}]}')).toEqual({
      kind: 'chunk',
      text: null,
      usage: null,
    });
    expect(parsePayload('{"choices":[{"text":"x"}]}')).toMatchObject({ text: 'x' });
    expect(parsePayload('{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9}}')).toEqual({
      kind: 'chunk',
      text: null,
      usage: { prompt_tokens: 3, completion_tokens: 9 },
    });
    expect(parsePayload('{"error":{"message":"overloaded"}}')).toEqual({ kind: 'error', message: 'overloaded' });
    expect(parsePayload('{"choices": [')).toMatchObject({ kind: 'malformed' });
    expect(parsePayload('42')).toMatchObject({ kind: 'malformed' });
  });
});
