/** Compose's units for durations (`1m30s`, `500ms`) and sizes (`8gb`, `512m`); both throw on a malformed value. */
export function parseDuration(v: string | number | undefined, fallbackS: number): number {
  if (v === undefined) return fallbackS * 1e9;
  if (typeof v === 'number') return v * 1e9;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|us|s|m|h)/g;
  let m: RegExpExecArray | null;
  let matched = '';
  while ((m = re.exec(v)) !== null) {
    const n = Number(m[1]);
    const unit = m[2];
    total += n * (unit === 'h' ? 3600e9 : unit === 'm' ? 60e9 : unit === 's' ? 1e9 : unit === 'ms' ? 1e6 : 1e3);
    matched += m[0];
  }
  if (matched !== v) throw new Error(`invalid duration "${v}" (expected e.g. 2s, 500ms, 1m30s)`);
  return total;
}

export function parseSize(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) throw new Error(`invalid size "${v}" (expected e.g. 8gb, 512m)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mult);
}

/** `cpus: 1.5` as Docker's NanoCpus. */
export function parseCpus(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`invalid cpus "${v}" (expected a positive number, e.g. 1.5)`);
  return Math.round(n * 1e9);
}
