import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { DockerBackendContainer, type BackendContainer } from '../runtime/backend-container.js';
import { findProjectDir, hostPathFor, loadComposeProject, type ComposeProject } from '../runtime/compose-file.js';
import type { Variables } from '../runtime/compose/interpolate.js';
import { connectDocker, type DockerOptions, type EngineInfo } from '../runtime/docker-client.js';

/** Where the host and the containers meet: the same folders under two names. */
export interface SharedPaths {
  readonly projectDir: string;
  readonly hostResults: string;
  /** lem's own state (campaigns, daemon): never mounted into a container. */
  readonly hostState: string;
  /** Batch specs, mounted read-only into the containers. */
  readonly hostBatches: string;
  readonly containerResults: string;
  readonly containerBatches: string;
}

export const CONTAINER_RESULTS = '/app/results';
export const CONTAINER_BATCHES = '/app/batches';

/** A lem project: the folder holding compose.yaml, its results/ and .state/. */
export interface Project {
  readonly dir: string;
  readonly name: string;
  readonly compose: ComposeProject;
  readonly paths: SharedPaths;
  /** The user's environment (from the CLI): the secrets a service passes by name are read from it. */
  readonly env: Variables;
  /** The test aid LEM_GPUS as given: pretend GPUs for `placement: pack` on a machine without any. */
  readonly pretendGpus?: string | undefined;
}

/** How to find and name a project; the CLI fills these from its options and environment. */
export interface ProjectOptions {
  /** The project folder (--project, LEM_PROJECT_DIR); default: found from `cwd` upwards. */
  readonly dir?: string | undefined;
  /** Overrides the container name prefix (LEM_PROJECT_NAME; tests use it to isolate runs). */
  readonly name?: string | undefined;
  /** Use compose.gpu.yaml (LEM_GPU); default: when the engine has the NVIDIA runtime. */
  readonly gpu?: boolean | undefined;
  readonly cwd: string;
  /** The user's environment: compose.yaml's `${VAR}` interpolation and the secrets passed by name. */
  readonly env: Variables;
  /** How to talk to Docker (the CLI sets a call trace for DEBUG=lem:docker). */
  readonly docker?: DockerOptions | undefined;
  /** LEM_GPUS, a test aid: this many pretend GPUs instead of the node's inventory. */
  readonly pretendGpus?: string | undefined;
}

export function resolveProjectDir(o: Pick<ProjectOptions, 'dir' | 'cwd'>): Result<string> {
  const dir = o.dir ?? findProjectDir(o.cwd);
  if (!dir) {
    return err(
      lemError(ErrorCode.USAGE, `no compose.yaml found in ${o.cwd} or any folder above it`, {
        hint: 'run lem inside a lem project (the folder with compose.yaml), or pass --project <dir>',
      }),
    );
  }
  return ok(resolve(o.cwd, dir));
}

/** Containers are named per project so two checkouts on one engine never share a backend. */
export function projectName(dir: string, override?: string): string {
  if (override) return override;
  const slug =
    basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'project';
  return `${slug}-${createHash('sha256').update(dir).digest('hex').slice(0, 6)}`;
}

/** Reads compose.yaml (with compose.gpu.yaml when GPUs are used) and the shared folders. */
export function openProject(
  dir: string,
  o: Pick<ProjectOptions, 'name' | 'gpu' | 'env' | 'pretendGpus'>,
  engine: { gpuRuntime: boolean } | undefined,
): Result<Project> {
  // lem's own state is always <project>/.state; a backend may see only its batches/ (read-only) and cache/.
  const hostState = join(dir, '.state');
  const withGpu = o.gpu ?? engine?.gpuRuntime ?? false;
  const compose = loadComposeProject(dir, { withGpu, env: o.env, stateDir: hostState });
  if (!compose.ok) return compose;
  const services = Object.values(compose.value.services);
  const pick = (target: string, fallback: string): Result<string> => {
    const found = new Set(services.map((s) => hostPathFor(s, target)).filter((p): p is string => p !== undefined));
    if (found.size > 1)
      return err(
        lemError(
          ErrorCode.CONFIG_INVALID,
          `compose.yaml: services mount different host folders at ${target} (${[...found].join(', ')}); ` +
            'lem needs one shared folder',
        ),
      );
    return ok([...found][0] ?? fallback);
  };
  const results = pick(CONTAINER_RESULTS, join(dir, 'results'));
  if (!results.ok) return results;
  const batches = pick(CONTAINER_BATCHES, join(hostState, 'batches'));
  if (!batches.ok) return batches;
  const paths = {
    projectDir: dir,
    hostResults: results.value,
    hostState,
    hostBatches: batches.value,
    containerResults: CONTAINER_RESULTS,
    containerBatches: CONTAINER_BATCHES,
  };
  const name = projectName(dir, o.name);
  return ok({ dir, name, compose: compose.value, paths, env: o.env, pretendGpus: o.pretendGpus });
}

/** The project for commands that only read its files (no Docker engine needed). */
export function locateProject(o: ProjectOptions): Result<Project> {
  const dir = resolveProjectDir(o);
  return dir.ok ? openProject(dir.value, o, undefined) : dir;
}

export async function connect(
  o: ProjectOptions,
): Promise<Result<{ project: Project; docker: Docker; engine: EngineInfo }>> {
  const dir = resolveProjectDir(o);
  if (!dir.ok) return dir;
  const d = await connectDocker(undefined, o.docker);
  if (!d.ok) return d;
  const project = openProject(dir.value, o, d.value.info);
  if (!project.ok) return project;
  return ok({ project: project.value, docker: d.value.docker, engine: d.value.info });
}

export function backendContainers(
  docker: Docker,
  project: Project,
  names: Iterable<string>,
): Result<Map<string, BackendContainer>> {
  const out = new Map<string, BackendContainer>();
  for (const name of names) {
    const def = project.compose.services[name];
    if (!def) {
      return err(
        lemError(ErrorCode.CONFIG_INVALID, `backend "${name}" has no service in ${project.compose.files[0]}`, {
          hint: `add a "${name}:" service (see the examples in compose.yaml)`,
        }),
      );
    }
    out.set(name, new DockerBackendContainer(docker, project.name, def, project.env));
  }
  return ok(out);
}
