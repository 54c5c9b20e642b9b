import { Writable } from 'node:stream';

/**
 * Where a lem-started server's output goes. The server outlives one experiment, so its lines go to whichever
 * experiment's log is attached now (the batch's stderr, which lem splits per experiment), and the last lines are kept
 * for the error message when the server never becomes ready or dies.
 */
export class ServerLog extends Writable {
  private sink: Writable | undefined;
  private readonly tail: string[] = [];
  private partial = '';

  constructor(
    private readonly prefix: string,
    private readonly keep = 20,
  ) {
    super();
  }

  /** Sends the server's lines to `sink` from now on (undefined: kept only in the tail). */
  attach(sink: Writable | undefined): void {
    this.sink = sink;
  }

  /** The last lines the server wrote, oldest first. */
  lastLines(): string[] {
    return this.partial ? [...this.tail, this.partial] : [...this.tail];
  }

  /** A line lem itself says about the server, in the same log. */
  note(text: string): void {
    this.sink?.write(`${this.prefix} ${text}\n`);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.tail.push(line);
      if (this.tail.length > this.keep) this.tail.shift();
      const s = this.sink;
      if (s && !s.destroyed) s.write(`${this.prefix} ${line}\n`);
    }
    cb();
  }
}
