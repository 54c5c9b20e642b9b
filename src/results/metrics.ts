import type { ResultDocument } from '../contract/result.js';

/**
 * The headline metrics summarised across cycles and compared between campaigns. Each reads one number
 * from a result or null where the run could not provide it (energy of a simulated run, a missing distribution);
 * a null is left out of n, never counted as zero.
 */
export interface HeadlineMetric {
  key: string;
  label: string;
  unit: string;
  /** Direction of "better", for best/worst and for reading ratios. */
  better: 'lower' | 'higher';
  /** Energy metrics are absent for simulated runs and machines without NVML. */
  energy: boolean;
  get: (doc: ResultDocument) => number | null;
}

const finite = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const energyValue = (doc: ResultDocument, x: number | null): number | null => (doc.energy.available ? finite(x) : null);

export const HEADLINE_METRICS: readonly HeadlineMetric[] = [
  { key: 'j_per_output_token', label: 'J/output token', unit: 'J/tok', better: 'lower', energy: true, get: (d) => energyValue(d, d.energy.j_per_output_token) },
  {
    key: 'adjusted_j_per_output_token',
    label: 'Adjusted J/output token',
    unit: 'J/tok',
    better: 'lower',
    energy: true,
    get: (d) => energyValue(d, d.energy.adjusted_j_per_output_token),
  },
  { key: 'output_tokens_per_s', label: 'Output tok/s', unit: 'tok/s', better: 'higher', energy: false, get: (d) => finite(d.throughput.output_tokens_per_s) },
  { key: 'ttft_p50_ms', label: 'TTFT p50', unit: 'ms', better: 'lower', energy: false, get: (d) => finite(d.latency.ttft_ms?.p50) },
  { key: 'ttft_p95_ms', label: 'TTFT p95', unit: 'ms', better: 'lower', energy: false, get: (d) => finite(d.latency.ttft_ms?.p95) },
  { key: 'e2e_p50_ms', label: 'E2E p50', unit: 'ms', better: 'lower', energy: false, get: (d) => finite(d.latency.e2e_ms?.p50) },
  { key: 'e2e_p95_ms', label: 'E2E p95', unit: 'ms', better: 'lower', energy: false, get: (d) => finite(d.latency.e2e_ms?.p95) },
];

