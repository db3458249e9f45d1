import { describe, expect, it } from 'vitest';
import { greatCircleKm, physicalRttPriorMs } from './geo';

describe('geo', () => {
  it('measures great-circle distances', () => {
    const paris = { lat: 48.8566, lon: 2.3522 };
    const london = { lat: 51.5074, lon: -0.1278 };
    expect(greatCircleKm(paris, london)).toBeGreaterThan(330);
    expect(greatCircleKm(paris, london)).toBeLessThan(350);
    expect(greatCircleKm(paris, paris)).toBe(0);
  });

  it('derives a round-trip prior from light in fibre', () => {
    const frankfurt = { lat: 50.11, lon: 8.68 };
    const tokyo = { lat: 35.68, lon: 139.69 };
    const km = greatCircleKm(frankfurt, tokyo);
    expect(physicalRttPriorMs(frankfurt, tokyo)).toBeCloseTo((2 * km * 1.5) / 200, 6);
  });
});
