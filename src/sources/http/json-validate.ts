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

/** True when `b[start, end)` is exactly one JSON object, possibly surrounded by whitespace. */
export function isJsonObject(b: Uint8Array, start = 0, end = b.length): boolean {
  let i = start;
  while (i < end && WS[b[i]]) i++;
  if (i >= end || b[i] !== 0x7b) return false;
  // Stack of open containers: 1 = object, 2 = array.
  const stack: number[] = [];
  // state: 0 = expect value, 1 = after value, 2 = expect key or '}' (just opened object),
  //        3 = expect key (after ','), 4 = expect ':' , 5 = expect value or ']' (just opened array)
  let state = 0;
  for (;;) {
    while (i < end && WS[b[i]]) i++;
    if (i >= end) return false;
    const c = b[i];
    if (state === 0 || state === 5) {
      if (state === 5 && c === 0x5d) {
        stack.pop();
        i++;
        state = 1;
      } else if (c === 0x7b) {
        if (stack.length >= MAX_DEPTH) return false;
        stack.push(1);
        i++;
        state = 2;
      } else if (c === 0x5b) {
        if (stack.length >= MAX_DEPTH) return false;
        stack.push(2);
        i++;
        state = 5;
      } else if (c === 0x22) {
        i = skipString(b, i, end);
        if (i < 0) return false;
        state = 1;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        i = skipNumber(b, i, end);
        if (i < 0) return false;
        state = 1;
      } else if (c === 0x74) {
        if (!lit(b, i, end, 'true')) return false;
        i += 4;
        state = 1;
      } else if (c === 0x66) {
        if (!lit(b, i, end, 'false')) return false;
        i += 5;
        state = 1;
      } else if (c === 0x6e) {
        if (!lit(b, i, end, 'null')) return false;
        i += 4;
        state = 1;
      } else return false;
    } else if (state === 1) {
      const top = stack[stack.length - 1];
      if (c === 0x2c) {
        i++;
        state = top === 1 ? 3 : 0;
      } else if (c === 0x7d && top === 1) {
        stack.pop();
        i++;
      } else if (c === 0x5d && top === 2) {
        stack.pop();
        i++;
      } else return false;
      if (stack.length === 0) {
        while (i < end && WS[b[i]]) i++;
        return i === end;
      }
    } else if (state === 2 || state === 3) {
      if (state === 2 && c === 0x7d) {
        stack.pop();
        i++;
        state = 1;
        if (stack.length === 0) {
          while (i < end && WS[b[i]]) i++;
          return i === end;
        }
      } else if (c === 0x22) {
        i = skipString(b, i, end);
        if (i < 0) return false;
        state = 4;
      } else return false;
    } else {
      // state 4: expect ':'
      if (c !== 0x3a) return false;
      i++;
      state = 0;
    }
  }
}

/** Skips a string starting at the opening quote; returns the index after it, or -1. */
function skipString(b: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    const c = b[i];
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = b[i + 1];
      if (i + 1 >= end) return -1;
      if (e === 0x75) {
        if (i + 5 >= end || !HEX[b[i + 2]] || !HEX[b[i + 3]] || !HEX[b[i + 4]] || !HEX[b[i + 5]]) return -1;
        i += 6;
      } else if (ESC[e]) i += 2;
      else return -1;
    } else i++;
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
