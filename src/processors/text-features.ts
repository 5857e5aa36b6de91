/**
 * One pass over a string that measures what the personal-data detectors (detectors.ts) need
 * before their regexes can match: digit runs, digits separated the way card, phone and
 * resident numbers allow, dotted quads, IPv6 shapes, `@`. Each detector's pre-check is a
 * necessary condition of a validated hit written in these terms, so a string whose features
 * rule every detector out is never handed to a regex (most log fields: names, paths, hex ids,
 * timestamps).
 *
 * `scanText` fills a caller-owned `TextFeatures` (no allocation per string); the record is
 * only meaningful for the string last scanned into it. `\d` here is ASCII 0-9, as in the
 * detectors' (non-unicode) regexes; "whitespace" is exactly JavaScript's `\s`.
 */

export interface TextFeatures {
  /** The string contains `@`. */
  at: boolean;
  /** Longest run of consecutive digits. */
  maxRun: number;
  /** Most digits in a run where consecutive digits are apart by at most one `-` or whitespace. */
  looseRun: number;
  /** Where the first such run of 13+ digits starts and the last one ends (-1 without one). */
  loose13From: number;
  loose13To: number;
  /** Most digits in a run where consecutive digits are apart by at most two of ` .-()`. */
  phoneRun: number;
  /** Where the first such run of 9+ digits starts and the last one ends (-1 without one). */
  phone9From: number;
  phone9To: number;
  /** Two capital letters directly followed by two digits (how an IBAN starts). */
  ibanStart: boolean;
  /** A capital letter directly followed by three digits (how passport numbers start). */
  capitalDigits: boolean;
  /** The string contains `+`. */
  plus: boolean;
  /** Four or more digit groups joined by single dots (an IPv4 dotted quad is one). */
  dottedQuad: boolean;
  /**
   * Where the first and the last such dotted run start (-1 without one): an IPv4 address that
   * follows neither a dot nor a digit starts at one of those runs' starts.
   */
  quadFrom: number;
  quadTo: number;
  /** `::` or at least seven colons: a valid IPv6 text form (without dots) has one of them. */
  v6Shape: boolean;
}

export function newTextFeatures(): TextFeatures {
  return {
    at: false,
    maxRun: 0,
    looseRun: 0,
    loose13From: -1,
    loose13To: -1,
    phoneRun: 0,
    phone9From: -1,
    phone9To: -1,
    ibanStart: false,
    capitalDigits: false,
    plus: false,
    dottedQuad: false,
    quadFrom: -1,
    quadTo: -1,
    v6Shape: false,
  };
}

/** JavaScript's `\s` (WhiteSpace and LineTerminator). */
export function isJsSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
/** Between card / resident-number digits: `-` or whitespace. */
const isLooseSep = (c: number) => c === 45 || isJsSpace(c);
/** Between phone digits: ` .-()`. */
const isPhoneSep = (c: number) => c === 32 || c === 46 || c === 45 || c === 40 || c === 41;

/**
 * Measures `s` into `f` (overwriting it). Walks the string once, a digit run at a time: the
 * characters between two runs decide whether the runs join (loose, phone and dotted runs).
 */
export function scanText(s: string, f: TextFeatures): void {
  const n = s.length;
  let at = false;
  let plus = false;
  let colons = 0;
  let v6Shape = false;
  let maxRun = 0;
  let loose = 0;
  let looseMax = 0;
  let looseFrom = 0;
  let loose13From = -1;
  let loose13To = -1;
  let phone = 0;
  let phoneMax = 0;
  let phoneFrom = 0;
  let phone9From = -1;
  let phone9To = -1;
  let ibanStart = false;
  let capitalDigits = false;
  let groups = 0; // digit groups in the current dotted run
  let groupsFrom = 0; // where the current dotted run starts
  let quadFrom = -1;
  let quadTo = -1;
  let end = -3; // just after the previous digit run (far enough back that nothing joins it)
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) {
      if (c === 64) at = true;
      else if (c === 43) plus = true;
      else if (c === 58) {
        colons++;
        if (colons >= 7 || (i > 0 && s.charCodeAt(i - 1) === 58)) v6Shape = true;
      }
      i++;
      continue;
    }
    const start = i;
    for (i++; i < n && isDigit(s.charCodeAt(i)); i++);
    const len = i - start;
    const gap = start - end;
    const before = start > 0 ? s.charCodeAt(start - 1) : 0;
    if (len > maxRun) maxRun = len;
    if (gap === 1 && isLooseSep(before)) loose += len;
    else {
      loose = len;
      looseFrom = start;
    }
    if (loose > looseMax) looseMax = loose;
    if (loose >= 13) {
      if (loose13From < 0) loose13From = looseFrom;
      loose13To = i;
    }
    const phoneJoins =
      isPhoneSep(before) && (gap === 1 || (gap === 2 && start > 1 && isPhoneSep(s.charCodeAt(start - 2))));
    if (phoneJoins) phone += len;
    else {
      phone = len;
      phoneFrom = start;
    }
    if (phone > phoneMax) phoneMax = phone;
    if (phone >= 9) {
      if (phone9From < 0) phone9From = phoneFrom;
      phone9To = i;
    }
    if (gap === 1 && before === 46) groups++;
    else {
      groups = 1;
      groupsFrom = start;
    }
    if (groups >= 4) {
      if (quadFrom < 0) quadFrom = groupsFrom;
      quadTo = groupsFrom;
    }
    if (isUpper(before)) {
      if (len >= 3) capitalDigits = true;
      if (len >= 2 && start > 1 && isUpper(s.charCodeAt(start - 2))) ibanStart = true;
    }
    end = i;
  }
  f.at = at;
  f.maxRun = maxRun;
  f.looseRun = looseMax;
  f.loose13From = loose13From;
  f.loose13To = loose13To;
  f.phoneRun = phoneMax;
  f.phone9From = phone9From;
  f.phone9To = phone9To;
  f.ibanStart = ibanStart;
  f.capitalDigits = capitalDigits;
  f.plus = plus;
  f.dottedQuad = quadFrom >= 0;
  f.quadFrom = quadFrom;
  f.quadTo = quadTo;
  f.v6Shape = v6Shape;
}
