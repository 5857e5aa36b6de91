/**
 * Personal-data detectors for `mask` and `hash`: each is a global regex (written to scan in
 * linear time: repetitions are over character classes or separator-led groups with small
 * bounds) plus an optional validator that rejects look-alikes, and a pre-check on the text's
 * features (text-features.ts, one pass per string for all detectors) that skips the regex for
 * text that cannot contain a validated hit. Each pre-check is a necessary condition of a hit,
 * so skipping never changes the result (detectors.test.ts compares with plain scanning).
 *
 * Built-ins, applied in this order (earlier ones win on overlapping text):
 * - `email`: RFC 5322 dot-atom local part @ a dotted domain with a letter TLD.
 * - `krrn`: Korean resident registration number (주민등록번호) YYMMDD-GNNNNNN with a valid date and
 *   G in 1-8; written without the hyphen it must also pass the check digit (numbers issued
 *   before October 2020 carry one; later ones are random, so only the hyphenated form is
 *   recognised for them).
 * - `card`: 13-19 digits, optionally grouped by spaces or hyphens, passing the Luhn check.
 * - `account`: an IBAN passing its mod-97 check, or a 8-20 digit number (hyphens allowed) after
 *   a word that says it is an account (`account`, `acct`, `a/c`, `IBAN`, `계좌`, `계좌번호`).
 * - `passport`: one or two capital letters and 7-8 digits (M12345678, the common ICAO-style
 *   numbers), the Korean 2021 form (M123A4567), or any 6-9 letter/digit code after `passport`
 *   / `여권`.
 * - `phone`: international `+CC ...` numbers, Korean numbers (010-1234-5678, 02-123-4567) and
 *   North American (555) 123-4567 / 555-123-4567; 9-15 digits in all.
 * - `ip`: IPv4 dotted quads and IPv6 addresses.
 */
import { parseIp } from './ip.ts';
import { newTextFeatures, scanText, type TextFeatures } from './text-features.ts';

export interface Detector {
  readonly name: string;
  /** Global regex; group 1, when present, is the part to replace (the rest is context). */
  readonly re: RegExp;
  readonly validate?: (m: string) => boolean;
  /**
   * False when `s`, whose features are `f`, cannot contain a validated hit (skips the regex).
   * Null: always scan (custom detectors).
   */
  readonly mayContain: ((f: TextFeatures, s: string) => boolean) | null;
  /** Narrows the scan of text with features `f` (default: `re` over the whole text). */
  readonly narrow?: (f: TextFeatures, plan: ScanPlan) => void;
}

/** How `redact` scans one text for one detector. */
export interface ScanPlan {
  /** A regex with the same validated hits as the detector's on this text. */
  re: RegExp;
  /** No hit starts before `from` or after `to`. */
  from: number;
  to: number;
}

