/**
 * The Idempotency-Keys a site has served, bounded: the most recently seen `capacity` keys are kept
 * (least recently seen dropped first), so an emulator running for days cannot grow without limit.
 * A Map iterates in insertion order, so re-inserting a key on each sighting makes the first entry
 * the least recently seen one: a small LRU without a dependency.
 */
export class SeenKeys {
  private readonly keys = new Map<string, true>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be a positive integer');
  }

  /** Records a sighting; true when the key had been seen (and is still remembered). */
  see(key: string): boolean {
    const seen = this.keys.delete(key);
    this.keys.set(key, true);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.keys().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
    return seen;
  }

  get size(): number {
    return this.keys.size;
  }
}
