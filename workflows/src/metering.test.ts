import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputTolerance, meterSiteUsage } from './metering';

describe('meterSiteUsage', () => {
  it('bills the edge input count and the site output when the site agrees', () => {
    expect(
      meterSiteUsage({ edgeInputTokens: 100, maxTokens: 64, siteInputTokens: 100, siteOutputTokens: 32 }),
    ).toEqual({ inputTokens: 100, outputTokens: 32, flags: [] });
  });

  it('accepts a small difference in the input count (max(2, 1 %)) but records it', () => {
    expect(inputTolerance(10)).toBe(2);
    expect(inputTolerance(1000)).toBe(10);
    expect(
      meterSiteUsage({ edgeInputTokens: 1000, maxTokens: 64, siteInputTokens: 1010, siteOutputTokens: 8 }),
    ).toEqual({
      inputTokens: 1000,
      outputTokens: 8,
      flags: [],
      siteReported: { inputTokens: 1010, outputTokens: 8 },
    });
  });

  it('bills the edge count and flags the record when the site inflates the input', () => {
    expect(
      meterSiteUsage({ edgeInputTokens: 1000, maxTokens: 64, siteInputTokens: 1011, siteOutputTokens: 8 }),
    ).toEqual({
      inputTokens: 1000,
      outputTokens: 8,
      flags: ['SITE_USAGE_DISPUTED'],
      siteReported: { inputTokens: 1011, outputTokens: 8 },
    });
  });

  it('clamps output to max_tokens and flags it', () => {
    expect(
      meterSiteUsage({
        edgeInputTokens: 12,
        maxTokens: 64,
        siteInputTokens: 12,
        siteOutputTokens: 5_000_000,
      }),
    ).toEqual({
      inputTokens: 12,
      outputTokens: 64,
      flags: ['OUTPUT_CLAMPED'],
      siteReported: { inputTokens: 12, outputTokens: 5_000_000 },
    });
  });

  it('bills nothing for figures that are not counts, and disputes them', () => {
    expect(
      meterSiteUsage({ edgeInputTokens: 12, maxTokens: 64, siteInputTokens: -3, siteOutputTokens: 1.5 }),
    ).toMatchObject({ inputTokens: 12, outputTokens: 0, flags: ['SITE_USAGE_DISPUTED'] });
  });

  it('disputes nothing when the site gave no input figure (-1: a stream broken off before its usage)', () => {
    expect(
      meterSiteUsage({ edgeInputTokens: 12, maxTokens: 64, siteInputTokens: -1, siteOutputTokens: 7 }),
    ).toEqual({
      inputTokens: 12,
      outputTokens: 7,
      flags: [],
      siteReported: { inputTokens: -1, outputTokens: 7 },
    });
  });

  it('never bills more than the edge input and max_tokens, whatever the site says', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 200_000 }),
        fc.integer({ min: 1, max: 32_768 }),
        fc.oneof(fc.integer({ min: -10, max: 2 ** 40 }), fc.double()),
        fc.oneof(fc.integer({ min: -10, max: 2 ** 40 }), fc.double()),
        (edge, max, siteIn, siteOut) => {
          const m = meterSiteUsage({
            edgeInputTokens: edge,
            maxTokens: max,
            siteInputTokens: siteIn,
            siteOutputTokens: siteOut,
          });
          expect(m.inputTokens).toBe(edge);
          expect(Number.isSafeInteger(m.outputTokens)).toBe(true);
          expect(m.outputTokens).toBeGreaterThanOrEqual(0);
          expect(m.outputTokens).toBeLessThanOrEqual(max);
          if (m.siteReported === undefined) {
            expect([siteIn, siteOut]).toEqual([edge, m.outputTokens]);
          }
        },
      ),
    );
  });
});
