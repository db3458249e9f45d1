/**
 * Token counting whose cost is near-linear in the text's length, whatever the text.
 *
 * The o200k BPE merges inside one pre-token (a word, a run of spaces, a run of punctuation…) and
 * its cost grows with the square of that pre-token's length: 48,000 `a` (one pre-token) took
 * seconds. We pre-tokenize with the encoder's own split pattern, count ordinary text in slices cut
 * at pre-token boundaries (the BPE never merges across them, so those counts are exact), and cut
 * any pre-token longer than MAX_PRETOKEN_CHARS into slices of that many characters, counted apart.
 *
 * The approximation: only such over-long pre-tokens (no real word is 64 characters) are counted
 * by slices; merges across a slice boundary are lost, so their count can differ from the exact
 * BPE by about one token per slice, usually upwards (a hold sized from it errs on the safe side).
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

/** Longest pre-token counted whole; longer ones are counted in slices of this many characters. */
export const MAX_PRETOKEN_CHARS = 64;
/** Ordinary text is handed to the BPE in slices of about this many characters (cut between pre-tokens). */
const SLICE_CHARS = 4096;

/** Splits `piece` into slices of at most `size` UTF-16 units without cutting a surrogate pair. */
function* slices(piece: string, size: number): Generator<string> {
  let start = 0;
  while (start < piece.length) {
    let end = Math.min(start + size, piece.length);
    const last = piece.charCodeAt(end - 1);
    if (end < piece.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield piece.slice(start, end);
    start = end;
  }
}

export function countTextTokensBounded(text: string): number {
  if (text.length <= MAX_PRETOKEN_CHARS) return countTokens(text);
  const split = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);
  let total = 0;
  let sliceStart = 0;
  let sliceEnd = 0;
  const flush = () => {
    if (sliceEnd > sliceStart) total += countTokens(text.slice(sliceStart, sliceEnd));
  };
  for (const match of text.matchAll(split)) {
    const piece = match[0];
    const at = match.index;
    if (piece.length > MAX_PRETOKEN_CHARS) {
      flush();
      for (const part of slices(piece, MAX_PRETOKEN_CHARS)) total += countTokens(part);
      sliceStart = sliceEnd = at + piece.length;
      continue;
    }
    if (at + piece.length - sliceStart > SLICE_CHARS) {
      flush();
      sliceStart = at;
    }
    sliceEnd = at + piece.length;
  }
  flush();
  return total;
}
