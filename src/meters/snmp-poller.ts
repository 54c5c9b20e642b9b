import type { Session } from 'net-snmp';
import type { Result } from '../core/result.js';
import { ok } from '../core/result.js';
import type { MeterSample } from './samples.js';
import { communityFrom, getWatts, openSession, type SnmpTarget } from './snmp.js';

export interface AsyncPoller {
  /** Samples so far, in time order. */
  samples(): readonly MeterSample[];
  /** Stops polling and closes the session; the first failed poll, if any, ended polling and is returned here. */
  stop(): Promise<Result<readonly MeterSample[]>>;
}

/**
 * Polls an SNMP power OID on lem's clock. A sample's time is the middle of its request's round trip (the
 * agent read the value somewhere in it). Polls never overlap: a tick that finds the previous GET still
 * waiting is skipped, so a slow agent lowers the cadence (which coverage then shows) instead of piling up.
 * The first poll happens before this returns, so a wrong host, OID or community fails at start, not later.
 */
export async function startSnmpPoller(
  target: SnmpTarget,
  intervalMs: number,
  options: { readonly env: Readonly<Record<string, string | undefined>>; readonly now?: () => number },
): Promise<Result<AsyncPoller>> {
  const community = communityFrom(target, options.env);
  if (!community.ok) return community;
  const now = options.now ?? (() => Date.now() / 1000);
  const session: Session = openSession(target, community.value);
  const samples: MeterSample[] = [];
  let failure: Result<never> | undefined;
  let inFlight: Promise<void> | undefined;
  const poll = async (): Promise<void> => {
    const sent = now();
    const watts = await getWatts(session, target);
    if (!watts.ok) {
      failure ??= watts;
      return;
    }
    samples.push({ t: (sent + now()) / 2, domain: target.domain, watts: watts.value });
  };
  const tick = (): void => {
    if (inFlight || failure) return;
    inFlight = poll().finally(() => (inFlight = undefined));
  };
  tick();
  await inFlight;
  if (failure) {
    session.close();
    return failure;
  }
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return ok({
    samples: () => samples,
    stop: async () => {
      clearInterval(timer);
      await inFlight;
      // One last reading bounds the window's end, as the RAPL poller does.
      if (!failure) {
        tick();
        await inFlight;
      }
      session.close();
      return failure ?? ok(samples);
    },
  });
}
