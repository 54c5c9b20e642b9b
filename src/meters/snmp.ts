import snmp, { type Session, type Varbind } from 'net-snmp';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/**
 * A PDU outlet's (or any agent's) power over SNMP v2c: one GET of a numeric OID per poll. The community is
 * read from an environment variable named in config, so the secret never sits in a config file, a plan or a
 * result. A poll that gets no answer is an error naming host, port and OID, never a zero.
 */
export interface SnmpTarget {
  readonly host: string;
  readonly port: number;
  /** Numeric OID, with or without the leading dot. */
  readonly oid: string;
  /** The environment variable holding the community (named in errors; its value never is). */
  readonly communityEnv: string;
  /** Multiplies the agent's value into watts (0.1 for deciwatts). */
  readonly scale: number;
  /** e.g. "pdu:outlet-3". */
  readonly domain: string;
  readonly timeoutMs: number;
  readonly retries: number;
}

/** `env` is the user's environment as the CLI edge passes it (project.env): library code never reads process.env. */
export function communityFrom(target: SnmpTarget, env: Readonly<Record<string, string | undefined>>): Result<string> {
  const value = env[target.communityEnv];
  if (value === undefined || value === '') {
    const name = target.communityEnv;
    const message = `SNMP source ${where(target)}: environment variable ${name} (the community) is not set`;
    return err(lemError(ErrorCode.CONFIG_INVALID, message, { hint: `export ${name}=<community> before running lem` }));
  }
  return ok(value);
}

const where = (t: SnmpTarget): string => `${t.host}:${t.port} OID ${t.oid}`;
const bareOid = (oid: string): string => oid.replace(/^\./, '');

/** The number an agent returned: integers, gauges, counters (64-bit ones arrive as Buffers) and numeric strings. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) {
    const text = value.toString('latin1').trim();
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    // Counter64 is an unsigned big-endian integer of up to 8 bytes.
    if (value.length > 0 && value.length <= 8) return Number(BigInt(`0x${value.toString('hex')}`));
  }
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

function failure(t: SnmpTarget, e: Error): Result<never> {
  const tries = t.retries + 1;
  const timedOut = e.name === 'RequestTimedOutError';
  const message = timedOut
    ? `SNMP agent ${where(t)}: no answer within ${t.timeoutMs} ms (${tries} ${tries === 1 ? 'try' : 'tries'})`
    : `SNMP agent ${where(t)}: ${e.message}`;
  const hint = timedOut
    ? `check that an agent listens on UDP ${t.host}:${t.port} and that ${t.communityEnv} holds a community ` +
      'it accepts ' +
      '(v2c agents drop requests with a wrong community without a reply)'
    : undefined;
  return err(lemError(ErrorCode.METER_UNREADABLE, message, hint ? { hint } : {}));
}

/** One GET: the outlet's power in watts (scale applied), or an error that says where and why. */
export function getWatts(session: Session, t: SnmpTarget): Promise<Result<number>> {
  return new Promise((resolve) => {
    session.get([bareOid(t.oid)], (error: Error | null, varbinds?: Varbind[]) => {
      if (error) return resolve(failure(t, error));
      const vb = varbinds?.[0];
      if (!vb) return resolve(err(lemError(ErrorCode.METER_UNREADABLE, `SNMP agent ${where(t)}: empty response`)));
      if (snmp.isVarbindError(vb)) {
        return resolve(
          err(
            lemError(ErrorCode.METER_UNREADABLE, `SNMP agent ${where(t)}: ${snmp.varbindError(vb)}`, {
              hint: 'the agent answers but has no such object: check the OID (and the outlet index at its end)',
            }),
          ),
        );
      }
      const n = numericValue(vb.value);
      if (n === undefined || !Number.isFinite(n)) {
        const message = `SNMP agent ${where(t)}: value ${String(vb.value)} is not a number`;
        return resolve(err(lemError(ErrorCode.METER_UNREADABLE, message)));
      }
      resolve(ok(n * t.scale));
    });
  });
}

export function openSession(t: SnmpTarget, community: string): Session {
  const session = snmp.createSession(t.host, community, {
    port: t.port,
    version: snmp.Version2c,
    timeout: t.timeoutMs,
    retries: t.retries,
    transport: t.host.includes(':') ? 'udp6' : 'udp4',
  });
  // A failed send (unknown host, no route) reaches the request's callback, and a lost reply its timeout; an
  // 'error' event of the socket itself would otherwise crash the process, and the next poll reports it.
  session.on('error', () => undefined);
  return session;
}
