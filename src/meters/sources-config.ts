import { z } from 'zod';

/**
 * `measurement.sources`: meters besides the GPU's NVML counter, each a source of samples on lem's clock
 * (samples.ts). Live meters (RAPL, an SNMP PDU) are polled by lem while the experiment runs; logs written by
 * other tools are imported by timestamp after it, shifted by their declared clock offset.
 */
const IntervalMs = z.int().min(10).max(60_000);

/** A domain name as results write it: a kind, optionally ":" and an instance (pdu:outlet-3, node, gpu:0). */
const Domain = z.string().regex(/^[a-z][a-z0-9_-]*(:[A-Za-z0-9_.-]+)?$/, {
  error: 'expected a domain such as "pdu:outlet-3", "node" or "cpu:package-0"',
});

export const RaplSource = z.strictObject({
  type: z.literal('rapl'),
  /** The powercap sysfs root; a test points it at a directory laid out the same way. */
  root: z.string().min(1).default('/sys/class/powercap'),
  interval_ms: IntervalMs.default(100),
});

export const SnmpSource = z.strictObject({
  type: z.literal('snmp'),
  host: z.string().min(1),
  port: z.int().min(1).max(65_535).default(161),
  /** The outlet's (or inlet's) power OID, numeric, e.g. .1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1 (deciwatts). */
  oid: z.string().regex(/^\.?\d+(\.\d+)+$/, {
    error: 'expected a numeric OID such as ".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1"',
  }),
  /** The NAME of the environment variable holding the v2c community: the secret itself never sits in config. */
  community_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }),
  /** Multiplies the agent's value into watts (0.1 for a PDU that reports deciwatts). */
  scale: z.number().positive().default(1),
  interval_ms: IntervalMs.default(1000),
  timeout_ms: z.int().min(10).max(60_000).default(1000),
  retries: z.int().min(0).max(10).default(1),
  domain: Domain,
});

const logFields = {
  /** The log file (relative paths are read from lem's working directory). */
  path: z.string().min(1),
  /** Seconds added to the log's timestamps to put them on lem's clock (declared: lem cannot measure it). */
  clock_offset_s: z.number().default(0),
};

export const NvidiaSmiLogSource = z.strictObject({ type: z.literal('nvidia-smi-log'), ...logFields });
export const DcgmLogSource = z.strictObject({ type: z.literal('dcgm-log'), ...logFields });
export const PowermetricsLogSource = z.strictObject({ type: z.literal('powermetrics-log'), ...logFields });
export const CsvLogSource = z.strictObject({
  type: z.literal('csv'),
  ...logFields,
  /** Domain of rows without a domain column. */
  domain: Domain.default('node'),
});

export const MeterSource = z.discriminatedUnion('type', [
  RaplSource,
  SnmpSource,
  NvidiaSmiLogSource,
  DcgmLogSource,
  PowermetricsLogSource,
  CsvLogSource,
]);
export type MeterSource = z.output<typeof MeterSource>;

/**
 * The list, absent by default. An empty list resolves to absent too, so configs without extra meters keep
 * the resolved form (and config hash) they had before this field existed.
 */
export const MeterSources = z.preprocess(
  // On the input side (not a transform of the output), so the resolved type still exports as JSON Schema.
  (list) => (Array.isArray(list) && list.length === 0 ? undefined : list),
  z.array(MeterSource).min(1).optional(),
);
