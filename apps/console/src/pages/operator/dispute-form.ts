/**
 * The dispute form's rules, checked before anything is sent: at least one line chosen, and for each
 * chosen line the operator's own figure as a money amount. The API checks it all again.
 */
import { parseMoney } from '../../ui/money';

export interface DisputeDraftLine {
  readonly lineNo: number;
  readonly selected: boolean;
  /** the operator's own amount for the line, as typed (units, e.g. "0.0012") */
  readonly amount: string;
}

export type DisputeBuild =
  | { readonly ok: true; readonly lines: { lineNo: number; amount: number }[] }
  | { readonly ok: false; readonly errors: Partial<Record<number | 'form', string>> };

export function buildDispute(draft: readonly DisputeDraftLine[]): DisputeBuild {
  const chosen = draft.filter((l) => l.selected);
  if (chosen.length === 0) return { ok: false, errors: { form: 'Choose at least one line to dispute.' } };
  const errors: Record<number, string> = {};
  const lines: { lineNo: number; amount: number }[] = [];
  for (const l of chosen) {
    const amount = parseMoney(l.amount);
    if (amount === undefined)
      errors[l.lineNo] = `Line ${l.lineNo}: enter your amount as a number, e.g. 0.0012 (up to 6 decimals).`;
    else lines.push({ lineNo: l.lineNo, amount });
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, lines };
}

/** `2026-01-01T00:00:00.000Z/rhein~albion` → `federa-statement-2026-01-01T00-00-00Z-rhein-albion.csv` */
export function csvFilename(statementId: string): string {
  const safe = statementId
    .replace(/\.000Z/g, 'Z')
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `federa-statement-${safe}.csv`;
}
