import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { federationEnvShape, settlementScheduleOf } from './env';
import { temporalEnvShape } from './temporal-env';

const env = z.object({ ...federationEnvShape, ...temporalEnvShape });
const schedule = (vars: Record<string, string>) => settlementScheduleOf(env.parse(vars));

describe('the default settlement schedule', () => {
  it('is a calendar month in UTC in production, fixed periods in dev and tests', () => {
    expect(schedule({ FEDERA_ENV: 'production' })).toEqual({
      schedule: { kind: 'calendar', unit: 'month', timeZone: 'UTC' },
    });
    expect(schedule({})).toEqual({});
    expect(schedule({ FEDERA_ENV: 'test' })).toEqual({});
  });

  it('follows FEDERA_SETTLEMENT_PERIOD and FEDERA_SETTLEMENT_TIME_ZONE', () => {
    expect(
      schedule({ FEDERA_SETTLEMENT_PERIOD: 'week', FEDERA_SETTLEMENT_TIME_ZONE: 'Europe/Paris' }),
    ).toEqual({
      schedule: { kind: 'calendar', unit: 'week', timeZone: 'Europe/Paris' },
    });
    expect(schedule({ FEDERA_ENV: 'production', FEDERA_SETTLEMENT_PERIOD: 'fixed' })).toEqual({});
  });

  it('refuses an unknown unit or time zone at start-up', () => {
    expect(() => env.parse({ FEDERA_SETTLEMENT_PERIOD: 'fortnight' })).toThrow();
    expect(() => env.parse({ FEDERA_SETTLEMENT_TIME_ZONE: 'Mars/Olympus' })).toThrow(/IANA/);
  });
});
