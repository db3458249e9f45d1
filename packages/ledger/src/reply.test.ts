import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReply, replyStatus } from './reply';

const digits = fc.nat({ max: Number.MAX_SAFE_INTEGER }).map(String);
const flag = fc.constantFrom('OVERAGE', 'LATE_POST');

describe('ledger script replies', () => {
  it('reads back every field of a compact hold line (the order prelude hold_reply writes)', () => {
    fc.assert(
      fc.property(
        fc.record({
          status: fc.constantFrom('OK', 'REPLAY', 'HOLD_ALREADY_RESOLVED'),
          state: fc.constantFrom('pending', 'posted', 'voided', 'expired'),
          amount: digits,
          expiresAt: digits,
          posted: digits,
          overage: digits,
          recordId: fc.oneof(
            fc.constant(''),
            fc.tuple(digits, digits).map(([a, b]) => `${a}-${b}`),
          ),
          tokens: digits,
          apiKeyId: fc.stringMatching(/^[\w-]{0,12}$/),
          available: fc.oneof(fc.constant(''), digits),
          flags: fc.uniqueArray(flag),
          seq: fc.oneof(fc.constant(''), digits),
        }),
        (r) => {
          const line = [
            r.status,
            r.state,
            r.amount,
            r.expiresAt,
            r.posted,
            r.overage,
            r.recordId,
            r.tokens,
            r.apiKeyId,
            r.available,
            r.flags.join(','),
            r.seq,
          ].join('|');
          const { seq: _seq, ...fields } = r;
          expect(decodeReply(line, 'req-1')).toEqual({ ...fields, requestId: 'req-1' });
          expect(replyStatus(line)).toBe(r.status);
        },
      ),
    );
  });

  it('reads a JSON refusal as it is', () => {
    const refusal = '{"status":"BUDGET_EXCEEDED","available":"12","amount":"40"}';
    expect(decodeReply(refusal, 'r')).toEqual({ status: 'BUDGET_EXCEEDED', available: '12', amount: '40' });
    expect(replyStatus(refusal)).toBe('BUDGET_EXCEEDED');
  });

  it('refuses a line with the wrong number of fields instead of misreading it', () => {
    expect(() => decodeReply('OK|pending|5', 'r')).toThrow(/unreadable ledger reply/);
  });
});
