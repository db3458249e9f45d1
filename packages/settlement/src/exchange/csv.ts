/**
 * RFC 4180 CSV, written deterministically (CRLF line ends, a header row, the same bytes for the same
 * rows) and safe to open in a spreadsheet: a text cell that would run as a formula gets a leading `'`
 * (OWASP CSV injection); our numbers stay numbers. The parser is for the offline recompute.
 */

/** a text cell starting with one of these is run as a formula by spreadsheets */
const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvCell = string | number | null;

export function csvCell(v: CsvCell): string {
  const raw = v === null ? '' : String(v);
  const s = typeof v === 'string' && FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvDocument(columns: readonly string[], rows: Iterable<readonly CsvCell[]>): string {
  const out = [columns.map(csvCell).join(',')];
  for (const r of rows) out.push(r.map(csvCell).join(','));
  return out.join('\r\n') + '\r\n';
}

/** Rows of an RFC 4180 document (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}
