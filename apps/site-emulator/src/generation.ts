/**
 * An emulated model's output, produced lazily in stream-sized chunks so that a site whose client
 * went away stops computing at once. Output is the tokenizer's deterministic filler for the prompt,
 * at most `limit` tokens, cut before the first stop sequence.
 *
 * Chunks are whole filler words (plus, when a stop sequence cuts one, the start of a word), and each
 * word starts a new pre-token, so the token counts of the chunks add up to the count of the text a
 * client reassembles: the site's meter and a relay counting what it forwards agree exactly.
 */
import { countTextTokens, syntheticPieces } from '@federa/tokenizer';

export interface Chunk {
  readonly text: string;
  readonly tokens: number;
}

export type FinishReason = 'stop' | 'length';

const TOKENS_PER_CHUNK = 4;

export class Generation {
  private readonly pieces: Iterator<{ text: string; tokens: number }>;
  private readonly longestStop: number;
  /** text produced but not yet handed out, kept back while it might begin a stop sequence */
  private pending: { text: string; tokens: number }[] = [];
  private pendingText = '';
  private exhausted = false;
  private stopped = false;
  /** tokens handed out so far */
  tokens = 0;

  /**
   * @param limit tokens at most (max_tokens, the site's own length, or a failure switch)
   * @param naturalLength the length the model "wants": reaching `limit` before it means 'length'
   */
  constructor(
    private readonly limit: number,
    private readonly naturalLength: number,
    seed: number,
    private readonly stops: readonly string[],
  ) {
    this.pieces = syntheticPieces(limit, seed);
    this.longestStop = Math.max(0, ...stops.map((s) => s.length));
  }

  /** The next chunk, or undefined when the output is complete. */
  next(): Chunk | undefined {
    if (this.stopped) return undefined;
    // read ahead until a chunk is ready and enough text follows it to rule out a stop sequence
    // starting inside it
    while (!this.exhausted && this.readyTokens() < TOKENS_PER_CHUNK) this.readPiece();
    if (this.stops.length > 0) {
      const cut = this.firstStop();
      if (cut !== undefined) return this.cutAt(cut);
    }
    return this.take();
  }

  /** Why the output ended: a stop sequence or the model's natural end → 'stop'; a cap → 'length'. */
  get finishReason(): FinishReason {
    return this.stopped || this.tokens >= this.naturalLength ? 'stop' : 'length';
  }

  /** The whole remaining output at once (plain completions). */
  rest(): string {
    let text = '';
    for (let c = this.next(); c; c = this.next()) text += c.text;
    return text;
  }

  private readPiece(): void {
    const piece = this.pieces.next();
    if (piece.done) {
      this.exhausted = true;
      return;
    }
    this.pending.push(piece.value);
    this.pendingText += piece.value.text;
  }

  /** tokens of the leading pending words that could be handed out now */
  private readyTokens(): number {
    let tokens = 0;
    let length = 0;
    for (const piece of this.pending) {
      length += piece.text.length;
      // a stop sequence starting in this word may run up to longestStop - 1 characters past it
      if (this.pendingText.length - length < this.longestStop - 1) break;
      tokens += piece.tokens;
    }
    return tokens;
  }

  private firstStop(): number | undefined {
    let first: number | undefined;
    for (const stop of this.stops) {
      const at = this.pendingText.indexOf(stop);
      if (at >= 0 && (first === undefined || at < first)) first = at;
    }
    return first;
  }

  /** Hands out whole words up to about one chunk (all that is left once the output is complete). */
  private take(): Chunk | undefined {
    let text = '';
    let tokens = 0;
    let length = 0;
    let count = 0;
    for (const piece of this.pending) {
      if (tokens >= TOKENS_PER_CHUNK) break;
      if (!this.exhausted && this.pendingText.length - length - piece.text.length < this.longestStop - 1)
        break;
      text += piece.text;
      tokens += piece.tokens;
      length += piece.text.length;
      count++;
    }
    if (count === 0) return undefined;
    this.pending = this.pending.slice(count);
    this.pendingText = this.pendingText.slice(length);
    this.tokens += tokens;
    return { text, tokens };
  }

  /** Ends the output just before `at` (an offset into the pending text). */
  private cutAt(at: number): Chunk | undefined {
    this.stopped = true;
    const text = this.pendingText.slice(0, at);
    this.pending = [];
    this.pendingText = '';
    if (text.length === 0) return undefined;
    const tokens = countTextTokens(text);
    this.tokens += tokens;
    return { text, tokens };
  }
}
