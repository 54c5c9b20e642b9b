import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { terminalSafe } from '../core/terminal-text.js';

/**
 * The daemon's log: one timestamped line per event, appended to .state/daemon/daemon.log and echoed to stderr.
 * Appends are synchronous so a line written just before a crash (or kill -9) is in the file.
 */
export class DaemonLog {
  constructor(
    readonly file: string,
    private readonly echo: NodeJS.WritableStream,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  line(text: string): void {
    // Campaign names and messages carry user text: escaped so neither the log nor the terminal acts on it.
    const stamped = terminalSafe(text)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => `${new Date().toISOString()} ${l}\n`)
      .join('');
    if (stamped === '') return;
    appendFileSync(this.file, stamped);
    this.echo.write(stamped);
  }

  /** A stream for code that reports by writing text (the campaign runner's progress), one log line per line. */
  stream(prefix: string): NodeJS.WritableStream {
    let partial = '';
    return new Writable({
      write: (chunk: Buffer | string, _enc, cb) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) this.line(`${prefix}${l}`);
        cb();
      },
      final: (cb) => {
        if (partial !== '') this.line(`${prefix}${partial}`);
        partial = '';
        cb();
      },
    });
  }
}
