import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';

/**
 * stderr of a batch exec, split into one log per experiment (the one that started last gets the lines).
 */
export class ExperimentLogs extends Writable {
  private stream: WriteStream | undefined;
  private currentId: string | undefined;
  private pending: Buffer[] = [];
  constructor(
    private readonly dir: string,
    private readonly projectDir: string,
  ) {
    super();
    mkdirSync(dir, { recursive: true });
  }

  /** The log's path as the manifest records it: relative to the project folder. */
  pathFor(id: string): string {
    return relative(this.projectDir, join(this.dir, `${id}.log`));
  }

  switchTo(id: string): void {
    if (this.currentId === id) return;
    this.stream?.end();
    this.currentId = id;
    this.stream = createWriteStream(join(this.dir, `${id}.log`), { flags: 'a' });
    // A log that cannot be written (a full disk) is this sink's error, for the exec to report (not a crash).
    this.stream.on('error', (e) => this.destroy(e));
    for (const b of this.pending) this.stream.write(b);
    this.pending = [];
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.stream) this.stream.write(chunk, cb);
    else {
      this.pending.push(chunk);
      cb();
    }
  }

  async close(): Promise<void> {
    if (this.pending.length > 0) {
      // Output no experiment claimed (the run was interrupted before any started) is kept beside the logs.
      this.stream = createWriteStream(join(this.dir, `batch-preamble.log`), { flags: 'a' });
      this.stream.on('error', (e) => this.destroy(e));
      for (const b of this.pending) this.stream.write(b);
      this.pending = [];
    }
    const s = this.stream;
    if (s) await new Promise<void>((r) => s.end(r));
  }
}
