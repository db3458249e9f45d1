/**
 * A structural diff of two JSON values (policy versions, audit entries' before/after): one line per
 * leaf that was added, removed or changed, named by its path (`weights.price`,
 * `tenantOverrides.acme.excludedSites[0]`). Pure, so it is unit-tested and the pages only render it.
 */

export type DiffKind = 'added' | 'removed' | 'changed';

export interface DiffLine {
  readonly path: string;
  readonly kind: DiffKind;
  readonly before?: unknown;
  readonly after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Every difference between `before` and `after`, in path order; [] when they are equal. */
export function diffValues(before: unknown, after: unknown, path = ''): DiffLine[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ path: path || '(value)', kind: 'added', after }];
  if (after === undefined) return [{ path: path || '(value)', kind: 'removed', before }];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffValues(before[k], after[k], join(path, k)));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: DiffLine[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++)
      out.push(...diffValues(before[i], after[i], `${path}[${i}]`));
    return out;
  }
  if (Object.is(before, after)) return [];
  // null → something (a created record) is an addition, something → null a removal
  if (before === null) return [{ path: path || '(value)', kind: 'added', after }];
  if (after === null) return [{ path: path || '(value)', kind: 'removed', before }];
  return [{ path: path || '(value)', kind: 'changed', before, after }];
}

/** A leaf value as one short line of text. */
export function showValue(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