export function luhn(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** Check digit of a 13-digit Korean RRN (weights 2..9,2..5, (11 - sum mod 11) mod 10). */
export function krrnChecksum(d: string): boolean {
  const w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (d.charCodeAt(i) - 48) * w[i]!;
  return (11 - (sum % 11)) % 10 === d.charCodeAt(12) - 48;
}

/** ISO 13616 IBAN check: move the first four characters to the end, letters to 10..35, mod 97 = 1. */
export function ibanValid(text: string): boolean {
  const s = text.replace(/ /g, '');
  if (s.length < 15 || s.length > 34) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 55;
    rem = v > 9 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

const onlyDigits = (m: string) => m.replace(/\D/g, '');

const PASSPORT_WORD = /[Pp]assport|PASSPORT|여권/;

/** Card and resident numbers lie inside a run of 13+ digits apart by single separators. */
function looseWindow(f: TextFeatures, plan: ScanPlan): void {
  plan.from = f.loose13From;
  plan.to = f.loose13To;
}
const ACCOUNT_WORD = /[Aa]ccount|ACCOUNT|[Aa]cct|ACCT|[Aa]\/[Cc]|IBAN|계좌/;

// IPv4 may follow a colon (`client:10.0.0.1`, `::ffff:10.0.0.1`); IPv6 may follow a colon
// that does not continue a hex run (`peer:2001:db8::1`)
const IPV4_SRC =
  '(?<![\\w.])(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}';
const IPV6_SRC = '(?<![\\w.]|[0-9A-Fa-f]:)(?:[0-9A-Fa-f]{1,4}|(?=::))(?::[0-9A-Fa-f]{0,4}){2,7}';
const IP_END = '(?![\\w.:])';
const IP_RE = new RegExp(`(?:${IPV4_SRC}|${IPV6_SRC})${IP_END}`, 'g');
const IPV4_RE = new RegExp(`${IPV4_SRC}${IP_END}`, 'g');
const IPV6_RE = new RegExp(`${IPV6_SRC}${IP_END}`, 'g');

export const BUILTIN_DETECTORS: readonly Detector[] = [
  {
    name: 'email',
    re: /[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b/g,
    mayContain: (f) => f.at,
  },
  {
    name: 'krrn',
    re: /(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:-|\s)?[1-8]\d{6}(?!\d)/g,
    validate: (m) => {
      const d = onlyDigits(m);
      return m.length !== 13 || krrnChecksum(d);
    },
    // YYMMDD is six digits in a row; thirteen digits apart by at most one hyphen or space
    mayContain: (f) => f.maxRun >= 6 && f.looseRun >= 13,
    narrow: looseWindow,
  },
  {
    name: 'card',
    re: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    validate: (m) => luhn(onlyDigits(m)),
    // 13-19 digits apart by at most one space or hyphen (and, as always, two digits in a row)
    mayContain: (f) => f.maxRun >= 2 && f.looseRun >= 13,
    narrow: looseWindow,
  },
  {
    name: 'account',
    re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b|(?:\b(?:[Aa]ccount|ACCOUNT|[Aa]cct|ACCT|[Aa]\/[Cc]|IBAN)|계좌(?:번호)?)(?:\s*(?:[Nn]o\.?|[Nn]umber|#|번호))?\s*[:=]?\s*(\d(?:-?\d){7,19})(?!\d)/g,
    validate: (m) => /^[A-Z]{2}\d/.test(m) === false || ibanValid(m),
    // an IBAN starts with two capitals and two digits; an account number has 8+ digits and
    // hyphens after its keyword
    mayContain: (f, s) => f.maxRun >= 2 && (f.ibanStart || (f.looseRun >= 8 && ACCOUNT_WORD.test(s))),
  },
  {
    name: 'passport',
    re: /\b(?:[A-Z]{1,2}\d{7,8}|[MSRODG]\d{3}[A-Z]\d{4})\b|(?:\b[Pp]assport|PASSPORT|여권)(?:\s*(?:[Nn]o\.?|[Nn]umber|#|번호))?\s*[:=]?\s*([A-Z0-9]{6,9})\b/g,
    // numbers start with a capital and 3+ digits; the keyword form needs its keyword
    mayContain: (f, s) => f.maxRun >= 2 && (f.capitalDigits || PASSPORT_WORD.test(s)),
  },
  {
    name: 'phone',
    re: /(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|0(?:1[016789]|2|[3-6][1-5]|70)[ .-]?\d{3,4}[ .-]?\d{4}|\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w-])/g,
    validate: (m) => {
      const n = onlyDigits(m).length;
      return n >= 9 && n <= 15;
    },
    // 9+ digits apart by at most two of ` .-()` (`+1 (415) 555-0100`); without a `+`, the
    // last group has four digits
    mayContain: (f) => f.phoneRun >= 9 && (f.maxRun >= 4 || (f.maxRun >= 2 && f.plus)),
    // a number lies in a run of 9+ digits, its `+` or `(` right before the run
    narrow: (f, plan) => {
      plan.from = Math.max(0, f.phone9From - 1);
      plan.to = f.phone9To;
    },
  },
  {
    name: 'ip',
    re: IP_RE,
    // a regex-matched dotted quad is always a valid address; the rest are IPv6 candidates
    validate: (m) => m.includes('.') || parseIp(m) !== null,
    mayContain: (f) => f.dottedQuad || f.v6Shape,
    // one family ruled out: the other's regex alone finds the same addresses; IPv4 ones start
    // where a dotted run starts
    narrow: (f, plan) => {
      if (f.v6Shape) {
        if (!f.dottedQuad) plan.re = IPV6_RE;
        return;
      }
      plan.re = IPV4_RE;
      plan.from = f.quadFrom;
      plan.to = f.quadTo;
    },
  },
];

export const BUILTIN_NAMES: readonly string[] = BUILTIN_DETECTORS.map((d) => d.name);

/** A detector from a user regex (compiled with `g` added); throws the RegExp error. */
export function customDetector(name: string, pattern: string, flags = ''): Detector {
  const re = new RegExp(pattern, flags.includes('g') ? flags : `${flags}g`);
  if (re.test('')) throw new Error('the pattern matches the empty string');
  return { name, re, mayContain: null };
}

// scratch records for `redact` (synchronous, so one per thread is enough)
const features = newTextFeatures();
const plan: ScanPlan = { re: /$^/g, from: 0, to: 0 };

/**
 * Replaces every detected datum in `s` with `replace(detector, datum)`; returns `s` itself when
 * nothing was found (no allocation). A candidate that fails validation does not consume its
 * text: the scan resumes one character later, so a card number right after other digits
 * (`id 1 4111 1111 1111 1111`) is still found. The text is measured once (and again only after
 * a detector changed it); detectors whose pre-check fails are skipped.
 */
export function redact(
  s: string,
  detectors: readonly Detector[],
  replace: (d: Detector, datum: string) => string,
): string {
  let text = s;
  let measured = false;
  for (const d of detectors) {
    plan.re = d.re;
    plan.from = 0;
    plan.to = text.length;
    if (d.mayContain !== null) {
      if (!measured) {
        scanText(text, features);
        measured = true;
      }
      if (!d.mayContain(features, text)) continue;
      d.narrow?.(features, plan);
    }
    const re = plan.re;
    const to = plan.to;
    re.lastIndex = plan.from;
    let out = '';
    let copied = 0;
    for (let m = re.exec(text); m !== null; m = re.lastIndex > to ? null : re.exec(text)) {
      const datum = m[1] ?? m[0];
      if (d.validate !== undefined && !d.validate(datum)) {
        re.lastIndex = m.index + 1;
        continue;
      }
      const at = m.index + m[0].length - datum.length;
      out += text.slice(copied, at) + replace(d, datum);
      copied = at + datum.length;
      if (m[0].length === 0) re.lastIndex++;
    }
    if (copied > 0) {
      text = out + text.slice(copied);
      measured = false;
    }
  }
  return text;
}
