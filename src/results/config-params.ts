import type { ResultDocument } from '../contract/result.js';

/**
 * Reads the resolved experiment config stored in each result: the descriptors every table shows (model, precision,
 * batch size) and the parameters that vary across a set of results, which is what tells configurations apart.
 */
export type Scalar = string | number | boolean | null;

/** Flattens nested config objects to dotted keys; arrays become JSON text (one cell each). */
export function flattenConfig(config: Record<string, unknown>, prefix = '', out = new Map<string, Scalar>()): Map<string, Scalar> {
  for (const [k, v] of Object.entries(config)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenConfig(v as Record<string, unknown>, key, out);
    else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.set(key, v);
    else if (v !== undefined) out.set(key, JSON.stringify(v));
  }
  return out;
}

export function configValue(config: Record<string, unknown>, dotted: string): unknown {
  let v: unknown = config;
  for (const part of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const asString = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const asNumber = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export interface Descriptors {
  backend: string;
  model: string | null;
  precision: string | null;
  quantization: string | null;
  batch_size: number | null;
  max_output_tokens: number | null;
}

export function descriptors(doc: ResultDocument): Descriptors {
  const c = doc.experiment.config;
  return {
    backend: doc.experiment.backend,
    model: asString(configValue(c, 'model.name')),
    precision: asString(configValue(c, 'model.fp_precision')),
    quantization: asString(configValue(c, 'model.quantization')),
    batch_size: asNumber(configValue(c, 'batching.batch_size')),
    max_output_tokens: asNumber(configValue(c, 'max_output_tokens')),
  };
}

/** Config keys already shown as their own columns; not repeated among the varied parameters. */
const DESCRIPTOR_KEYS = new Set(['backend', 'model.name', 'model.fp_precision', 'model.quantization', 'batching.batch_size', 'max_output_tokens']);
/** Cosmetic keys that differ between configurations without changing what is measured. */
const COSMETIC_KEYS = new Set(['name']);

/**
 * Dotted config keys whose values differ across the given configs, sorted. A key only some configs have (a backend's
 * own section) varies when its values differ among those that have it, or when configs of the same backend differ
 * in having it; its mere absence from another backend's config says nothing.
 */
export function variedKeys(configs: readonly Record<string, unknown>[]): string[] {
  const flats = configs.map((c) => ({ backend: typeof c['backend'] === 'string' ? c['backend'] : '', flat: flattenConfig(c) }));
  const keys = new Set<string>();
  for (const f of flats) for (const k of f.flat.keys()) keys.add(k);
  const varied: string[] = [];
  for (const k of keys) {
    if (DESCRIPTOR_KEYS.has(k) || COSMETIC_KEYS.has(k)) continue;
    const having = flats.filter((f) => f.flat.has(k));
    const values = new Set(having.map((f) => f.flat.get(k)));
    const backendsWith = new Set(having.map((f) => f.backend));
    const presenceDiffers = flats.some((f) => backendsWith.has(f.backend) && !f.flat.has(k));
    if (values.size > 1 || presenceDiffers) varied.push(k);
  }
  return varied.sort();
}

/**
 * Short human labels per config hash, e.g. "vllm bs=8 max_num_seqs=64": backend, then the model when models vary,
 * then whatever else varies. Unique: a collision gets the hash prefix appended.
 */
export function configLabels(byHash: ReadonlyMap<string, ResultDocument>): Map<string, string> {
  const docs = [...byHash.values()];
  const configs = docs.map((d) => d.experiment.config);
  const varied = variedKeys(configs);
  const leafCounts = new Map<string, number>();
  for (const k of varied) leafCounts.set(leaf(k), (leafCounts.get(leaf(k)) ?? 0) + 1);
  const distinct = (get: (d: Descriptors) => unknown): boolean => new Set(docs.map((d) => get(descriptors(d)))).size > 1;
  const showModel = distinct((d) => d.model);
  const showPrecision = distinct((d) => d.precision);
  const showQuant = distinct((d) => d.quantization);
  const showBatch = distinct((d) => d.batch_size);
  const showMaxTokens = distinct((d) => d.max_output_tokens);
  const labels = new Map<string, string>();
  for (const [hash, doc] of byHash) {
    const d = descriptors(doc);
    const parts = [d.backend];
    if (showModel && d.model) parts.push(shortModel(d.model));
    if (showPrecision && d.precision) parts.push(d.precision);
    if (showQuant) parts.push(d.quantization ?? 'no-quant');
    if (showBatch && d.batch_size !== null) parts.push(`bs=${d.batch_size}`);
    if (showMaxTokens && d.max_output_tokens !== null) parts.push(`max_out=${d.max_output_tokens}`);
    const flat = flattenConfig(doc.experiment.config);
    for (const k of varied) {
      // A parameter another backend does not have says nothing about this configuration.
      if (!flat.has(k)) continue;
      const name = (leafCounts.get(leaf(k)) ?? 0) > 1 ? k : leaf(k);
      parts.push(`${name}=${String(flat.get(k))}`);
    }
    labels.set(hash, parts.join(' '));
  }
  // Collisions get the hash prefix; where even that collides (hand-made hashes), the whole hash.
  for (const suffix of [(h: string) => h.slice(0, 6), (h: string) => h]) {
    const seen = new Map<string, number>();
    for (const l of labels.values()) seen.set(l, (seen.get(l) ?? 0) + 1);
    for (const [hash, l] of labels) if ((seen.get(l) ?? 0) > 1) labels.set(hash, `${l.replace(/ #\S+$/, '')} #${suffix(hash)}`);
  }
  return labels;
}

function leaf(dotted: string): string {
  return dotted.slice(dotted.lastIndexOf('.') + 1);
}

/** "meta-llama/Llama-3.1-8B-Instruct" → "Llama-3.1-8B-Instruct". */
export function shortModel(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
