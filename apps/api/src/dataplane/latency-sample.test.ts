import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { timedExchange, type LatencySampling } from './latency-sample';

/** a sink that keeps what it is told (the real one is Redis: test/integration/routing-latency.test.ts) */
function sink(fail = false) {
  const samples: [string, string, number][] = [];
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const sampling: LatencySampling = {
    observations: {
      recordLatency: async (region, siteId, ms) => {
        samples.push([region, siteId, ms]);
        if (fail) throw new Error('redis is away');
      },
    },
    log,
  };
  return { sampling, samples, warnings };
}

/** a clock that moves only when told: the exchange's time is exact */
function steppedClock(...readings: number[]) {
  return () => readings.shift() ?? Number.NaN;
}

const key = { region: 'gb', siteId: 'par' };

describe('the API-side latency sample', () => {
  it('records the time from sending to the answer, once, under the tenant region and serving site', async () => {
    const { sampling, samples } = sink();
    const answer = await timedExchange(sampling, key, async () => 'first byte', steppedClock(1_000, 1_212.5));
    expect(answer).toBe('first byte');
    expect(samples).toEqual([['gb', 'par', 212.5]]);
  });

  it('records nothing for an attempt that failed (failover is the circuit’s business)', async () => {
    const { sampling, samples } = sink();
    const refused = new Error('NO_AGENT');
    await expect(
      timedExchange(sampling, key, () => Promise.reject(refused), steppedClock(0, 5_000)),
    ).rejects.toBe(refused);
    expect(samples).toEqual([]);
  });

  it('never fails or delays the answer when the sample cannot be stored', async () => {
    const { sampling, samples, warnings } = sink(true);
    await expect(timedExchange(sampling, key, async () => 42, steppedClock(0, 9))).resolves.toBe(42);
    expect(samples).toEqual([['gb', 'par', 9]]);
    await new Promise((r) => setImmediate(r));
    expect(warnings.join('')).toContain('recording a latency sample failed');
  });
});
