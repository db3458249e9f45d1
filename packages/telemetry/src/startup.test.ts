import { describe, expect, it } from 'vitest';
import { startupRefusalLine } from './startup';

describe('startupRefusalLine', () => {
  it('is one JSON line with the error code and message, no stack', () => {
    const err = Object.assign(
      new Error('FEDERA_CLEARING_KEY_FILE is set: the API never holds the clearing key'),
      {
        code: 'KEY_PURPOSE_MISMATCH',
      },
    );
    const line = startupRefusalLine('federa-api', err);
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      level: 60,
      name: 'federa-api',
      code: 'KEY_PURPOSE_MISMATCH',
      msg: 'refusing to start: FEDERA_CLEARING_KEY_FILE is set: the API never holds the clearing key',
    });
    expect(line).not.toContain('at ');
  });

  it('names a generic code for errors without one', () => {
    expect(JSON.parse(startupRefusalLine('federa-worker', new Error('bad'))).code).toBe('STARTUP_REFUSED');
    expect(JSON.parse(startupRefusalLine('federa-worker', 'plain')).msg).toBe('refusing to start: plain');
  });
});
