import cliProgress from 'cli-progress';
import { LOAD_PHASE_PREFIX } from './run/reducer.js';

/** What the runner reports while it works; the terminal shows bars, a log or CI gets plain lines. */
export interface ProgressReporter {
  waiting(what: string, elapsedMs: number, detail: string): void;
  begin(total: number, alreadyDone: number): void;
  phase(experimentId: string, phase: string): void;
  done(experimentId: string, outcome: string): void;
  note(text: string): void;
  end(): void;
}

function fmtEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

/** ETA from this run's pace only (experiments resumed as already done say nothing about speed). */
class Pace {
  private startedAt = Date.now();
  private doneHere = 0;
  constructor(
    public total = 0,
    public done = 0,
  ) {}
  tick(): void {
    this.done++;
    this.doneHere++;
  }
  etaSeconds(): number {
    if (this.doneHere === 0) return NaN;
    return ((Date.now() - this.startedAt) / 1000 / this.doneHere) * (this.total - this.done);
  }
}

export class TerminalProgress implements ProgressReporter {
  private bars = new cliProgress.MultiBar(
    {
      format: ' {bar} {value}/{total} experiments | ETA {eta_h} | {current}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  private bar: cliProgress.SingleBar | undefined;
  private waitBar: cliProgress.SingleBar | undefined;
  private pace = new Pace();

  waiting(what: string, elapsedMs: number, detail: string): void {
    if (this.bar) {
      // Mid-campaign waits (a restarted backend) show on the main bar rather than as a second one.
      this.bar.update({ current: `waiting for ${what}: ${(elapsedMs / 1000).toFixed(1)} s (${detail})` });
      return;
    }
    if (!this.waitBar)
      this.waitBar = this.bars.create(0, 0, { current: '' }, { format: ` waiting for ${what}: {secs}s ({detail})` });
    this.waitBar.update(0, { secs: (elapsedMs / 1000).toFixed(1), detail });
  }
  begin(total: number, alreadyDone: number): void {
    if (this.waitBar) {
      this.bars.remove(this.waitBar);
      this.waitBar = undefined;
    }
    this.pace = new Pace(total, alreadyDone);
    this.bar = this.bars.create(total, alreadyDone, { current: 'starting', eta_h: '?' });
  }
  phase(experimentId: string, phase: string): void {
    this.bar?.update({ current: `${experimentId}: ${phase}`, eta_h: fmtEta(this.pace.etaSeconds()) });
  }
  done(experimentId: string, outcome: string): void {
    this.pace.tick();
    this.bar?.update(this.pace.done, { current: `${experimentId}: ${outcome}`, eta_h: fmtEta(this.pace.etaSeconds()) });
  }
  note(text: string): void {
    this.bars.log(text + '\n');
  }
  end(): void {
    this.bars.stop();
  }
}

/** How often a log gets a serve load's progress line. */
const LOAD_LINE_EVERY_MS = 30_000;

/** For logs and CI: one line per event that matters, prefixed with [done/total]. */
export class LineProgress implements ProgressReporter {
  private pace = new Pace();
  private lastWaitLog = -Infinity;
  private lastLoadLog = -Infinity;
  constructor(private readonly out: NodeJS.WritableStream) {}
  waiting(what: string, elapsedMs: number, detail: string): void {
    if (elapsedMs - this.lastWaitLog >= 5000) {
      this.lastWaitLog = elapsedMs;
      this.out.write(`waiting for ${what} (${(elapsedMs / 1000).toFixed(0)} s): ${detail}\n`);
    }
  }
  begin(total: number, alreadyDone: number): void {
    this.pace = new Pace(total, alreadyDone);
    this.out.write(`${total} experiment(s), ${alreadyDone} already done\n`);
  }
  phase(experimentId: string, phase: string): void {
    if (phase === 'started') {
      this.out.write(`[${this.pace.done}/${this.pace.total}] ${experimentId} started\n`);
      this.lastLoadLog = -Infinity;
    } else if (phase.startsWith(LOAD_PHASE_PREFIX) && Date.now() - this.lastLoadLog >= LOAD_LINE_EVERY_MS) {
      // A serve load can run for many minutes: a line now and then shows it moving, without flooding a log.
      this.lastLoadLog = Date.now();
      this.out.write(`[${this.pace.done}/${this.pace.total}] ${experimentId} ${phase}\n`);
    }
  }
  done(experimentId: string, outcome: string): void {
    this.pace.tick();
    this.out.write(
      `[${this.pace.done}/${this.pace.total}] ${experimentId} ${outcome} (ETA ${fmtEta(this.pace.etaSeconds())})\n`,
    );
  }
  note(text: string): void {
    this.out.write(text + '\n');
  }
  end(): void {}
}

export function progressFor(stream: NodeJS.WriteStream): ProgressReporter {
  return stream.isTTY ? new TerminalProgress() : new LineProgress(stream);
}
