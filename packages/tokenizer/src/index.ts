/**
 * Token counting for holds and for the site emulator, with OpenAI's o200k_base BPE (the
 * gpt-tokenizer package, a pure-JS port of tiktoken). Both sides count with the same encoder, so an
 * emulated site reports exactly the prompt tokens the hold was sized for.
 *
 * Chat framing follows OpenAI's published accounting: every message costs its content tokens plus a
 * fixed overhead for role and separators, and every reply is primed with a few more.
 */
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';

export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_REPLY_PRIMING = 3;

export interface ChatMessageLike {
  readonly role: string;
  readonly content: string;
}

export function countTextTokens(text: string): number {
  return countTokens(text);
}

export function countChatTokens(messages: readonly ChatMessageLike[]): number {
  let total = TOKENS_PER_REPLY_PRIMING;
  for (const m of messages) total += TOKENS_PER_MESSAGE + countTokens(m.role) + countTokens(m.content);
  return total;
}

const CORPUS =
  'Sovereign inference keeps data inside the jurisdictions its owner allows. Operators federate their ' +
  'GPU sites so that a tenant in one country can be served by a partner network nearby, metered in ' +
  'tokens and settled between operators like roaming. Latency, load and price decide among the sites ' +
  'that the policy permits; the policy itself is never traded away for speed. ';
const CORPUS_TOKENS = encode(CORPUS.repeat(8));

/**
 * Deterministic filler text of `n` tokens (the emulator's "model output"). The exact count is
 * measured on the decoded text, because BPE does not always round-trip a cut token sequence.
 */
export function syntheticCompletion(n: number, seed: number): { text: string; tokens: number } {
  if (n <= 0) return { text: '', tokens: 0 };
  const start = Math.abs(seed) % 64;
  const ids: number[] = [];
  while (ids.length < n) {
    const from = ids.length === 0 ? start : 0;
    ids.push(...CORPUS_TOKENS.slice(from, from + (n - ids.length)));
  }
  const text = decode(ids);
  return { text, tokens: countTokens(text) };
}

/** Split a completion into stream chunks of roughly `tokensPerChunk` tokens each. */
export function chunkByTokens(text: string, tokensPerChunk: number): string[] {
  const ids = encode(text);
  const chunks: string[] = [];
  for (let i = 0; i < ids.length; i += tokensPerChunk) chunks.push(decode(ids.slice(i, i + tokensPerChunk)));
  return chunks;
}
