import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type Docker from 'dockerode';
import { ErrorCode, lemError, type LemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { ServiceDefinition } from './compose-file.js';
import { containerCreateOptions } from './compose/create-options.js';
import type { Variables } from './compose/interpolate.js';
import type { ContainerState } from './container-state.js';
import { toContainerPath } from './container-paths.js';
import { execCapture } from './exec.js';
import { buildCommand } from './build-command.js';

export const LABEL_PROJECT = 'org.lem.project';
export const LABEL_SERVICE = 'org.lem.service';
export const LABEL_DEFINITION = 'org.lem.definition';

/** One long-running backend container (an interface, so the runner can be read without Docker in mind). */
export interface BackendContainer {
  readonly service: string;
  readonly containerName: string;
  /**
   * The container's state. Docker reports `starting` until its own first health check; with `runCheck` lem runs
   * the check itself then, so `lem backends status` agrees with what `lem backends up` saw.
   */
  state(opts?: { runCheck?: boolean }): Promise<ContainerState>;
  /** Creates (or recreates, when compose.yaml changed) and starts the container. */
  up(): Promise<Result<'created' | 'started' | 'already-running'>>;
  /** Resolves healthy, unhealthy, timed out, or (when `signal` aborts) interrupted (LEM017). */
  waitHealthy(
    timeoutMs: number,
    onTick?: (elapsedMs: number, state: ContainerState) => void,
    signal?: AbortSignal,
  ): Promise<Result<void>>;
  restart(): Promise<Result<void>>;
  down(): Promise<Result<void>>;
  logsTail(lines: number): Promise<string>;
  handle(): Docker.Container;
  /** The path inside the container of a host file, or undefined when no mount exposes it. */
  containerPathFor(hostPath: string): string | undefined;
}

function definitionHash(def: ServiceDefinition): string {
  // Secret names are part of the definition, their values never are.
  return createHash('sha256').update(JSON.stringify(def)).digest('hex').slice(0, 16);
}

export class DockerBackendContainer implements BackendContainer {
  readonly service: string;
  readonly containerName: string;

  // Which start of the container (id and start time, from the last inspect) state() saw last, and the start for
  // which waitHealthy's own run of the health check passed. Docker reports `starting` until its first check,
  // one whole interval after start; without this every batch in that window ran the check again (~90 ms each).
  private lastStart: string | undefined;
  private selfCheckedStart: string | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly project: string,
    private readonly def: ServiceDefinition,
    /** The user's environment, for the secrets the service passes by name (read at the CLI edge). */
    private readonly env: Variables,
    /** Names one of several containers of the service (its GPU set under `placement: pack`). */
    nameSuffix = '',
  ) {
    this.service = def.name;
    this.containerName = `lem-${project}-${def.name}${nameSuffix}`;
  }

  handle(): Docker.Container {
    return this.docker.getContainer(this.containerName);
  }

  containerPathFor(hostPath: string): string | undefined {
    return toContainerPath(this.def.binds, hostPath);
  }

  async state(opts: { runCheck?: boolean } = {}): Promise<ContainerState> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.handle().inspect();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return { kind: 'absent' };
      throw e;
    }
    const s = info.State;
    this.lastStart = `${info.Id}@${s.StartedAt}`;
    if (!s.Running) return { kind: 'stopped', exitCode: s.ExitCode, oomKilled: s.OOMKilled };
    const health = (s as { Health?: { Status: string; Log?: { Output: string }[] } }).Health;
    if (!health) return { kind: 'running', id: info.Id };
    if (health.Status === 'healthy') return { kind: 'healthy', id: info.Id, checkedBy: 'docker' };
    if (health.Status === 'unhealthy') return { kind: 'unhealthy', id: info.Id, lastCheck: health.Log?.at(-1)?.Output };
    // Still `starting` for Docker (its first check comes one whole interval after start), but the same check, run
    // by lem in this very start of the container, passed: healthy, and said so. A restart (a new StartedAt) or
    // Docker's own verdict ends this. `runCheck` runs the check now when no earlier one in this process passed.
    if (this.selfCheckedStart !== this.lastStart && opts.runCheck) await this.runHealthCheck();
    if (this.selfCheckedStart === this.lastStart) return { kind: 'healthy', id: info.Id, checkedBy: 'lem' };
    return { kind: 'starting', id: info.Id };
  }

  /** Runs the service's health check in the container; on success remembers it for this start. */
  private async runHealthCheck(): Promise<string | undefined> {
    if (!this.def.healthcheck) return undefined;
    const [kind, ...cmd] = this.def.healthcheck.test;
    const argv = kind === 'CMD-SHELL' ? ['sh', '-c', cmd.join(' ')] : cmd;
    const start = this.lastStart;
    try {
      const r = await execCapture(this.handle(), argv);
      if (r.exitCode === 0) {
        this.selfCheckedStart = start;
        return undefined;
      }
      return (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') || `exit code ${r.exitCode}`;
    } catch (e) {
      return (e as Error).message;
    }
  }

  private createOptions(): Docker.ContainerCreateOptions {
    const labels = {
      [LABEL_PROJECT]: this.project,
      [LABEL_SERVICE]: this.def.name,
      [LABEL_DEFINITION]: definitionHash(this.def),
    };
    return containerCreateOptions(this.def, { containerName: this.containerName, labels, env: this.env });
  }

  async up(): Promise<Result<'created' | 'started' | 'already-running'>> {
    try {
      let existing: Docker.ContainerInspectInfo | undefined;
      try {
        existing = await this.handle().inspect();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      }
      const wanted = definitionHash(this.def);
      if (existing && existing.Config.Labels?.[LABEL_DEFINITION] !== wanted) {
        // compose.yaml changed since this container was made: recreate it rather than run a stale definition.
        await this.handle().remove({ force: true });
        existing = undefined;
      }
      if (existing?.State.Running) return ok('already-running');
      if (!existing) {
        // Made by lem, as the user running it: a missing bind source would otherwise be created by the engine, owned
        // by root, and lem could not write batch specs into it.
        for (const b of this.def.binds) if (!existsSync(b.source)) mkdirSync(b.source, { recursive: true });
        try {
          await this.docker.createContainer(this.createOptions());
        } catch (e) {
          return err(this.createError(e));
        }
        try {
          await this.handle().start();
        } catch (e) {
          // Not left behind half-made: nothing records a container that never started, so nothing would remove it.
          await this.handle().remove({ force: true });
          throw e;
        }
        return ok('created');
      }
      await this.handle().start();
      return ok('started');
    } catch (e) {
      return err(
        lemError(
          ErrorCode.CONTAINER_FAILED,
          `could not start backend "${this.service}" (container ${this.containerName}): ${(e as Error).message}`,
        ),
      );
    }
  }

  private createError(e: unknown): LemError {
    const msg = (e as Error).message ?? String(e);
    if ((e as { statusCode?: number }).statusCode === 404 || /no such image/i.test(msg)) {
      const d = this.def;
      return lemError(
        ErrorCode.IMAGE_MISSING,
        `image ${this.def.image} for backend "${this.service}" is not present on this Docker engine`,
        {
          hint: `build it with: ${buildCommand(this.service, d.image, d.buildContext)} (lem never pulls images)`,
        },
      );
    }
    return lemError(
      ErrorCode.CONTAINER_FAILED,
      `could not create container ${this.containerName} for backend "${this.service}": ${msg}`,
    );
  }

  async waitHealthy(
    timeoutMs: number,
    onTick?: (elapsedMs: number, state: ContainerState) => void,
    signal?: AbortSignal,
  ): Promise<Result<void>> {
    const start = Date.now();
    let lastOutput = '';
    for (;;) {
      if (signal?.aborted)
        return err(
          lemError(
            ErrorCode.INTERRUPTED,
            `interrupted while waiting for backend "${this.service}" (${this.containerName}) to become healthy`,
          ),
        );
      const st = await this.state();
      const elapsed = Date.now() - start;
      onTick?.(elapsed, st);
      if (st.kind === 'healthy' || (st.kind === 'running' && !this.def.healthcheck)) return ok(undefined);
      if (st.kind === 'absent' || st.kind === 'stopped' || st.kind === 'unhealthy') {
        return err(
          await this.healthError(
            st.kind === 'unhealthy'
              ? `health check failed: ${st.lastCheck?.trim() ?? ''}`
              : `container ${st.kind === 'absent' ? 'vanished' : `exited with code ${st.exitCode}`}`,
          ),
        );
      }
      if (this.def.healthcheck) {
        // Run the same check ourselves: the engine's first check only comes after a whole interval.
        const failed = await this.runHealthCheck();
        if (failed === undefined) return ok(undefined);
        lastOutput = failed;
      }
      if (elapsed > timeoutMs)
        return err(
          await this.healthError(
            `health check did not pass within ${Math.round(timeoutMs / 1000)} s${lastOutput ? ` (last check: ${lastOutput})` : ''}`,
          ),
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async healthError(why: string): Promise<LemError> {
    const logs = await this.logsTail(15);
    return lemError(
      ErrorCode.HEALTH_TIMEOUT,
      `backend "${this.service}" (container ${this.containerName}) is not healthy: ${why}`,
      {
        hint: `last log lines of ${this.containerName}:\n${logs ? logs.replace(/^/gm, '    ') : '    (no output)'}\n  see all with: docker logs ${this.containerName}`,
      },
    );
  }

  async restart(): Promise<Result<void>> {
    try {
      await this.handle().restart({ t: 2 });
      return ok(undefined);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) {
        const r = await this.up();
        return r.ok ? ok(undefined) : r;
      }
      return err(
        lemError(ErrorCode.CONTAINER_FAILED, `could not restart ${this.containerName}: ${(e as Error).message}`),
      );
    }
  }

  async down(): Promise<Result<void>> {
    try {
      await this.handle().remove({ force: true });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) {
        return err(
          lemError(ErrorCode.CONTAINER_FAILED, `could not remove ${this.containerName}: ${(e as Error).message}`),
        );
      }
    }
    return ok(undefined);
  }

  async logsTail(lines: number): Promise<string> {
    try {
      const buf = await this.handle().logs({ stdout: true, stderr: true, tail: lines, follow: false });
      return (await demuxedText(this.docker, buf)).trimEnd();
    } catch (e) {
      // Logs only decorate another error message: say they were unavailable instead of failing twice.
      return `(logs unavailable: ${(e as Error).message})`;
    }
  }
}

/** Docker multiplexes the logs of a container without a TTY (stdout and stderr frames): dockerode splits them. */
async function demuxedText(docker: Docker, buf: Buffer): Promise<string> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (d: Buffer) => chunks.push(d));
  const source = Readable.from([buf]);
  docker.modem.demuxStream(source, sink, sink);
  await finished(source);
  sink.end();
  await finished(sink);
  return Buffer.concat(chunks).toString();
}
