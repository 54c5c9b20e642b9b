import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface SyntheticProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** The harness's synthetic OpenAI-compatible server as a local process, ready when it prints its "serving" line. */
export async function startSyntheticServer(args: { ttftMs: number; itlMs: number }): Promise<SyntheticProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'python3',
    ['-m', 'lem_harness', 'serve-synthetic', '--port', String(port), '--ttft-ms', String(args.ttftMs), '--itl-ms', String(args.itlMs)],
    { env: { ...process.env, PYTHONPATH: 'docker/harness' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('"serving"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`synthetic server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }),
  };
}
