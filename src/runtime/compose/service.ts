import { isAbsolute, resolve } from 'node:path';
import type { GpuRequest, Healthcheck, ServiceDefinition, Ulimit } from './definition.js';
import { parseDevice, parseTmpfs, parseVolume } from './mounts.js';
import { parsePort } from './ports.js';
import type { GpuRequestInput, ServiceInput } from './schema.js';
import { parseCpus, parseDuration, parseSize } from './units.js';

/** A problem in one service, at a path inside it (the loader turns the path into file:line). */
export interface PathIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type Mapped = { ok: true; value: ServiceDefinition } | { ok: false; issues: PathIssue[] };

/** Labels under this prefix are lem's own (project, service, definition hash): a service may not set them. */
const LEM_LABEL_PREFIX = 'org.lem.';

/**
 * Maps one validated service onto what lem gives Docker. `envFileVars` are the variables its `env_file:` entries
 * defined, in order (read by the loader); `environment:` overrides them, as in compose.
 */
export function toServiceDefinition(
  name: string,
  s: ServiceInput,
  dir: string,
  envFileVars: Record<string, string>,
): Mapped {
  const issues: PathIssue[] = [];
  const at = <T>(path: (string | number)[], f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      issues.push({ path, message: (e as Error).message });
      return undefined;
    }
  };
  const env = { ...envFileVars, ...plainValues(s.environment) };
  const labels = plainValues(s.labels);
  for (const k of Object.keys(labels).filter((k) => k.startsWith(LEM_LABEL_PREFIX))) {
    issues.push({ path: ['labels'], message: `label "${k}": labels starting with ${LEM_LABEL_PREFIX} are lem's own` });
  }
  const limits = s.deploy?.resources?.limits;
  for (const [i, opt] of s.security_opt.entries()) {
    if (/^no-new-privileges[:=]false$/.test(opt)) {
      issues.push({ path: ['security_opt', i], message: 'lem always sets no-new-privileges; remove this entry' });
    }
  }
  for (const key of ['cap_add', 'cap_drop'] as const) {
    for (const [i, cap] of s[key].entries()) {
      if (!/^(ALL|(CAP_)?[A-Z_]+)$/i.test(cap))
        issues.push({ path: [key, i], message: `"${cap}" is not a capability name` });
    }
  }
  const def: ServiceDefinition = {
    name,
    image: s.image,
    buildContext: buildContext(s.build, dir),
    init: s.init,
    cmd: s.command,
    entrypoint: s.entrypoint,
    workingDir: s.working_dir,
    user: s.user,
    groupAdd: s.group_add.map(String),
    binds: s.volumes.flatMap((v, i) => at(['volumes', i], () => [parseVolume(v, dir)]) ?? []),
    tmpfs: at(['tmpfs'], () => parseTmpfs(s.tmpfs)) ?? {},
    readOnlyRootfs: s.read_only,
    env,
    secretNames: [...new Set([...s['x-lem-secrets'], ...passedByName(s.environment)])],
    labels,
    shmSizeBytes: at(['shm_size'], () => parseSize(s.shm_size)),
    ipcMode: s.ipc,
    healthcheck: at(['healthcheck'], () => healthcheck(s.healthcheck)),
    gpus: [...(s.deploy?.resources?.reservations?.devices ?? []), ...gpusKey(s.gpus)].map(gpuRequest),
    devices: s.devices.flatMap((d, i) => at(['devices', i], () => [parseDevice(d)]) ?? []),
    runtime: s.runtime,
    capAdd: s.cap_add,
    capDrop: s.cap_drop,
    securityOpt: s.security_opt,
    memoryBytes: at(['mem_limit'], () => parseSize(s.mem_limit ?? limits?.memory)),
    memorySwapBytes: at(['memswap_limit'], () => parseSize(s.memswap_limit)),
    pidsLimit: s.pids_limit ?? limits?.pids,
    nanoCpus: at(['cpus'], () => parseCpus(s.cpus ?? limits?.cpus)),
    ulimits: Object.entries(s.ulimits).map(([n, v]): Ulimit => ulimit(n, v)),
    stopSignal: s.stop_signal,
    ports: s.ports.flatMap((p, i) => at(['ports', i], () => [parsePort(p)]) ?? []),
  };
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: def };
}

function buildContext(build: ServiceInput['build'], dir: string): string | undefined {
  const ctx = typeof build === 'string' ? build : build?.context;
  return ctx === undefined ? undefined : isAbsolute(ctx) ? ctx : resolve(dir, ctx);
}

/** Plain values of an environment or labels section; map entries without a value are passed by name instead. */
function plainValues(kv: ServiceInput['environment']): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(kv)) {
    for (const item of kv) {
      const i = item.indexOf('=');
      if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
    }
  } else {
    for (const [k, v] of Object.entries(kv)) if (v !== null) out[k] = String(v);
  }
  return out;
}

/** `- NAME` in a list or `NAME:` with no value in a map: the value comes from the user's environment, like compose. */
function passedByName(kv: ServiceInput['environment']): string[] {
  if (Array.isArray(kv)) return kv.filter((e) => !e.includes('='));
  return Object.entries(kv)
    .filter(([, v]) => v === null)
    .map(([k]) => k);
}

function healthcheck(h: ServiceInput['healthcheck']): Healthcheck | undefined {
  if (!h || h.disable || h.test === undefined) return undefined;
  const test = typeof h.test === 'string' ? ['CMD-SHELL', h.test] : h.test;
  if (test[0] === 'NONE') return undefined;
  if (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') {
    throw new Error(`test must start with "CMD" or "CMD-SHELL" (or be a string for the shell), got "${test[0]}"`);
  }
  return {
    test,
    intervalNs: parseDuration(h.interval, 30),
    timeoutNs: parseDuration(h.timeout, 30),
    retries: h.retries ?? 3,
    startPeriodNs: parseDuration(h.start_period, 0),
  };
}

function gpusKey(g: ServiceInput['gpus']): GpuRequestInput[] {
  if (g === undefined) return [];
  return g === 'all' ? [{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }] : g;
}

function gpuRequest(d: GpuRequestInput): GpuRequest {
  return {
    driver: d.driver ?? 'nvidia',
    count: d.count === 'all' || d.count === undefined ? -1 : d.count,
    deviceIds: d.device_ids ?? [],
    capabilities: d.capabilities,
    options: d.options ?? {},
  };
}

function ulimit(name: string, v: ServiceInput['ulimits'][string]): Ulimit {
  return typeof v === 'number' ? { name, soft: v, hard: v } : { name, soft: v.soft, hard: v.hard };
}
