/** What happened to one request of a load run, as the client saw it. Times are ms since the run's start. */
export interface RequestRecord {
  readonly index: number;
  /** Which endpoint served it (index into the experiment's endpoints). */
  readonly worker: number;
  readonly warmup: boolean;
  readonly sendMs: number;
  /** Arrival of the first chunk carrying a token; null when none came. */
  readonly firstTokenMs: number | null;
  readonly finishMs: number;
  /** Arrival time of every token-carrying chunk, the first included. */
  readonly chunkMs: readonly number[];
  readonly inputTokens: number | null;
  /** From the server's `usage` when it sent one, else the number of token-carrying chunks. */
  readonly outputTokens: number;
  readonly tokensFromUsage: boolean;
  /** HTTP status; null when no response came (refused, timed out before headers). */
  readonly status: number | null;
  /** null for a success; otherwise a stable class (see ERROR_CLASSES). */
  readonly errorClass: string | null;
  readonly errorMessage: string | null;
}

/**
 * Error classes, one per cause a user acts on differently. `http_<code>` is formed from the status.
 * - connect_refused: nothing listens at the address; connect_error: DNS or other socket failure before a response
 * - timeout: the request ran past request_timeout_s; stalled: the stream sent nothing for stall_timeout_s
 * - connection_reset: the server closed the connection mid-response; malformed_sse: data that is not the protocol
 * - server_error: the stream carried an error object; empty_response: a 200 stream with no token
 * - cancelled: lem stopped the run (Ctrl-C) while the request was in flight
 */
export const ERROR_CLASSES = [
  'connect_refused',
  'connect_error',
  'timeout',
  'stalled',
  'connection_reset',
  'malformed_sse',
  'server_error',
  'empty_response',
  'cancelled',
] as const;

export function succeeded(r: RequestRecord): boolean {
  return r.errorClass === null;
}
