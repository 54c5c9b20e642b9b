import { ok, type Result } from '../../core/result.js';
import type { MeterSample, SourceSamples } from '../samples.js';
import { fail, finish, lines, truncated, type ImportOptions } from './common.js';

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)(?:\s+(-?\d+))?\s*$/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Scrapes of a DCGM exporter in the Prometheus text exposition format, concatenated, each sample with its
 * timestamp (milliseconds, as `curl` of a /federate endpoint or `promtool` export writes):
 * DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION (mJ counter since driver load) and DCGM_FI_DEV_POWER_USAGE (W).
 */
export function importPrometheus(text: string, o: ImportOptions): Result<SourceSamples> {
  const samples: MeterSample[] = [];
  const notes: string[] = [];
  let unstamped = 0;
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const l = all[i]!;
    if (l.trim() === '' || l.startsWith('#')) continue;
    if (truncated(l)) {
      notes.push(`${o.file}:${i + 1}: last line incomplete (scrape cut off); ignored`);
      continue;
    }
    const m = SAMPLE.exec(l);
    if (!m) {
      notes.push(`${o.file}:${i + 1}: not a Prometheus sample line; ignored`);
      continue;
    }
    const [, name, labelText, valueText, stamp] = m;
    if (name !== 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION' && name !== 'DCGM_FI_DEV_POWER_USAGE') continue;
    if (stamp === undefined) {
      unstamped++;
      continue;
    }
    const labels = new Map([...(labelText ?? '').matchAll(LABEL)].map((x) => [x[1]!, x[2]!]));
    const value = Number(valueText);
    if (!Number.isFinite(value)) {
      notes.push(`${o.file}:${i + 1}: value ${valueText} is not a number; ignored`);
      continue;
    }
    const domain = `gpu:${labels.get('gpu') ?? labels.get('minor_number') ?? '0'}`;
    const t = Number(stamp) / 1000;
    samples.push(
      name === 'DCGM_FI_DEV_POWER_USAGE' ? { t, domain, watts: value } : { t, domain, joules: value / 1000 },
    );
  }
  if (samples.length === 0) {
    return fail(
      o,
      1,
      unstamped > 0
        ? `${unstamped} DCGM sample(s) but none with a timestamp: export the scrapes with timestamps`
        : 'no DCGM power or energy samples in the file',
    );
  }
  if (unstamped > 0) notes.push(`${o.file}: ${unstamped} sample(s) without a timestamp ignored`);
  return ok(finish('dcgm-prometheus', o, samples, notes));
}
