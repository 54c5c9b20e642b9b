import type { RequestRecord } from './record.js';

export const REQUESTS_CSV_HEADER = [
  'index',
  'worker',
  'warmup',
  'send_ms',
  'first_token_ms',
  'finish_ms',
  'ttft_ms',
  'e2el_ms',
  'input_tokens',
  'output_tokens',
  'tokens_from_usage',
  'chunks',
  'status',
  'error_class',
  'error_message',
] as const;

function cell(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Every request of a run, one row each, times in ms since the run's start (result.json says its epoch). */
export function requestsCsv(records: readonly RequestRecord[]): string {
  const rows = [REQUESTS_CSV_HEADER.join(',')];
  for (const r of [...records].sort((a, b) => a.index - b.index)) {
    const ttft = r.firstTokenMs === null ? null : r.firstTokenMs - r.sendMs;
    rows.push(
      [
        r.index,
        r.worker,
        r.warmup,
        r.sendMs,
        r.firstTokenMs,
        r.finishMs,
        ttft,
        r.finishMs - r.sendMs,
        r.inputTokens,
        r.outputTokens,
        r.tokensFromUsage,
        r.chunkMs.length,
        r.status,
        r.errorClass,
        r.errorMessage,
      ]
        .map(cell)
        .join(','),
    );
  }
  return rows.join('\n') + '\n';
}
