/**
 * An incremental parser of server-sent events (the WHATWG event-stream format): text arrives in chunks split
 * anywhere, even inside a CRLF; lines end with CR, LF or CRLF; lines starting with ':' are comments; several
 * `data:` lines join with '\n'; an event is dispatched at a blank line. Pure: no I/O, no clock.
 */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | null;
}

export class SseParser {
  private buffer = '';
  /** A chunk ended in CR: a LF starting the next chunk belongs to the same line ending. */
  private pendingCr = false;
  private data: string[] = [];
  private eventType = '';
  private lastId: string | null = null;
  private sawField = false;

  /** Feed decoded text; returns the events completed by it, in order. */
  push(text: string): SseEvent[] {
    const out: SseEvent[] = [];
    let start = 0;
    if (this.pendingCr && text.charCodeAt(0) === 10) start = 1;
    this.pendingCr = false;
    let buf = this.buffer + text.slice(start);
    let pos = 0;
    const n = buf.length;
    while (pos < n) {
      const lf = buf.indexOf('\n', pos);
      const cr = buf.indexOf('\r', pos);
      let end: number;
      if (cr === -1 && lf === -1) break;
      if (cr === -1 || (lf !== -1 && lf < cr)) end = lf;
      else end = cr;
      const line = buf.slice(pos, end);
      if (buf.charCodeAt(end) === 13) {
        if (end + 1 < n) pos = buf.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        else {
          pos = end + 1;
          this.pendingCr = true;
        }
      } else pos = end + 1;
      this.line(line, out);
    }
    buf = buf.slice(pos);
    this.buffer = buf;
    return out;
  }

  /** End of stream: a last event without its blank line is discarded, as the standard says. */
  end(): { readonly incomplete: boolean } {
    const incomplete = this.buffer.length > 0 || this.sawField;
    this.buffer = '';
    this.data = [];
    this.sawField = false;
    return { incomplete };
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0)
        out.push({ event: this.eventType || 'message', data: this.data.join('\n'), id: this.lastId });
      this.data = [];
      this.eventType = '';
      this.sawField = false;
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment (keep-alives)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    this.sawField = true;
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // `retry` and unknown fields are ignored (a load generator never reconnects).
  }
}
