import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disputeDeadline, isFinal, refuseAfterWindow, windowClosed } from './dispute-window';
import { ISSUED, disputeBy } from './lifecycle';

describe('dispute deadline', () => {
  it('is the issue time plus calendar days in the agreement’s time zone', () => {
    expect(disputeDeadline('2026-01-01T00:05:00.000Z', 30)).toBe('2026-01-31T00:05:00.000Z');
    // across Europe/Paris' spring change (29 March 2026) 30 calendar days are 719 hours: the same
    // wall-clock time (01:05 local) on 31 March; without a change, exactly 30 × 24 h
    expect(disputeDeadline('2026-03-01T00:05:00.000Z', 30, 'Europe/Paris')).toBe('2026-03-30T23:05:00.000Z');
    expect(disputeDeadline('2026-03-31T23:05:00.000Z', 30, 'Europe/Paris')).toBe('2026-04-30T23:05:00.000Z');
    // a leap day counts as a day
    expect(disputeDeadline('2028-02-28T12:00:00.000Z', 2)).toBe('2028-03-01T12:00:00.000Z');
  });

  it('is never earlier than (days − 1) × 24 h nor later than (days + 1) × 24 h after issue', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        fc.integer({ min: 1, max: 366 }),
        fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Tokyo'),
        (at, days, tz) => {
          const d = Date.parse(disputeDeadline(new Date(at).toISOString(), days, tz));
          expect(d - at).toBeGreaterThanOrEqual((days - 1) * 86_400_000);
          expect(d - at).toBeLessThanOrEqual((days + 1) * 86_400_000);
          if (tz === 'UTC' || tz === 'Asia/Tokyo') expect(d - at).toBe(days * 86_400_000);
        },
      ),
    );
  });

  it('refuses a dispute after it (DISPUTE_WINDOW_CLOSED), allows one at it; no deadline, no limit', () => {
    const deadline = '2026-01-31T00:05:00.000Z';
    const at = (iso: string) => ({ by: 'a', at: iso, lines: [] });
    expect(() => disputeBy('a', at('2026-01-31T00:05:00.001Z'), deadline)(ISSUED)).toThrow(
      expect.objectContaining({ code: 'DISPUTE_WINDOW_CLOSED' }),
    );
    expect(disputeBy('a', at(deadline), deadline)(ISSUED)?.next.status).toBe('disputed');
    expect(disputeBy('a', at('2099-01-01T00:00:00.000Z'))(ISSUED)?.next.status).toBe('disputed');
    expect(() => refuseAfterWindow(undefined, Date.now())).not.toThrow();
    expect(windowClosed(deadline, Date.parse(deadline))).toBe(false);
  });

  it('makes an issued or accepted statement final after it, not one under dispute', () => {
    const deadline = '2026-01-31T00:05:00.000Z';
    const after = Date.parse(deadline) + 1;
    expect(isFinal(deadline, 'issued', after)).toBe(true);
    expect(isFinal(deadline, 'accepted', after)).toBe(true);
    expect(isFinal(deadline, 'disputed', after)).toBe(false);
    expect(isFinal(deadline, 'issued', after - 1)).toBe(false);
    expect(isFinal(undefined, 'issued', after)).toBe(false);
  });
});
