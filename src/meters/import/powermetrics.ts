import { ok, type Result } from '../../core/result.js';
import type { MeterSample, SourceSamples } from '../samples.js';
import { fail, finish, lines, type ImportOptions } from './common.js';

const HEADER = /^\*\*\* Sampled system activity \((.+?)\) \(([\d.]+)ms elapsed\) \*\*\*/;
const POWER = /^(CPU|GPU|ANE) Power:\s*([\d.]+)\s*mW/;
const DOMAINS: Readonly<Record<string, string>> = { CPU: 'cpu:soc', GPU: 'gpu:soc', ANE: 'ane' };

/**
 * Apple `powermetrics --samplers cpu_power,gpu_power,ane_power -i <ms>` text output. Each block reports the
 * average power over its interval; the sample is placed at the interval's middle.
 */
export function importPowermetrics(text: string, o: ImportOptions): Result<SourceSamples> {
  const samples: MeterSample[] = [];
  const notes: string[] = [];
  let block: { t: number; line: number } | undefined;
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const l = all[i]!.replace(/^\u0000/, '');
    const h = HEADER.exec(l);
    if (h) {
      const end = Date.parse(h[1]!);
      if (!Number.isFinite(end)) {
        notes.push(`${o.file}:${i + 1}: unreadable sample time "${h[1]}"; block ignored`);
        block = undefined;
        continue;
      }
      block = { t: end / 1000 - Number(h[2]) / 2000, line: i + 1 };
      continue;
    }
    const p = POWER.exec(l.trim());
    if (p && block) samples.push({ t: block.t, domain: DOMAINS[p[1]!]!, watts: Number(p[2]) / 1000 });
  }
  if (samples.length === 0)
    return fail(
      o,
      1,
      'no "*** Sampled system activity" blocks with CPU/GPU/ANE power: run powermetrics with --samplers cpu_power,gpu_power,ane_power',
    );
  return ok(finish('powermetrics', o, samples, notes));
}
