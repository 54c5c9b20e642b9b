/** What happened to one request of a load run, as the client saw it. Times are ms since the run's start. */
export interface RequestRecord {
  readonly index: number;
  /** Which endpoint served it (index into the experiment's endpoints). */
  readonly worker: number;
  readonly warmup: boolean;
  /**
   * When the request was written to its connection. Time spent inside lem waiting for a free connection (or for
   * undici's idle-socket check before reusing one) is the client's, not the server's, and is not part of TTFT or
   * E2EL; a request that never got a connection keeps the time it was handed to the HTTP client.
   */
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

export function succeeded(r: RequestRecord): boolean {
  return r.errorClass === null;
}
