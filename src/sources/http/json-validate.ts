/**
 * A non-allocating JSON syntax check (RFC 8259) over bytes, for NDJSON ingest: is this line
 * exactly one JSON object (with optional surrounding whitespace)? It builds nothing, so it costs
 * a fraction of `JSON.parse` on the ingest thread; the processing workers parse the line later.
 * It agrees with `JSON.parse(buf.toString('utf8'))` on what is valid (property-tested), except
 * that, like that call, it does not check UTF-8: invalid sequences are replaced when decoded.
 * On failure, callers get JSON.parse's own message (computed only then) for the error report.
 */

const MAX_DEPTH = 10_000;

// Byte classes.
const WS = new Uint8Array(256);
WS[0x20] = 1;
WS[0x09] = 1;
WS[0x0a] = 1;
WS[0x0d] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
const ESC = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESC[c.charCodeAt(0)] = 1;

/** Open containers while scanning (`{` or `[`); a scan never runs inside another. */
const stack = new Uint8Array(MAX_DEPTH);

/** True when `b[start, end)` is exactly one JSON object, possibly surrounded by whitespace. */
export function isJsonObject(b: Uint8Array, start = 0, end = b.length): boolean {
  let i = start;
  while (i < end && WS[b[i]] === 1) i++;
  if (i >= end || b[i] !== 0x7b) return false;
  let depth = 0;
  for (;;) {
    // At a value.
    while (i < end && WS[b[i]] === 1) i++;
    if (i >= end) return false;
    const c = b[i];
    if (c === 0x7b || c === 0x5b) {
      if (depth >= MAX_DEPTH) return false;
      stack[depth++] = c;
      i++;
      while (i < end && WS[b[i]] === 1) i++;
      if (i >= end) return false;
      if (b[i] === c + 2) {
        // Empty: `{}` or `[]` (the closers are the openers + 2).
        depth--;
        i++;
      } else {
        if (c === 0x7b) {
          i = skipKey(b, i, end);
          if (i < 0) return false;
        }
        continue;
      }
    } else if (c === 0x22) {
      i = skipString(b, i, end);
      if (i < 0) return false;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      i = skipNumber(b, i, end);
      if (i < 0) return false;
    } else if (c === 0x74) {
      if (!lit(b, i, end, 'true')) return false;
      i += 4;
    } else if (c === 0x66) {
      if (!lit(b, i, end, 'false')) return false;
      i += 5;
    } else if (c === 0x6e) {
      if (!lit(b, i, end, 'null')) return false;
      i += 4;
    } else return false;
    // After a value: close containers until a comma leads to the next value.
    for (;;) {
      while (i < end && WS[b[i]] === 1) i++;
      if (depth === 0) return i === end;
      if (i >= end) return false;
      const d = b[i];
      const open = stack[depth - 1];
      if (d === 0x2c) {
        i++;
        if (open === 0x7b) {
          i = skipKey(b, i, end);
          if (i < 0) return false;
        }
        break;
      }
      if (d !== open + 2) return false;
      depth--;
      i++;
    }
  }
}

/** Skips whitespace, an object key, whitespace and the colon; returns the index after it, or -1. */
function skipKey(b: Uint8Array, i: number, end: number): number {
  while (i < end && WS[b[i]] === 1) i++;
  if (i >= end || b[i] !== 0x22) return -1;
  i = skipString(b, i, end);
  if (i < 0) return -1;
  while (i < end && WS[b[i]] === 1) i++;
  if (i >= end || b[i] !== 0x3a) return -1;
  return i + 1;
}

/** Bytes that need a look inside a string: the closing quote, a backslash, control characters. */
const STR_SPECIAL = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STR_SPECIAL[c] = 1;
STR_SPECIAL[0x22] = 1;
STR_SPECIAL[0x5c] = 1;

/** Skips a string starting at the opening quote; returns the index after it, or -1. */
function skipString(b: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    // Plain bytes (nearly all of them) by one table lookup each.
    while (i < end && STR_SPECIAL[b[i]] === 0) i++;
    if (i >= end) return -1;
    const c = b[i];
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    // A backslash.
    const e = b[i + 1];
    if (i + 1 >= end) return -1;
    if (e === 0x75) {
      if (i + 5 >= end || !HEX[b[i + 2]] || !HEX[b[i + 3]] || !HEX[b[i + 4]] || !HEX[b[i + 5]]) return -1;
      i += 6;
    } else if (ESC[e]) i += 2;
    else return -1;
  }
  return -1;
}

/** Skips a number; returns the index after it, or -1. */
function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return -1;
  if (b[i] === 0x30) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) {
    while (i < end && b[i] >= 0x30 && b[i] <= 0x39) i++;
  } else return -1;
  if (i < end && b[i] === 0x2e) {
    i++;
    const s = i;
    while (i < end && b[i] >= 0x30 && b[i] <= 0x39) i++;
    if (i === s) return -1;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    const s = i;
    while (i < end && b[i] >= 0x30 && b[i] <= 0x39) i++;
    if (i === s) return -1;
  }
  return i;
}

function lit(b: Uint8Array, i: number, end: number, word: string): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** The reason a line is not one JSON object, in JSON.parse's words (only called on failure). */
export function jsonObjectError(b: Uint8Array): string {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));
  } catch (err) {
    return `cannot parse JSON: ${(err as Error).message}`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'expected a JSON object';
  return 'cannot parse JSON';
}
