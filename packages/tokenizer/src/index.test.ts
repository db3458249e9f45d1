import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chunkByTokens,
  countChatTokens,
  countTextTokens,
  syntheticCompletion,
  syntheticPieces,
} from './index';

describe('tokenizer', () => {
  it('counts with a real BPE, not by words', () => {
    expect(countTextTokens('hello world')).toBe(2);
    // one long word is several tokens; word splitting would say 1
    expect(countTextTokens('internationalisation')).toBeGreaterThan(1);
    expect(countTextTokens('')).toBe(0);
  });

  it('adds the chat framing per message and for the reply', () => {
    const one = countChatTokens([{ role: 'user', content: 'hi' }]);
    const two = countChatTokens([
      { role: 'user', content: 'hi' },
      { role: 'user', content: 'hi' },
    ]);
    expect(two - one).toBe(one - 3);
  });

  it('makes synthetic completions of exactly the asked length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer(), (n, seed) => {
        const out = syntheticCompletion(n, seed);
        expect(out.tokens).toBe(countTextTokens(out.text));
        expect(out.tokens).toBe(n);
      }),
      { numRuns: 200 },
    );
  });

  it('chunks text without losing any of it', () => {
    const text = syntheticCompletion(57, 3).text;
    expect(chunkByTokens(text, 4).join('')).toBe(text);
  });

  it('yields the synthetic completion word by word, every prefix counting the sum of its words', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer(), (n, seed) => {
        const pieces = [...syntheticPieces(n, seed)];
        expect(pieces.map((p) => p.text).join('')).toBe(syntheticCompletion(n, seed).text);
        let text = '';
        let tokens = 0;
        for (const piece of pieces) {
          text += piece.text;
          tokens += piece.tokens;
          expect(countTextTokens(text)).toBe(tokens);
        }
      }),
      { numRuns: 100 },
    );
  });
});
