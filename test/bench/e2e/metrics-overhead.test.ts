import { describe, expect, it } from 'vitest';
import type { Role } from './cpu';
import { overheadOf } from './metrics-overhead';

const usage = (api: number, worker: number, temporal: number): Record<Role, number | null> => ({
  api,
  worker,
  agent: null,
  temporal,
  redis: 10,
  sites: 50,
  client: 20,
});

describe('the metrics overhead figures', () => {
  it('compares CPU per request of our processes and of the whole stack, on against off', () => {
    const o = overheadOf(
      { usage: usage(1000, 500, 1000), served: 100 },
      { usage: usage(1100, 550, 1000), served: 100 },
    );
    expect(o.off.federa).toBe(15);
    expect(o.on.federa).toBe(16.5);
    expect(o.federa_delta_pct).toBe(10);
    // Temporal and Redis are unchanged: the whole stack's delta is smaller
    expect(o.total_delta_pct).toBeCloseTo((1.5 / 25.1) * 100, 1);
  });

  it('divides by the requests each setting served', () => {
    const o = overheadOf(
      { usage: usage(1000, 0, 0), served: 100 },
      { usage: usage(2000, 0, 0), served: 200 },
    );
    expect(o.federa_delta_pct).toBe(0);
  });
});
