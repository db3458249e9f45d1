import { describe, expect, it } from 'vitest';
import { errorsByCode, summarizeWindow, undocumentedErrors, windowOf } from './report';
import type { Outcome } from './traffic';

const outcome = (startedAt: number, ms: number, ok: boolean, code?: string): Outcome => ({
  index: startedAt,
  tenant: 't',
  requestId: `r${startedAt}`,
  stream: false,
  startedAt,
  ms,
  ok,
  ...(code ? { code } : {}),
});

describe('stack bench reports', () => {
  const outcomes = [
    outcome(0, 10, true),
    outcome(1, 30, true),
    outcome(2, 0, false, 'NO_ELIGIBLE_SITE'),
    outcome(3, 0, false, 'HTTP_502'),
    outcome(4, 0, false, 'CLIENT_TIMEOUT'),
    outcome(9, 50, true),
  ];

  it('cuts a window by start time, end excluded', () => {
    expect(windowOf(outcomes, 1, 9).map((o) => o.startedAt)).toEqual([1, 2, 3, 4]);
  });

  it('counts failures by code and summarises the answered ones', () => {
    expect(errorsByCode(outcomes)).toEqual({ CLIENT_TIMEOUT: 1, HTTP_502: 1, NO_ELIGIBLE_SITE: 1 });
    const w = summarizeWindow(windowOf(outcomes, 0, 5));
    expect(w).toMatchObject({ requests: 5, served: 2, p50_ms: 10, p99_ms: 30 });
    expect(summarizeWindow([outcome(0, 0, false, 'X')])).toMatchObject({ served: 0, p50_ms: null });
  });

  it("names failures with neither Federa's code nor a documented transport code", () => {
    expect(undocumentedErrors(outcomes)).toEqual({ CLIENT_TIMEOUT: 1 });
  });
});
