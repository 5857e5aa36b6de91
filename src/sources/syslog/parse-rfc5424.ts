/**
 * RFC 5424 syslog parser.
 *
 *   SYSLOG-MSG = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
 *                STRUCTURED-DATA [SP MSG]
 *
 * - NILVALUE `-` in a header field or as STRUCTURED-DATA means absent (undefined).
 * - TIMESTAMP is RFC 3339 (any fraction length accepted; digits beyond µs are truncated).
 * - STRUCTURED-DATA `[id name="value" ...]...` is flattened to `sd.<id>.<name>`; in values the
 *   escapes `\"`, `\\` and `\]` are unescaped, a backslash before any other character is kept
 *   (section 6.3.3). A repeated name in one element joins the values with `,`. An element without
 *   parameters carries no value and adds no key.
 * - MSG: a leading UTF-8 BOM (U+FEFF after decoding) is removed; trailing LF/CR/NUL are dropped.
 * - Field length limits of the RFC (HOSTNAME 255, APP-NAME 48, ...) are not enforced: real
 *   senders exceed them and the data is still useful.
 *
 * Contract: `parseRfc5424` returns null when the line does not start with `<PRI>1 ` (it is not
 * RFC 5424). After that prefix, it never rejects: an unparseable timestamp, truncated header or
 * malformed STRUCTURED-DATA sets `error` and keeps the unparsed rest in `message`. Never throws.
 */

import { parseIso8601 } from '../../core/time.ts';
import { applyPri, contentEnd, emptyMessage, type SyslogMessage, scanPri } from './syslog-message.ts';

const SP = 32;
const NIL = 45; // '-'

/**
 * Length of the RFC 5424 prefix `<PRI>1 SP` at the start of line, or 0 when absent. VERSION must
 * be `1`, the only version defined: a later version would come with its own grammar, and `<13>10
 * apples` (RFC 3164 without timestamp) must not look like RFC 5424.
 */
export function rfc5424PrefixLength(line: string): number {
  const r = scanPri(line);
  if (r < 0) return 0;
  const i = r & 7;
  return line.charCodeAt(i) === 49 /* 1 */ && line.charCodeAt(i + 1) === SP ? i + 2 : 0;
}

/** Parses one RFC 5424 message (see the module header for the contract). */
export function parseRfc5424(line: string): SyslogMessage | null {
  const start = rfc5424PrefixLength(line);
  if (start === 0) return null;
  const m = emptyMessage('rfc5424');
  applyPri(m, scanPri(line) >> 3);
  const end = contentEnd(line);
  let i = start;

  // Five space-separated header fields: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID.
  for (let field = 0; field < 5; field++) {
    if (i >= end) {
      m.error = `cannot parse RFC 5424 header: truncated at offset ${i}`;
      return m;
    }
    let j = line.indexOf(' ', i);
    if (j < 0 || j > end) j = end;
    const nil = j === i + 1 && line.charCodeAt(i) === NIL;
    if (!nil && j > i) {
      switch (field) {
        case 0: {
          const t = parseIso8601(line, i, j);
          if (t === null)
            m.error = `cannot parse timestamp ${JSON.stringify(line.slice(i, j))} at offset ${i}`;
          else m.time = t;
          break;
        }
        case 1:
          m.host = line.slice(i, j);
          break;
        case 2:
          m.app = line.slice(i, j);
          break;
        case 3:
          m.pid = line.slice(i, j);
          break;
        case 4:
          m.msgid = line.slice(i, j);
          break;
      }
    }
    i = j + 1;
  }

  // STRUCTURED-DATA
  if (i >= end) {
    m.error ??= `cannot parse RFC 5424 header: truncated at offset ${i}`;
    return m;
  }
  const c = line.charCodeAt(i);
  if (c === NIL) {
    i++;
  } else if (c === 91 /* [ */) {
    const sd: Record<string, string> = {};
    const after = parseStructuredData(line, i, end, sd);
    if (after < 0) {
      m.error ??= `cannot parse structured data at offset ${-after - 1}`;
      m.message = line.slice(i, end);
      return m;
    }
    m.structuredData = sd;
    i = after;
  } else {
    m.error ??= `cannot parse structured data at offset ${i}: expected '[' or '-'`;
    m.message = line.slice(i, end);
    return m;
  }

  // MSG
  if (i < end) {
    if (line.charCodeAt(i) !== SP) {
      m.error ??= `cannot parse structured data at offset ${i}: expected a space before MSG`;
      m.message = line.slice(i, end);
      return m;
    }
    i++;
    if (line.charCodeAt(i) === 0xfeff) i++;
    m.message = i < end ? line.slice(i, end) : '';
  }
  return m;
}

/** True for an SD-NAME character: PRINTUSASCII except `=`, SP, `]`, `"`. */
function isSdNameChar(c: number): boolean {
  return c > 32 && c < 127 && c !== 61 && c !== 93 && c !== 34;
}

/**
 * Parses one or more SD-ELEMENTs starting at the `[` at i, adding `sd.<id>.<name>` keys to out.
 * Returns the index after the last `]`, or `-(offset + 1)` of the first offending character.
 */
function parseStructuredData(s: string, i: number, end: number, out: Record<string, string>): number {
  while (i < end && s.charCodeAt(i) === 91 /* [ */) {
    i++;
    const idStart = i;
    while (i < end && isSdNameChar(s.charCodeAt(i))) i++;
    if (i === idStart) return -(i + 1);
    const prefix = 'sd.' + s.slice(idStart, i) + '.';
    for (;;) {
      if (i >= end) return -(i + 1);
      const c = s.charCodeAt(i);
      if (c === 93 /* ] */) {
        i++;
        break;
      }
      if (c !== SP) return -(i + 1);
      i++;
      const nameStart = i;
      while (i < end && isSdNameChar(s.charCodeAt(i))) i++;
      if (i === nameStart || s.charCodeAt(i) !== 61 /* = */ || s.charCodeAt(i + 1) !== 34 /* " */) {
        return -(i + 1);
      }
      const key = prefix + s.slice(nameStart, i);
      i += 2;
      // PARAM-VALUE up to the first unescaped '"'; build the unescaped value from slices.
      let value = '';
      let from = i;
      for (;;) {
        if (i >= end) return -(i + 1);
        const v = s.charCodeAt(i);
        if (v === 34) break;
        if (v === 92 /* \ */ && i + 1 < end) {
          const n = s.charCodeAt(i + 1);
          if (n === 34 || n === 92 || n === 93) {
            value += s.slice(from, i);
            from = i + 1; // keep the escaped character, drop the backslash
            i += 2;
            continue;
          }
        }
        i++;
      }
      value += s.slice(from, i);
      i++; // closing quote
      const prev = out[key];
      out[key] = prev === undefined ? value : prev + ',' + value;
    }
  }
  return i;
}
