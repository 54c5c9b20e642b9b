import { z } from 'zod';

/**
 * The `domains` block of a result: energy over the measured window per domain (GPU from the harness's NVML
 * counter, CPU package and DRAM from RAPL, the whole node from a PDU or a wall meter, ...), each figure with its
 * source, method and coverage, the cross-checks between meters that see the same thing, and the GPU → CPU → DRAM →
 * node layers. lem writes it on the host after the harness wrote the result, only for experiments whose config
 * names `measurement.sources`; results without it (every result written before it existed) simply lack it.
 */
const num = z.number();
const nnum = z.number().nullable();

export const DomainFigure = z.strictObject({
  domain: z.string(),
  source: z.string(),
  /** null when the samples cannot support a figure; `invalid` says why. Never 0 for "unknown". */
  joules: nnum,
  method: z.enum(['counter', 'integral']).nullable(),
  cadence_s: nnum,
  /** Share of the window with samples (below 75 % the figure is invalid). */
  coverage: num,
  samples: z.int().nonnegative(),
  invalid: z.string().nullable(),
  /** Seconds added to the source's timestamps to place them on lem's clock. */
  clock_offset_s: num,
});

export const DomainCrossCheck = z.strictObject({
  domain: z.string(),
  reference: z.string(),
  other: z.string(),
  reference_j: nnum,
  other_j: nnum,
  disagreement_pct: nnum,
  flagged: z.boolean(),
});

/** One layer of the breakdown: its energy, the domains summed into it, or why it is missing. */
export const Layer = z.strictObject({
  joules: nnum,
  domains: z.array(z.string()),
  /** Why joules is null (not measured, or a domain's figure is invalid); null when there is a figure. */
  missing: z.string().nullable(),
  /** What the figure includes that a reader might not expect (the remainder's unmeasured components). */
  note: z.string().nullable(),
});
export type Layer = z.infer<typeof Layer>;

export const LAYER_NAMES = ['gpu', 'cpu', 'dram', 'node', 'rest_of_node'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

export const Layers = z.strictObject({ gpu: Layer, cpu: Layer, dram: Layer, node: Layer, rest_of_node: Layer });
export type Layers = z.infer<typeof Layers>;

/** The whole node must draw at least what its measured components draw (a PDU also sees PSU losses, fans, ...). */
export const NodeCheck = z.strictObject({
  node_j: nnum,
  components_j: nnum,
  /** (node − components) / components × 100; negative means the node meter saw less than its parts. */
  margin_pct: nnum,
  /** false when the node read less than its components by more than the threshold; null when not applicable. */
  passed: z.boolean().nullable(),
  detail: z.string(),
});
export type NodeCheck = z.infer<typeof NodeCheck>;

/** A serve result's steady state (every slot busy), cut out of the same meters as the whole window. */
export const SteadyDomains = z.strictObject({
  window: z.strictObject({ start_unix_s: num, end_unix_s: num }),
  energies: z.array(DomainFigure),
  cross_checks: z.array(DomainCrossCheck),
  layers: Layers,
  node_check: NodeCheck,
});
export type SteadyDomains = z.infer<typeof SteadyDomains>;

export const DomainsBlock = z.strictObject({
  /** The measured window on lem's clock (seconds since the epoch); null when the result did not carry it. */
  window: z.strictObject({ start_unix_s: num, end_unix_s: num }).nullable(),
  /** The offset between the harness's clock and lem's, and on what grounds it is taken to be that. */
  clock: z.strictObject({ offset_s: num, basis: z.string() }),
  threshold_pct: num,
  energies: z.array(DomainFigure),
  cross_checks: z.array(DomainCrossCheck),
  layers: Layers,
  node_check: NodeCheck,
  notes: z.array(z.string()),
  /** The host meters could not give figures for this experiment (failed to start or stop): why. */
  error: z.string().nullable(),
  // Added for serve results after this block first shipped: absent in offline results and older ones.
  /** Serve results: the steady state's figures; null when the load never reached a steady state. */
  steady: SteadyDomains.nullable().optional(),
});
export type DomainsBlock = z.infer<typeof DomainsBlock>;
