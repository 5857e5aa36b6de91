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

/** Epoch µs of an ISO 8601 string (microsecond digits kept); throws on a bad string. */
export function isoUs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad ISO time in a test: ${iso}`);
  const frac = /\.(\d+)/.exec(iso)?.[1] ?? '';
  return ms * 1000 + Number(frac.slice(3, 6).padEnd(3, '0'));
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const p2 = (n: number) => String(n).padStart(2, '0');

/**
 * The `_time` (epoch µs) a row of a sample's `_structured.csv` should get, decoded from its
 * Date/Time columns on their own, as UTC. Android lines have no year: the most recent year that
 * is not more than a day after `receivedUs` (the same rule as the server's).
 */
export function expectedTimeUs(sample: string, r: Record<string, string>, receivedUs: number): number {
  switch (sample) {
    case 'Apache': {
      const [, mon, day, clock, year] = r.Time!.split(' ');
      return isoUs(`${year}-${p2(MONTHS.indexOf(mon!) / 3 + 1)}-${day}T${clock}Z`);
    }
    case 'HDFS': {
      const d = r.Date!;
      const t = r.Time!;
      return isoUs(
        `20${d.slice(0, 2)}-${d.slice(2, 4)}-${d.slice(4, 6)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}Z`,
      );
    }
    case 'Spark':
      return isoUs(`20${r.Date!.replaceAll('/', '-')}T${r.Time}Z`);
    case 'Zookeeper':
    case 'Hadoop':
      return isoUs(`${r.Date}T${r.Time!.replace(',', '.')}Z`);
    case 'Android': {
      const limit = receivedUs + 86_400_000_000;
      for (let y = new Date(limit / 1000).getUTCFullYear(); ; y--) {
        const t = isoUs(`${y}-${r.Date}T${r.Time}Z`);
        if (t <= limit) return t;
      }
    }
    case 'HealthApp': {
      // yyyyMMdd-H:m:s:S: unpadded fields, the last one in milliseconds
      const [date, clock] = r.Time!.split('-');
      const [h, m, s, ms] = clock!.split(':').map(Number);
      const day = `${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6, 8)}`;
      return isoUs(`${day}T${p2(h!)}:${p2(m!)}:${p2(s!)}Z`) + ms! * 1000;
    }
    default:
      throw new Error(`no time rule for the ${sample} sample`);
  }
}

/** The CSV Level column mapped to logwarden's normalised level. */
export const LOGHUB_LEVEL: Record<string, string> = {
  notice: 'notice',
  error: 'error',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'critical',
  V: 'trace',
  D: 'debug',
  I: 'info',
  W: 'warn',
  E: 'error',
};
