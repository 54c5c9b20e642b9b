import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { WaitReporter } from '../../campaign/run/executor.js';
import type { ExperimentConfig } from '../../config/experiment.js';
import type { EndpointSection } from '../../config/serve.js';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import type { BackendContainer } from '../../runtime/backend-container.js';
import { SERVER_PORT, serverLaunch } from './command.js';
import { ContainerProcess } from './container-process.js';
import { paramsDiff, serverKey, serverParams } from './identity.js';
import { publishedHostPort } from './published-port.js';
import { waitServerReady } from './readiness.js';
import { ServerLog } from './server-log.js';

const SERVER_PID_FILE = '/tmp/lem-server.pid';

interface Running {
  readonly key: string;
  readonly params: Record<string, unknown>;
  readonly proc: ContainerProcess;
  readonly log: ServerLog;
  readonly endpoint: EndpointSection;
  readonly baseUrl: string;
}

export interface ServerReady {
  readonly endpoint: EndpointSection;
  /** The server's base URL on 127.0.0.1 (no /v1), e.g. for the simulated power counter. */
  readonly baseUrl: string;
  readonly reused: boolean;
}

/**
 * The one server lem runs in a backend's container. Consecutive experiments with the same server parameters reuse
 * it (one model load); different parameters stop it and start the new one. Its output goes to the log of the
 * experiment being run.
 */
export class ServerManager {
  private current: Running | undefined;
  /** How many servers this manager started (a reused one is not started again). */
  starts = 0;

  constructor(
    private readonly container: BackendContainer,
    /** Host folder lem writes server files to (e.g. trtllm-serve's options), and how the container sees it. */
    private readonly files: { host: string; container: string | undefined },
  ) {}

  async ensure(
    c: ExperimentConfig,
    log: Writable,
    signal: AbortSignal,
    onWait: WaitReporter,
  ): Promise<Result<ServerReady>> {
    const key = serverKey(c);
    const cur = this.current;
    if (cur && cur.key === key && cur.proc.running) {
      cur.log.attach(log);
      cur.log.note(`reusing the running server (same server parameters)`);
      return ok({ endpoint: cur.endpoint, baseUrl: cur.baseUrl, reused: true });
    }
    if (cur) {
      const why = cur.proc.running ? paramsDiff(cur.params, serverParams(c)).join('; ') : 'it exited';
      cur.log.attach(log);
      cur.log.note(`stopping the server to start another (${why})`);
      await this.stop();
    }
    return this.start(c, key, log, signal, onWait);
  }

  private async start(
    c: ExperimentConfig,
    key: string,
    sink: Writable,
    signal: AbortSignal,
    onWait: WaitReporter,
  ): Promise<Result<ServerReady>> {
    const launch = serverLaunch(c, this.files.container ?? '');
    if (!launch) return err(lemError(ErrorCode.CONFIG_INVALID, `backend ${c.backend} has no server lem can start`));
    if (Object.keys(launch.files).length > 0 && this.files.container === undefined) {
      return err(
        lemError(ErrorCode.CONFIG_INVALID, `${this.files.host} is not mounted into ${this.container.containerName}`),
      );
    }
    for (const [name, text] of Object.entries(launch.files)) {
      const w = writeFileAtomic(join(this.files.host, name), text);
      if (!w.ok) return w;
    }
    const port = await publishedHostPort(this.container, SERVER_PORT);
    if (!port.ok) return port;
    const log = new ServerLog('[server]');
    log.attach(sink);
    log.note(`starting: ${launch.argv.join(' ')}`);
    const proc = await ContainerProcess.start(this.container.handle(), {
      argv: launch.argv,
      pidFile: SERVER_PID_FILE,
      onLine: (line) => log.write(line + '\n'),
      stderr: log,
    });
    this.starts++;
    const baseUrl = `http://127.0.0.1:${port.value}`;
    const api = c.server?.api ?? 'openai-completions';
    const endpoint: EndpointSection = { url: `${baseUrl}/v1`, api, model: launch.servedModel, headers_from_env: {} };
    this.current = { key, params: serverParams(c), proc, log, endpoint, baseUrl };
    const name = `the ${c.backend} server in ${this.container.containerName}`;
    const ready = await waitServerReady({
      baseUrl,
      timeoutMs: (c.server?.ready_timeout_s ?? 900) * 1000,
      signal,
      onWait: (ms, detail) => onWait(name, ms, detail),
      exited: proc.exited,
      lastLines: () => log.lastLines(),
      name,
    });
    if (!ready.ok) {
      await this.stop();
      return ready;
    }
    log.note(`ready on ${baseUrl} (127.0.0.1 only)`);
    return ok({ endpoint, baseUrl, reused: false });
  }

  /** Detaches the server's output from the log of an experiment that is over. */
  detach(): void {
    this.current?.log.attach(undefined);
  }

  async stop(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    if (cur) await cur.proc.stop();
  }
}
