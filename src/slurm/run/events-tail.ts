import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { HarnessEvent } from '../../contract/events.js';

export type TailItem =
  | { readonly kind: 'event'; readonly event: HarnessEvent }
  | { readonly kind: 'bad'; readonly line: string; readonly why: string };

/** Parses one stdout line of the harness as the local executor does: JSON, then the event contract. */
export function parseEventLine(line: string): TailItem | undefined {
  if (!line.trim()) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'bad', line, why: 'not JSON' };
  }
  const parsed = HarnessEvent.safeParse(json);
  return parsed.success
    ? { kind: 'event', event: parsed.data }
    : { kind: 'bad', line, why: parsed.error.issues[0]?.message ?? 'not a harness event' };
}

/**
 * Follows a job's events file on the shared filesystem: each read returns the complete lines written since the
 * last one. A line still being written (no newline yet) waits for the next read, unless `final` (the job ended).
 */
export class EventsTail {
  private offset = 0;
  /** Bytes after the last newline: kept as bytes, so a character cut between two reads is never mangled. */
  private partial: Buffer = Buffer.alloc(0);

  constructor(private readonly path: string) {}

  read(final = false): TailItem[] {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return []; // not created yet: the job has not started its container
    }
    const chunks: Buffer[] = [this.partial];
    try {
      const size = fstatSync(fd).size;
      while (this.offset < size) {
        const buf = Buffer.alloc(Math.min(1 << 20, size - this.offset));
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        this.offset += n;
      }
    } finally {
      closeSync(fd);
    }
    const all = Buffer.concat(chunks);
    const cut = final ? all.length : all.lastIndexOf(0x0a) + 1;
    this.partial = all.subarray(cut);
    return all
      .subarray(0, cut)
      .toString('utf8')
      .split('\n')
      .map(parseEventLine)
      .filter((x): x is TailItem => x !== undefined);
  }
}
