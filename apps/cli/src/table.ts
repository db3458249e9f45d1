/**
 * Plain-text tables for terminal output. Pure: no I/O, so the layout is unit-tested and the
 * commands only decide which columns to show.
 */

export type Cell = string | number | boolean | null | undefined;

/** Shown for a missing value, so an empty cell never looks like a misaligned column. */
export const EMPTY = '-';

const GAP = '  ';

export function cellText(value: Cell): string {
  if (value === null || value === undefined || value === '') return EMPTY;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/**
 * Columns are as wide as their widest cell. A column whose values are all numbers is
 * right-aligned so that magnitudes line up; trailing spaces are trimmed so output diffs cleanly.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const texts = rows.map((row) => header.map((_, i) => cellText(row[i])));
  const widths = header.map((h, i) => Math.max(h.length, ...texts.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) =>
      rows.length > 0 &&
      rows.every((r) => {
        const v = r[i];
        return typeof v === 'number' || v === null || v === undefined;
      }) &&
      rows.some((r) => typeof r[i] === 'number'),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const width = widths[i] ?? c.length;
        return numeric[i] ? c.padStart(width) : c.padEnd(width);
      })
      .join(GAP)
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w));
  return [line(header), line(rule), ...texts.map(line)].join('\n');
}

/** One record as aligned `key  value` lines, for commands that return a single object. */
export function formatRecord(pairs: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}${GAP}${cellText(v)}`.trimEnd()).join('\n');
}

/** Long JSON (audit before/after) would push every other column off screen; --json has it whole. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
