import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countTextTokens, syntheticCompletion } from '@federa/tokenizer';
import { Generation } from './generation';

function drain(g: Generation) {
  const chunks = [];
  for (let c = g.next(); c; c = g.next()) chunks.push(c);
  return chunks;
}

describe('Generation', () => {
  it('produces the synthetic completion in chunks whose token counts add up to the text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 2 ** 31 }), (n, seed) => {
        const g = new Generation(n, n, seed, []);
        const chunks = drain(g);
        const text = chunks.map((c) => c.text).join('');
        expect(text).toBe(syntheticCompletion(n, seed).text);
        expect(chunks.reduce((sum, c) => sum + c.tokens, 0)).toBe(countTextTokens(text));
        expect(g.tokens).toBe(n);
        expect(g.finishReason).toBe('stop');
      }),
      { numRuns: 100 },
    );
  });

  it('cuts the output before the first stop sequence, wherever it falls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.nat(),
        fc.integer({ min: 1, max: 12 }),
        (n, seed, from, length) => {
          const full = syntheticCompletion(n, seed).text;
          const start = from % full.length;
          const stop = full.slice(start, start + length);
          const g = new Generation(n, n, seed, ['never-in-the-output', stop]);
          const chunks = drain(g);
          const text = chunks.map((c) => c.text).join('');
          expect(text).toBe(full.slice(0, full.indexOf(stop)));
          expect(g.tokens).toBe(countTextTokens(text));
          expect(chunks.reduce((sum, c) => sum + c.tokens, 0)).toBe(g.tokens);
          expect(g.finishReason).toBe('stop');
        },
      ),
      { numRuns: 200 },
    );
  });

  it("says 'length' when capped before the model's natural end", () => {
    const capped = new Generation(10, 50, 7, []);
    expect(capped.rest()).toBe(syntheticCompletion(10, 7).text);
    expect(capped.finishReason).toBe('length');
    const whole = new Generation(50, 50, 7, ['not there']);
    expect(countTextTokens(whole.rest())).toBe(50);
    expect(whole.finishReason).toBe('stop');
  });

  it('computes nothing beyond the chunk asked for (a cancelled stream stops at once)', () => {
    const g = new Generation(1_000_000, 1_000_000, 3, []);
    const first = g.next();
    expect(first?.tokens).toBeGreaterThan(0);
    expect(g.tokens).toBe(first?.tokens);
  });
});
