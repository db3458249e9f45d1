/**
 * Token counting for holds and for the site emulator, with OpenAI's o200k_base BPE (the
 * gpt-tokenizer package, a pure-JS port of tiktoken). Both sides count with the same encoder, so an
 * emulated site reports exactly the prompt tokens the hold was sized for.
 *
 * Chat framing follows OpenAI's published accounting: every message costs its content tokens plus a
 * fixed overhead for role and separators, and every reply is primed with a few more.
 */
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import { countTextTokensBounded } from './bounded-count';

export { MAX_PRETOKEN_CHARS, countTextTokensBounded } from './bounded-count';

export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_REPLY_PRIMING = 3;

export interface ChatMessageLike {
  readonly role: string;
  readonly content: string;
}

/** Exact o200k count for ordinary text; near-linear and approximate for pathological runs (see bounded-count). */
export function countTextTokens(text: string): number {
  return countTextTokensBounded(text);
}

/** The one chat count every side uses (API, control activity fallback, emulator). */
export function countChatTokens(messages: readonly ChatMessageLike[]): number {
  let total = TOKENS_PER_REPLY_PRIMING;
  for (const m of messages)
    total += TOKENS_PER_MESSAGE + countTextTokens(m.role) + countTextTokens(m.content);
  return total;
}

/** Characters a chat's counting has to read: checked against a cap before any counting. */
export function chatChars(messages: readonly ChatMessageLike[]): number {
  let total = 0;
  for (const m of messages) total += m.role.length + m.content.length;
  return total;
}

const CORPUS =
  'sovereign inference keeps data inside the jurisdictions its owner allows operators federate their ' +
  'gpu sites so that a tenant in one country can be served by a partner network nearby metered in ' +
  'tokens and settled between operators like roaming latency load and price decide among the sites ' +
  'that the policy permits the policy itself is never traded away for speed';
// Each word carries its leading space. The BPE pre-tokenizer splits text at such word boundaries, so
// the token count of a sequence of these words is the sum of their own counts.
const WORDS = CORPUS.split(' ').map((w) => ({ text: ` ${w}`, tokens: countTokens(` ${w}`) }));
const ONE_TOKEN_WORDS = WORDS.filter((w) => w.tokens === 1);

/**
 * The words of `syntheticCompletion(n, seed)`, one at a time with their token counts, so a streaming
 * site can produce its output lazily and stop computing the moment its client goes away. The
 * counts add up: every word starts a new pre-token, so a prefix of the words has the sum of their
 * counts as its own count.
 */
export function* syntheticPieces(n: number, seed: number): Generator<{ text: string; tokens: number }> {
  let i = Math.abs(seed) % WORDS.length;
  let remaining = n;
  while (remaining > 0) {
    const word = WORDS[i % WORDS.length]!;
    const pick = word.tokens <= remaining ? word : ONE_TOKEN_WORDS[i % ONE_TOKEN_WORDS.length]!;
    yield pick;
    remaining -= pick.tokens;
    i++;
  }
}

/** Deterministic filler text of exactly `n` tokens (the emulator's "model output"). */
export function syntheticCompletion(n: number, seed: number): { text: string; tokens: number } {
  if (n <= 0) return { text: '', tokens: 0 };
  const parts: string[] = [];
  for (const piece of syntheticPieces(n, seed)) parts.push(piece.text);
  const text = parts.join('');
  return { text, tokens: countTokens(text) };
}

/** Split a completion into stream chunks of roughly `tokensPerChunk` tokens each. */
export function chunkByTokens(text: string, tokensPerChunk: number): string[] {
  const ids = encode(text);
  const chunks: string[] = [];
  for (let i = 0; i < ids.length; i += tokensPerChunk) chunks.push(decode(ids.slice(i, i + tokensPerChunk)));
  return chunks;
}
