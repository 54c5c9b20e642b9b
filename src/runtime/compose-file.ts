import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Issue } from '../core/errors.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { ComposeProject, ServiceDefinition } from './compose/definition.js';
import { parseDotenv } from './compose/dotenv.js';
import type { Variables } from './compose/interpolate.js';
import { isHonoured, refusal } from './compose/keys.js';
import { isMapping } from '../core/mapping.js';
import { mergeComposeFiles } from './compose/merge.js';
import { mountProblem } from './compose/safety.js';
import { ServiceSchema, type EnvFileInput, type ServiceInput } from './compose/schema.js';
import { toServiceDefinition, type PathIssue } from './compose/service.js';
import { interpolateSource, lineOfPath, parseYamlSource, type YamlSource } from './compose/yaml-source.js';

export type { BindMount, ComposeProject, ServiceDefinition } from './compose/definition.js';
export { parseDuration, parseSize } from './compose/units.js';

/**
 * lem reads compose.yaml itself and drives the engine with dockerode, so it does not depend on which compose
 * version a user has installed; the file stays valid for `docker compose` too. Every key is either honoured or
 * refused with file:line (keys.ts), never silently ignored.
 */
export interface ComposeOptions {
  /** Merge compose.gpu.yaml on top (when the engine has the NVIDIA runtime). */
  readonly withGpu: boolean;
  /** Variables for `${VAR}` interpolation: the user's environment, passed in by the CLI. */
  readonly env: Variables;
  /** lem's state folder (default <dir>/.state): no service may mount its campaigns/ or daemon/. */
  readonly stateDir?: string;
}

type Located = Issue[];

export function loadComposeProject(dir: string, opts: ComposeOptions): Result<ComposeProject> {
  const files = [join(dir, 'compose.yaml')];
  const gpuFile = join(dir, 'compose.gpu.yaml');
  if (opts.withGpu && existsSync(gpuFile)) files.push(gpuFile);
  const vars = projectVariables(dir, opts.env);
  if (!vars.ok) return vars;
  const sources: YamlSource[] = [];
  const issues: Located = [];
  let merged: Record<string, unknown> = {};
  for (const file of files) {
    const text = readText(file);
    if (!text.ok) return text;
    const parsed = parseYamlSource(file, text.value);
    if (!parsed.ok)
      return err(lemError(ErrorCode.YAML_SYNTAX, `${file} is not valid YAML`, { issues: [parsed.issue] }));
    sources.push(parsed.source);
    issues.push(...interpolateSource(parsed.source, vars.value));
    const js: unknown = parsed.source.doc.toJS({ maxAliasCount: 1000 });
    if (!isMapping(js)) {
      issues.push({ location: { file, line: 1 }, message: 'expected a mapping with a services: section' });
      continue;
    }
    issues.push(...unhonouredKeys(parsed.source, js));
    merged = mergeComposeFiles(merged, js);
  }
  if (issues.length > 0) return refused(files, issues);
  const services = buildServices(dir, merged, sources, vars.value, opts.stateDir ?? join(dir, '.state'));
  if (!services.ok) return refused(files, services.error);
  return ok({ dir, files, services: services.value });
}

function refused(files: readonly string[], issues: Located): Result<never> {
  // In reading order: by file (compose.yaml, then compose.gpu.yaml, then others), then line.
  const rank = (i: Issue) => {
    const f = files.indexOf(i.location?.file ?? '');
    return (f < 0 ? files.length : f) * 1e9 + (i.location?.line ?? 0);
  };
  issues = [...issues].sort((a, b) => rank(a) - rank(b));
  return err(
    lemError(ErrorCode.CONFIG_INVALID, `${files.join(' + ')}: ${issues.length} problem(s) lem cannot run with`, {
      issues,
      hint: 'docs/backends.md lists the compose keys lem honours',
    }),
  );
}

/** The project's `.env` (compose reads it for interpolation), under the variables passed in, which win. */
function projectVariables(dir: string, env: Variables): Result<Variables> {
  const file = join(dir, '.env');
  if (!existsSync(file)) return ok(env);
  const text = readText(file);
  if (!text.ok) return text;
  const parsed = parseDotenv(text.value, env);
  if (!parsed.ok)
    return refused(
      [file],
      parsed.issues.map((i) => ({ location: { file, line: i.line }, message: i.message })),
    );
  return ok({ ...parsed.vars, ...definedOnly(env) });
}

function definedOnly(env: Variables): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function readText(file: string): Result<string> {
  try {
    return ok(readFileSync(file, 'utf8'));
  } catch (e) {
    return err(lemError(ErrorCode.FILE_NOT_FOUND, `cannot read ${file}: ${(e as Error).message}`));
  }
}

