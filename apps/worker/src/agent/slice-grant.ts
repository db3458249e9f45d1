/**
 * The site agent's side of slice grants: it relays within the output tokens granted so far, asks
 * the request's workflow for the next slice once the relayed count reaches the low-water mark (a
 * quarter of a slice left), in parallel with the relay, and never relays past what is granted at
 * that moment: a piece that would cross the grant waits for the answer. A refused (or unanswered)
 * slice ends the generation at the granted total.
 */
import type { GrantAnswer } from '@federa/workflows';

/** ask for the next slice when this share of a slice (or less) is left */
export const LOW_WATER_SHARE = 0.25;

/** code in the end frame when the workflow gave no answer at all (the update failed) */
export const GRANT_UNANSWERED = 'GRANT_EXHAUSTED';

export type AskGrant = (seq: number, tokens: number) => Promise<GrantAnswer>;

/** the longest the relay waits for a slice's answer before it stops at what is granted */
export const GRANT_ANSWER_TIMEOUT_MS = 10_000;

/**
 * The asker, bounded: it gives up when the relay ends (client gone, site timeout) or the answer
 * takes longer than `timeoutMs` — the relay then stops at the grant instead of hanging on it.
 */
export function boundedAsk(ask: AskGrant, relay: AbortSignal, timeoutMs = GRANT_ANSWER_TIMEOUT_MS): AskGrant {
  return (seq, tokens) => {
    const stop = AbortSignal.any([relay, AbortSignal.timeout(timeoutMs)]);
    const stopped = new Promise<never>((_, reject) => {
      const fail = () => reject(new Error('no answer to the grant in time'));
      if (stop.aborted) fail();
      else stop.addEventListener('abort', fail, { once: true });
    });
    return Promise.race([ask(seq, tokens), stopped]);
  };
}

/** Tokens left at which the next slice is asked for: a quarter of a slice, at least one token. */
export function lowWaterMark(sliceTokens: number): number {
  return Math.max(1, Math.floor(sliceTokens * LOW_WATER_SHARE));
}

export class SliceGrant {
  private grantedTokens: number;
  private readonly slice: number;
  private seq = 0;
  private asking: Promise<void> | null = null;
  private refusal: string | undefined;

  /**
   * @param first the tokens granted at admission (also the size of each later slice)
   * @param ceiling the most the request may use (the client's max_tokens); first = ceiling: no slices
   */
  constructor(
    first: number,
    private readonly ceiling: number,
    private readonly ask: AskGrant,
  ) {
    this.grantedTokens = Math.min(first, ceiling);
    this.slice = Math.max(1, first);
  }

  get granted(): number {
    return this.grantedTokens;
  }

  /** why the grant stopped short of the ceiling (a Federa code), or undefined */
  get refused(): string | undefined {
    return this.refusal;
  }

  private get canGrow(): boolean {
    return this.refusal === undefined && this.grantedTokens < this.ceiling;
  }

  /** Start asking for the next slice if the relayed count reached the low-water mark (no wait). */
  askAheadIfLow(relayed: number): void {
    if (this.asking || !this.canGrow) return;
    if (this.grantedTokens - relayed > lowWaterMark(this.slice)) return;
    this.asking = this.askNext().finally(() => (this.asking = null));
  }

  /**
   * How many of `wanted` more tokens may be relayed now: all of them within the grant; otherwise,
   * after the answers to the slices asked for (as many as it takes), what the grant then allows.
   */
  async room(relayed: number, wanted: number): Promise<number> {
    while (relayed + wanted > this.grantedTokens && (this.asking || this.canGrow)) {
      this.asking ??= this.askNext().finally(() => (this.asking = null));
      await this.asking;
    }
    return Math.max(0, Math.min(wanted, this.grantedTokens - relayed));
  }

  private async askNext(): Promise<void> {
    const seq = ++this.seq;
    const tokens = Math.min(this.slice, this.ceiling - this.grantedTokens);
    try {
      const answer = await this.ask(seq, tokens);
      if (answer.refused) this.refusal = answer.refused;
      // the workflow's total only grows; one at or below ours grants nothing more
      if (answer.grantedTokens > this.grantedTokens)
        this.grantedTokens = Math.min(answer.grantedTokens, this.ceiling);
      else if (!answer.refused) this.refusal = GRANT_UNANSWERED;
    } catch {
      this.refusal = GRANT_UNANSWERED;
    }
  }
}
