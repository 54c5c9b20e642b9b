import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeAll } from 'vitest';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const LEM_BIN = join(REPO, 'bin', 'lem.js');

type TestProjectOptions = { harnessDir?: string; editCompose?: (text: string) => string };

/**
 * For a Docker test file: fails early (beforeAll) when the synthetic image is missing, which scripts/build-images.sh
 * builds (.ci/run), and removes every project made through the returned factory (its containers and folder) after
 * each test, whether the test passed or not.
 */
export function useTestProjects(): (label: string, opts?: TestProjectOptions) => TestProject {
  const projects: TestProject[] = [];
  beforeAll(async () => {
    await new Docker().getImage('lem/synthetic:latest').inspect();
  });
  afterEach(async () => {
    for (const p of projects.splice(0)) await p.cleanup();
  });
  return (label, opts) => {
    const p = new TestProject(label, opts);
    projects.push(p);
    return p;
  };
}

/** The campaign id lem prints when a run starts ("campaign <name>-YYYYMMDD-HHMMSS-xxxx"). */
export function campaignIdFrom(output: string): string {
  const m = /campaign (\S+-\d{8}-\d{6}-[0-9a-f]{4})/.exec(output);
  if (!m) throw new Error(`no campaign id in output:\n${output}`);
  return m[1]!;
}

/**
 * A throw-away lem project for integration tests: the repository's own compose.yaml (harness mounted from this
 * checkout), its own results/ and .state/, and a unique project name so its containers never meet another test's.
 */
export class TestProject {
  readonly dir: string;
  readonly name: string;

  constructor(label: string, opts: TestProjectOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), `lem-${label}-`));
    this.name = `t${label.replace(/[^a-z0-9]/g, '')}${Math.random().toString(36).slice(2, 8)}`;
    const harness = opts.harnessDir ?? join(REPO, 'docker/harness');
    const compose = readFileSync(join(REPO, 'compose.yaml'), 'utf8').replace('./docker/harness:', `${harness}:`);
    writeFileSync(join(this.dir, 'compose.yaml'), (opts.editCompose ?? ((t) => t))(compose));
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, LEM_PROJECT_NAME: this.name, LEM_PROJECT_DIR: this.dir, LEM_GPU: '0', FORCE_COLOR: '0' };
  }

  write(rel: string, text: string): string {
    const p = join(this.dir, rel);
    writeFileSync(p, text);
    return p;
  }

  /** Runs the built CLI as a real process and collects its output. */
  lem(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<LemRun> {
    return collect(this.spawn(args, opts.env), opts.timeoutMs ?? 120_000);
  }

  spawn(args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    return spawn(process.execPath, [LEM_BIN, ...args], {
      cwd: this.dir,
      env: { ...this.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Containers this project left behind (should be none after a run without --keep-backends). */
  async containers(): Promise<Docker.ContainerInfo[]> {
    return new Docker().listContainers({ all: true, filters: { label: [`org.lem.project=${this.name}`] } });
  }

  async cleanup(): Promise<void> {
    const docker = new Docker();
    for (const c of await this.containers()) await docker.getContainer(c.Id).remove({ force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fast synthetic campaign: `runs` experiments per cycle, each taking roughly `seconds`. */
export function syntheticCampaign(
  o: { name?: string; cycles?: number; sizes?: number[]; seconds?: number; retries?: number; extra?: string } = {},
): string {
  const seconds = o.seconds ?? 0;
  // Each measured batch emits max_output_tokens at tokens_per_second; 4 prompts, batch size b => 4/b batches.
  const tokens = 20;
  const tps = seconds > 0 ? Math.max(1, Math.round((tokens * 4) / seconds)) : 100000;
  return `campaign_name: ${o.name ?? 'itest'}
cycles: ${o.cycles ?? 1}
retries: ${o.retries ?? 1}
base_config:
  backend: synthetic
  model: {name: synthetic-model}
  max_output_tokens: ${tokens}
  prompts: {count: 4}
  measurement: {idle_baseline_s: 0, warmup: {max_runs: 2, min_runs: 1, window: 2}}
  synthetic: {tokens_per_second: ${tps}, ttft_ms: 1}
vary:
  batching.batch_size: [${(o.sizes ?? [1, 2]).join(', ')}]
${o.extra ?? ''}`;
}

export interface LemRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<LemRun> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lem did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** Resolves when `pred` holds for the child's accumulated stderr+stdout. */
export function waitForOutput(child: ChildProcess, pred: (text: string) => boolean, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for output; got:\n${text}`)), timeoutMs);
    const on = (d: Buffer) => {
      text += d.toString();
      if (pred(text)) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}
