/** Typed reads of parsed flags: every bad value becomes a UsageError (exit 2) before any call. */
import { UsageError } from './client';

export class Args {
  constructor(
    private readonly values: Readonly<Record<string, unknown>>,
    readonly positionals: readonly string[],
  ) {}

  /** runApiCommand has checked the count; this keeps the index typed without a non-null assertion. */
  positional(index: number, name: string): string {
    const v = this.positionals[index];
    if (v === undefined || v === '') throw new UsageError(`${name} is required`);
    return v;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  required(name: string): string {
    const v = this.string(name);
    if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
    return v;
  }

  /** Prices and limits are integers on the API; refusing `1.5` here beats a VALIDATION_FAILED there. */
  integer(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
      throw new UsageError(`--${name} takes a non-negative integer (got '${v}')`);
    }
    return n;
  }

  number(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} takes a number (got '${v}')`);
    return n;
  }

  /** every value of an option declared with `multiple: true`, in the order given */
  strings(name: string): string[] {
    const v = this.values[name];
    if (typeof v === 'string') return [v];
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  }

  list(name: string): string[] | undefined {
    const items = this.string(name)
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return items && items.length > 0 ? items : undefined;
  }
}
