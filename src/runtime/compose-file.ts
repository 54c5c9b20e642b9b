import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ErrorCode, lemError } from '../core/errors.js';
import { deepMerge, isMapping } from '../core/mapping.js';
import { err, ok, type Result } from '../core/result.js';

/**
 * lem reads compose.yaml itself (the subset below) and drives the engine with dockerode, so it does not depend
 * on which compose version a user has installed; the file stays valid for `docker compose` too.
 */
const Duration = z.union([z.string(), z.number()]);

const ServiceSchema = z.object({
  image: z.string(),
  build: z.unknown().optional(),
  init: z.boolean().default(true),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  working_dir: z.string().optional(),
  user: z.string().optional(),
  volumes: z.array(z.string()).default([]),
  environment: z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), z.array(z.string())]).default({}),
  'x-lem-secrets': z.array(z.string()).default([]),
  shm_size: z.union([z.string(), z.number()]).optional(),
  ipc: z.string().optional(),
  privileged: z.literal(false, { error: 'lem never runs a backend privileged: remove "privileged: true"' }).optional(),
  healthcheck: z
    .object({
      test: z.array(z.string()),
      interval: Duration.optional(),
      timeout: Duration.optional(),
      retries: z.int().optional(),
      start_period: Duration.optional(),
    })
    .optional(),
  deploy: z
    .object({
      resources: z
        .object({
          reservations: z
            .object({
              devices: z
                .array(
                  z.object({
                    driver: z.string().optional(),
                    count: z.union([z.literal('all'), z.int()]).optional(),
                    device_ids: z.array(z.string()).optional(),
                    capabilities: z.array(z.string()).default(['gpu']),
                  }),
                )
                .optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

const ComposeSchema = z.object({ services: z.record(z.string(), ServiceSchema) });

export interface BindMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface GpuRequest {
  readonly driver: string;
  readonly count: number; // -1 = all
  readonly deviceIds: readonly string[];
  readonly capabilities: readonly string[];
}

/** A backend service as lem runs it: everything resolved to absolute host paths and plain values. */
export interface ServiceDefinition {
  readonly name: string;
  readonly image: string;
  readonly init: boolean;
  readonly cmd: readonly string[] | undefined;
  readonly entrypoint: readonly string[] | undefined;
  readonly workingDir: string | undefined;
  readonly user: string | undefined;
  readonly binds: readonly BindMount[];
  /** Plain environment written into the container definition. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of secrets copied from the user's environment at container creation; values are never stored. */
  readonly secretNames: readonly string[];
  readonly shmSizeBytes: number | undefined;
  readonly ipcMode: string | undefined;
  readonly healthcheck:
    | { test: readonly string[]; intervalNs: number; timeoutNs: number; retries: number; startPeriodNs: number }
    | undefined;
  readonly gpus: readonly GpuRequest[];
}

export interface ComposeProject {
  readonly dir: string;
  readonly files: readonly string[];
  readonly services: Readonly<Record<string, ServiceDefinition>>;
}

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

function parseVolume(spec: string, dir: string): BindMount {
  const parts = spec.split(':');
  if (parts.length < 2) throw new Error(`volume "${spec}" must be HOST:CONTAINER[:ro] (lem uses bind mounts only)`);
  const [src, target, mode] = parts as [string, string, string | undefined];
  return { source: isAbsolute(src) ? src : resolve(dir, src), target, readOnly: mode === 'ro' };
}

function toEnv(env: z.infer<typeof ServiceSchema>['environment']): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      const i = item.indexOf('=');
      if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
    }
  } else {
    for (const [k, v] of Object.entries(env)) if (v !== null) out[k] = String(v);
  }
  return out;
}

/** Plain-list environment entries without "=" are passed by name from the user's environment, like compose. */
function namesFromEnvList(env: z.infer<typeof ServiceSchema>['environment']): string[] {
  return Array.isArray(env) ? env.filter((e) => !e.includes('=')) : [];
}

function readYaml(file: string): Result<unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return err(lemError(ErrorCode.FILE_NOT_FOUND, `cannot read ${file}: ${(e as Error).message}`));
  }
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    return err(lemError(ErrorCode.YAML_SYNTAX, `${file}:${first.linePos?.[0].line ?? '?'}: ${first.message}`));
  }
  return ok(doc.toJS({ maxAliasCount: 1000 }));
}

