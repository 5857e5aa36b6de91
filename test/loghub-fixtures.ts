/**
 * Shared access to the Loghub samples in test/fixtures/loghub (real logs with `_structured.csv`
 * ground truth; licence in that folder): an RFC 4180 CSV reader and the folder's location.
 */

export const LOGHUB_DIR = new URL('./fixtures/loghub/', import.meta.url);

/** RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes, CRLF or LF). */
export function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
