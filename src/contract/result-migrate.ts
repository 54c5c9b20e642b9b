import type { z } from 'zod';
import { err, ok, type Result } from '../core/result.js';
import { ResultDocument, RESULT_SCHEMA_VERSION, type BaselineInfo } from './result.js';
import { ResultDocumentV3 } from './result-v3.js';

/**
 * Reads a parsed result.json of any supported version as the current version (pure: no I/O). Version 3 documents
 * are validated against their own schema, then given the version 4 blocks with what version 3 recorded and null
 * where it recorded nothing: nothing is invented. The error is a one-line reason.
 */
export function migrateResult(raw: unknown): Result<ResultDocument, string> {
  const version = raw !== null && typeof raw === 'object' && 'schema_version' in raw ? raw.schema_version : undefined;
  if (version === RESULT_SCHEMA_VERSION) return validated(ResultDocument.safeParse(raw), RESULT_SCHEMA_VERSION);
  // Versions 5 and 6 only added optional blocks: a version 4 or 5 document is read as the current one unchanged.
  if (version === 4 || version === 5)
    return validated(ResultDocument.safeParse({ ...(raw as object), schema_version: RESULT_SCHEMA_VERSION }), version);
  if (version === 3) {
    const v3 = validated(ResultDocumentV3.safeParse(raw), 3);
    return v3.ok ? ok(fromV3(v3.value)) : v3;
  }
  if (version === undefined) return validated(ResultDocument.safeParse(raw), RESULT_SCHEMA_VERSION);
  return err(
    `schema_version ${JSON.stringify(version)} is not supported (expected 3, 4, 5 or ${RESULT_SCHEMA_VERSION})`,
  );
}

function validated<T>(parsed: z.ZodSafeParseResult<T>, version: number): Result<T, string> {
  if (parsed.success) return ok(parsed.data);
  const issues = parsed.error.issues;
  const shown = issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : '';
  return err(`does not match the result schema v${version}: ${shown.join('; ')}${more}`);
}

const NO_GPU_USAGE = {
  memory_used_max_mib: null,
  memory_used_mean_mib: null,
  utilization_gpu_mean_pct: null,
  utilization_memory_mean_pct: null,
  samples: 0,
};

/** Version 3's only baseline was measured with the engine loaded and nothing running: loaded_idle. */
function loadedIdleFromV3(doc: ResultDocumentV3): z.infer<typeof BaselineInfo> | null {
  if (doc.energy.baseline_power_w === null) return null;
  return {
    name: 'loaded_idle',
    power_w: doc.energy.baseline_power_w,
    per_gpu_w: doc.energy.per_gpu.map((g) => g.baseline_power_w),
    duration_s: doc.timing.idle_baseline_s,
    pstate: null,
    sm_clock_mhz: null,
    mem_clock_mhz: null,
    samples: null,
    measured_at: null,
    reused: false,
    drift_pct: null,
    problems: [],
  };
}

function minMeasureS(doc: ResultDocumentV3): number | null {
  const m = doc.experiment.config['measurement'];
  const v = m !== null && typeof m === 'object' && 'min_measure_s' in m ? m.min_measure_s : null;
  return typeof v === 'number' ? v : null;
}

export function fromV3(doc: ResultDocumentV3): ResultDocument {
  const e = doc.energy;
  const loaded = loadedIdleFromV3(doc);
  const adjusted =
    loaded === null
      ? null
      : {
          baseline_power_w: e.baseline_power_w,
          baseline_j: e.baseline_j,
          adjusted_j: e.adjusted_j,
          adjusted_j_per_output_token: e.adjusted_j_per_output_token,
        };
  return {
    ...doc,
    schema_version: RESULT_SCHEMA_VERSION,
    energy: {
      ...e,
      baseline: loaded === null ? null : 'loaded_idle',
      adjusted: { device_idle: null, loaded_idle: adjusted },
    },
    warmup: { ...doc.warmup, cold_run_s: null, cold_run_excluded: false, shapes: null, fixed_shape: false },
    sampler: {
      ...doc.sampler,
      kind: doc.sampler.enabled ? 'thread' : null,
      slow_fields_every: null,
      calls_per_sweep: null,
      sweep_ms: null,
    },
    gpu_usage: doc.gpu_usage ?? NO_GPU_USAGE,
    baselines: { device_idle: null, loaded_idle: loaded },
    window: { target_s: minMeasureS(doc), passes: null },
    validity: { valid: true, assessed: false, checks: [], reasons: [] },
    uncertainty: null,
  };
}