/**
 * Loads compose.yaml and, when `withGpu`, compose.gpu.yaml merged on top (compose's override semantics for
 * the keys lem reads).
 */
export function loadComposeProject(dir: string, opts: { withGpu: boolean }): Result<ComposeProject> {
  const files = [join(dir, 'compose.yaml')];
  const gpuFile = join(dir, 'compose.gpu.yaml');
  if (opts.withGpu && existsSync(gpuFile)) files.push(gpuFile);
  let merged: unknown = {};
  for (const f of files) {
    const r = readYaml(f);
    if (!r.ok) return r;
    merged = isMapping(merged) && isMapping(r.value) ? deepMerge(merged, r.value) : r.value;
  }
  const parsed = ComposeSchema.safeParse(merged);
  if (!parsed.success) {
    return err(
      lemError(ErrorCode.CONFIG_INVALID, `${files.join(' + ')} is not a service definition lem can use`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      }),
    );
  }
  const services: Record<string, ServiceDefinition> = {};
  try {
    for (const [name, s] of Object.entries(parsed.data.services)) {
      const hc = s.healthcheck;
      const binds = s.volumes.map((v) => parseVolume(v, dir));
      const unsafe = securityProblem(name, binds);
      if (unsafe) return err(lemError(ErrorCode.CONFIG_INVALID, `${files[0]}: ${unsafe}`));
      services[name] = {
        name,
        image: s.image,
        init: s.init,
        cmd: s.command,
        entrypoint: s.entrypoint,
        workingDir: s.working_dir,
        user: s.user,
        binds,
        env: toEnv(s.environment),
        secretNames: [...new Set([...s['x-lem-secrets'], ...namesFromEnvList(s.environment)])],
        shmSizeBytes: parseSize(s.shm_size),
        ipcMode: s.ipc,
        healthcheck: hc && {
          test: hc.test,
          intervalNs: parseDuration(hc.interval, 30),
          timeoutNs: parseDuration(hc.timeout, 30),
          retries: hc.retries ?? 3,
          startPeriodNs: parseDuration(hc.start_period, 0),
        },
        gpus: (s.deploy?.resources?.reservations?.devices ?? []).map((d) => ({
          driver: d.driver ?? 'nvidia',
          count: d.count === 'all' || d.count === undefined ? -1 : d.count,
          deviceIds: d.device_ids ?? [],
          capabilities: d.capabilities,
        })),
      };
    }
  } catch (e) {
    return err(lemError(ErrorCode.CONFIG_INVALID, `${files[0]}: ${(e as Error).message}`));
  }
  return ok({ dir, files, services });
}

export const HARNESS_MOUNT = '/app/harness';

/** Backends run third-party engine code: they never get the Docker socket, and the harness is read-only. */
function securityProblem(service: string, binds: readonly BindMount[]): string | undefined {
  const sock = binds.find((b) => /docker\.sock$/.test(b.source) || /docker\.sock$/.test(b.target));
  if (sock) return `service "${service}" mounts the Docker socket (${sock.source}); lem refuses to give a backend control of the engine`;
  const harness = binds.find((b) => b.target === HARNESS_MOUNT);
  if (harness && !harness.readOnly) return `service "${service}" mounts the harness at ${HARNESS_MOUNT} writable; it must be read-only (add :ro)`;
  return undefined;
}

/** The host directory bound to a container path (e.g. /app/results), so host and container agree on paths. */
export function hostPathFor(service: ServiceDefinition, containerPath: string): string | undefined {
  return service.binds.find((b) => b.target === containerPath)?.source;
}

/** The project root: the nearest directory at or above `from` holding compose.yaml. */
export function findProjectDir(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'compose.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
