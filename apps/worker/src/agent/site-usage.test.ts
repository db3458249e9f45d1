import { describe, expect, it } from 'vitest';
import { outputTolerance, siteOutputDisputed } from './site-usage';

describe("the agent's check of a site's output figure", () => {
  it('tolerates max(2 tokens, 2 %) either way', () => {
    expect(outputTolerance(0)).toBe(2);
    expect(outputTolerance(100)).toBe(2);
    expect(outputTolerance(101)).toBe(3);
    expect(outputTolerance(1_000)).toBe(20);
    expect(siteOutputDisputed(102, 100)).toBe(false);
    expect(siteOutputDisputed(98, 100)).toBe(false);
    expect(siteOutputDisputed(1_020, 1_000)).toBe(false);
    expect(siteOutputDisputed(980, 1_000)).toBe(false);
  });

  it('disputes a site that reports more than was relayed beyond the tolerance', () => {
    expect(siteOutputDisputed(103, 100)).toBe(true);
    expect(siteOutputDisputed(1_021, 1_000)).toBe(true);
    // a stream cut after 5 tokens that the site bills as the whole generation
    expect(siteOutputDisputed(4_096, 5)).toBe(true);
    expect(siteOutputDisputed(3, 0)).toBe(true);
  });

  it('disputes a site that reports fewer than was relayed beyond the tolerance', () => {
    expect(siteOutputDisputed(97, 100)).toBe(true);
    expect(siteOutputDisputed(0, 40)).toBe(true);
  });

  it('disputes nothing when the site gave no figure', () => {
    expect(siteOutputDisputed(-1, 100)).toBe(false);
    expect(siteOutputDisputed(Number.NaN, 100)).toBe(false);
    expect(siteOutputDisputed(1.5, 100)).toBe(false);
  });
});
