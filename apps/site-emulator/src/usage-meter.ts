/**
 * The site's own record of what it did per Idempotency-Key: the control plane asks for it when a
 * site agent died mid-request and never reported usage. Bounded like SeenKeys: the most recently
 * touched `capacity` keys are kept, least recently touched forgotten first.
 *
 * A request served again under the same key replaces the record: the latest attempt is what the
 * site says it did for that key.
 */
export type UsageState = 'generating' | 'completed' | 'cancelled';

export interface UsageRecord {
  readonly key: string;
  state: UsageState;
  prompt_tokens: number;
  /** completion tokens sent so far (while generating) or in total */
  completion_tokens: number;
  /** ISO-8601 time of the last change */
  updated_at: string;
}

/** One request's entry, updated as it generates; a replaced entry's updates no longer show. */
export interface UsageEntry {
  progress(completionTokens: number): void;
  finish(state: Exclude<UsageState, 'generating'>, completionTokens: number): void;
}

const NO_KEY: UsageEntry = { progress: () => undefined, finish: () => undefined };

export class UsageMeter {
  private readonly records = new Map<string, UsageRecord>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be a positive integer');
  }

  /** Starts a request's record; without a key nothing is kept (and the entry's updates are no-ops). */
  begin(key: string | undefined, promptTokens: number): UsageEntry {
    if (key === undefined) return NO_KEY;
    const record: UsageRecord = {
      key,
      state: 'generating',
      prompt_tokens: promptTokens,
      completion_tokens: 0,
      updated_at: new Date().toISOString(),
    };
    this.store(record);
    const update = (state: UsageState, completionTokens: number) => {
      record.state = state;
      record.completion_tokens = completionTokens;
      record.updated_at = new Date().toISOString();
    };
    return {
      progress: (n) => update('generating', n),
      finish: (state, n) => update(state, n),
    };
  }

  get(key: string): UsageRecord | undefined {
    const record = this.records.get(key);
    return record ? { ...record } : undefined;
  }

  get size(): number {
    return this.records.size;
  }

  private store(record: UsageRecord): void {
    this.records.delete(record.key);
    this.records.set(record.key, record);
    if (this.records.size > this.capacity) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }
}
