import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { MAX_PRETOKEN_CHARS, countTextTokensBounded } from './bounded-count';
import { countChatTokens } from './index';

const WORDS = [
  'hello',
  'world',
  'Federa',
  'routes',
  "don't",
  'inference',
  '12345',
  '€uros',
  'ünïcödé',
  '日本語',
  '🙂',
  'https://example.com/a?b=c',
  '   ',
  '\n\n',
  '\r\n',
  '\t',
  '!!',
  '--',
  'x_y',
  'CamelCase',
];

describe('bounded token counting', () => {
  it('counts ordinary text exactly like the o200k BPE', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...WORDS), { maxLength: 3000 }),
        fc.constantFrom(' ', '', '\n'),
        (words, sep) => {
          const text = words.join(sep);
          expect(countTextTokensBounded(text)).toBe(countTokens(text));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('counts long ordinary prose (sliced between pre-tokens) exactly', () => {
    const prose = 'The quick brown fox, 1234 times, jumps over the lazy dog!\n\t日本語 ünïcödé 🙂 '.repeat(
      2000,
    );
    expect(countTextTokensBounded(prose)).toBe(countTokens(prose));
  });

  it('counts a pathological run by slices of MAX_PRETOKEN_CHARS (linear work, not one quadratic BPE)', () => {
    const slice = countTokens('a'.repeat(MAX_PRETOKEN_CHARS));
    expect(countTextTokensBounded('a'.repeat(48_000))).toBe((48_000 / MAX_PRETOKEN_CHARS) * slice);
    // 900 KiB without a space: counted at all (the plain BPE would take minutes), and close to per-char truth
    const huge = 'a'.repeat(900 * 1024);
    expect(countTextTokensBounded(huge)).toBe((huge.length / MAX_PRETOKEN_CHARS) * slice);
  });

  it('never cuts a surrogate pair when slicing', () => {
    const emoji = '🙂'.repeat(1000);
    expect(countTextTokensBounded(emoji)).toBe(countTokens(emoji));
  });

  it('is what countChatTokens uses', () => {
    const messages = [{ role: 'user', content: 'a'.repeat(48_000) }];
    expect(countChatTokens(messages)).toBe(
      3 + 3 + countTokens('user') + countTextTokensBounded('a'.repeat(48_000)),
    );
  });
});
