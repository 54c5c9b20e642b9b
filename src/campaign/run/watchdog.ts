/**
 * Fires `onTimeout(id)` for an armed experiment that has run longer than `limitMs`, so a hung engine cannot hold
 * the campaign forever. It checks a few times per limit (at most once a second) and goes quiet for good when
 * `signal` aborts; what a timeout means is the caller's to decide (it may fire more than once per id).
 */
export class Watchdog {
  private readonly armed = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limitMs: number,
    private readonly onTimeout: (id: string) => void,
    signal: AbortSignal,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(1000, limitMs / 4)));
    this.timer.unref();
    if (signal.aborted) this.stop();
    else signal.addEventListener('abort', () => this.stop(), { once: true });
  }

  arm(id: string): void {
    this.armed.set(id, this.now());
  }

  disarm(id: string): void {
    this.armed.delete(id);
  }

  private check(): void {
    const t = this.now();
    for (const [id, since] of this.armed) if (t - since > this.limitMs) this.onTimeout(id);
  }

  private stop(): void {
    clearInterval(this.timer);
    this.armed.clear();
  }
}
