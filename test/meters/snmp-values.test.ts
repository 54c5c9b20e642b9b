import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { communityFrom, numericValue, type SnmpTarget } from '../../src/meters/snmp.js';

describe('numericValue (what an SNMP agent returns, as a number)', () => {
  it('takes integers and gauges as they are', () => {
    fc.assert(
      fc.property(fc.integer(), (n) => {
        expect(numericValue(n)).toBe(n);
      }),
    );
  });
  it('reads numeric octet strings (some PDUs report "123.4")', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
        const text = x.toFixed(3);
        expect(numericValue(Buffer.from(text))).toBeCloseTo(Number(text), 9);
      }),
    );
  });
  it('reads Counter64 values (big-endian bytes)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }), (n) => {
        const hex = n.toString(16);
        const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
        // A leading byte that happens to be a digit or space reads as text: only check values that do not.
        fc.pre(!/^[\s\d.-]+$/.test(bytes.toString('latin1')));
        expect(numericValue(bytes)).toBe(Number(n));
      }),
    );
  });
  it('refuses what is not a number', () => {
    expect(numericValue(Buffer.alloc(0))).toBeUndefined();
    expect(numericValue('on')).toBeUndefined();
    expect(numericValue(null)).toBeUndefined();
    expect(numericValue(Buffer.from('nine hundred watts'))).toBeUndefined();
  });
});

describe('communityFrom', () => {
  const t: SnmpTarget = {
    host: 'pdu1',
    port: 161,
    oid: '.1.3.6.1',
    communityEnv: 'PDU_COMMUNITY',
    scale: 1,
    domain: 'pdu:a',
    timeoutMs: 100,
    retries: 0,
  };
  it('reads the named variable and refuses an unset or empty one, naming it', () => {
    expect(communityFrom(t, { PDU_COMMUNITY: 'c' })).toEqual({ ok: true, value: 'c' });
    for (const env of [{}, { PDU_COMMUNITY: '' }]) {
      const r = communityFrom(t, env);
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.error.message).toBe(
          'SNMP source pdu1:161 OID .1.3.6.1: environment variable PDU_COMMUNITY (the community) is not set',
        );
    }
  });
});