/** Keys of one file that lem does not act on, each at its line. */
function unhonouredKeys(src: YamlSource, js: Record<string, unknown>): Located {
  const out: Located = [];
  const at = (path: string[], message: string) =>
    out.push({ location: { file: src.file, line: lineOfPath(src, path) }, path: path.join('.'), message });
  for (const key of Object.keys(js)) if (!isHonoured('top', key)) at([key], refusal('top', key));
  const services = js['services'];
  if (services === undefined) return out;
  if (!isMapping(services)) {
    at(['services'], 'expected a mapping of service names to services');
    return out;
  }
  for (const [name, s] of Object.entries(services)) {
    if (!isMapping(s)) continue; // reported by the schema, with its line
    for (const key of Object.keys(s))
      if (!isHonoured('service', key)) at(['services', name, key], refusal('service', key));
  }
  return out;
}

function buildServices(
  dir: string,
  merged: Record<string, unknown>,
  sources: readonly YamlSource[],
  vars: Variables,
  stateDir: string,
): Result<Record<string, ServiceDefinition>, Located> {
  const locate = (path: readonly (string | number)[], message: string): Issue => locateIssue(sources, path, message);
  const raw = merged['services'];
  if (!isMapping(raw)) return err([locate(['services'], 'compose.yaml needs a services: mapping')]);
  const issues: Located = [];
  const services: Record<string, ServiceDefinition> = {};
  for (const [name, value] of Object.entries(raw)) {
    const base = ['services', name];
    const parsed = ServiceSchema.safeParse(withoutExtensions(value));
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        const keys = i.code === 'unrecognized_keys' ? i.keys : [undefined];
        for (const k of keys) {
          const path = [...base, ...(i.path as (string | number)[]), ...(k === undefined ? [] : [k])];
          issues.push(locate(path, k === undefined ? i.message : `lem does not honour "${k}" here; remove it`));
        }
      }
      continue;
    }
    const envFiles = readEnvFiles(dir, parsed.data.env_file, vars, (m) =>
      issues.push(locate([...base, 'env_file'], m)),
    );
    const def = toServiceDefinition(name, parsed.data, dir, envFiles.vars);
    issues.push(...envFiles.issues);
    if (!def.ok) {
      issues.push(...def.issues.map((i: PathIssue) => locate([...base, ...i.path], i.message)));
      continue;
    }
    const unsafe = mountProblem(name, def.value.binds, stateDir);
    if (unsafe) issues.push(locate([...base, 'volumes'], unsafe));
    services[name] = def.value;
  }
  return issues.length > 0 ? err(issues) : ok(services);
}

/** Compose extension keys (`x-…`) only carry YAML anchors; lem's own `x-lem-secrets` stays. */
function withoutExtensions(value: unknown): unknown {
  if (!isMapping(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('x-') || k === 'x-lem-secrets'));
}

/** Reads a service's env_file entries in order (relative to the project folder); later files win. */
function readEnvFiles(
  dir: string,
  spec: ServiceInput['env_file'],
  vars: Variables,
  missing: (message: string) => void,
): { vars: Record<string, string>; issues: Located } {
  const entries: EnvFileInput[] = spec === undefined ? [] : Array.isArray(spec) ? spec : [spec];
  const out: Record<string, string> = {};
  const issues: Located = [];
  for (const e of entries) {
    const path = typeof e === 'string' ? e : e.path;
    const required = typeof e === 'string' ? true : e.required;
    const file = isAbsolute(path) ? path : resolve(dir, path);
    if (!existsSync(file)) {
      if (required) missing(`env_file ${file} does not exist (create it, or mark it required: false)`);
      continue;
    }
    const text = readText(file);
    if (!text.ok) {
      missing(text.error.message);
      continue;
    }
    const parsed = parseDotenv(text.value, vars);
    if (parsed.ok) Object.assign(out, parsed.vars);
    else issues.push(...parsed.issues.map((i) => ({ location: { file, line: i.line }, message: i.message })));
  }
  return { vars: out, issues };
}

/** An issue at `path`, in the last file that defines it (compose.gpu.yaml overrides compose.yaml). */
function locateIssue(sources: readonly YamlSource[], path: readonly (string | number)[], message: string): Issue {
  for (let n = path.length; n > 0; n--) {
    for (const src of [...sources].reverse()) {
      const line = lineOfPath(src, path.slice(0, n));
      if (line !== undefined) return { location: { file: src.file, line }, path: path.join('.'), message };
    }
  }
  return { location: { file: sources[0]?.file ?? 'compose.yaml' }, path: path.join('.'), message };
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
