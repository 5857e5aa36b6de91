/**
 * RFC 3164 ("BSD syslog") parser, with the variants real senders produce.
 *
 *   [<PRI>]TIMESTAMP SP [HOSTNAME SP] [TAG] MSG
 *
 * TIMESTAMP is either
 * - `Mmm dd HH:MM:SS` (RFC 3164 section 4.1.2; day space-padded, zero-padded or single digit; an
 *   optional `.frac`), year inferred and zone UTC, see core/time.ts parseRfc3164Date; or
 * - an RFC 3339 date-time `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`: rsyslog's high-precision
 *   formats (RSYSLOG_ForwardFormat with PRI, RSYSLOG_FileFormat without).
 *
 * HOSTNAME is the word after the timestamp unless that word is already the TAG (it ends with `:`
 * or contains `[`), or it is the last word (then it is the message). So a hostless
 * `Nov 22 21:00:01 sshd[12]: x` (local /dev/log style) parses, while a hostless
 * `Nov 22 21:00:01 some text` reads `some` as the host: the format is ambiguous there.
 *
 * TAG forms, at most 64 characters before `[` or `:`:
 * - `app: msg`, `app[pid]: msg`;
 * - multi-word program names, only when they start with a letter and have a numeric pid:
 *   `Microsoft Word[123]: msg` (macOS). A tagless message whose first 64 characters are
 *   `Letter... words[digits]:` is misread as such a TAG: the price of accepting the macOS names;
 * - macOS `app[pid] (context): msg`, the parenthesised part returned in `context`.
 * Without a TAG, `app` is undefined and MSG is everything after the hostname. Exactly one space
 * after the TAG's colon is the separator; further leading whitespace belongs to MSG.
 *
 * Contract: `parseRfc3164` returns null when the line is not recognisably syslog:
 * - with PRI: never null; without a valid TIMESTAMP the rest is MSG (RFC 3164 section 4.3.3),
 *   still searched for a TAG;
 * - without PRI: a `Mmm dd HH:MM:SS` timestamp is required; an RFC 3339 timestamp is only
 *   accepted when followed by a HOSTNAME and a TAG and the "hostname" is not a level word
 *   (so `2024-01-02T03:04:05Z INFO main: started`, an application log, is not syslog).
 * A BSD timestamp with an impossible date (`Feb 30`) keeps the line as syslog, sets `error` and
 * leaves `time` undefined. Never throws.
 */

import { normalizeLevel } from '../../core/level.ts';
import { parseIso8601, parseRfc3164Date, scanRfc3164Date } from '../../core/time.ts';
import { applyPri, contentEnd, emptyMessage, type SyslogMessage, scanPri } from './syslog-message.ts';

const SP = 32;
const COLON = 58;
/** Longest TAG program name, before `[` or `:` (RFC 3164 says 32; real macOS names reach 45). */
const MAX_TAG_LEN = 64;
const MAX_PID_LEN = 32;
const MAX_CONTEXT_LEN = 256;

/** Parses one RFC 3164 line (see the module header for the contract). nowMs infers the year. */
export function parseRfc3164(line: string, nowMs: number): SyslogMessage | null {
  const end = contentEnd(line);
  const m = emptyMessage('rfc3164');
  let i = 0;
  const r = scanPri(line);
  const hasPri = r >= 0;
  if (hasPri) {
    applyPri(m, r >> 3);
    i = r & 7;
  }

  let tsEnd = -1;
  let iso = false;
  const c = line.charCodeAt(i) | 0x20;
  if (c >= 97 && c <= 122) {
    tsEnd = scanRfc3164Date(line, i, end);
    if (tsEnd > 0 && (tsEnd === end || line.charCodeAt(tsEnd) === SP)) {
      const t = parseRfc3164Date(line, nowMs, i, tsEnd);
      if (t === null) {
        m.error = `cannot parse timestamp ${JSON.stringify(line.slice(i, tsEnd))} at offset ${i}`;
      }
      m.time = t ?? undefined;
    } else {
      tsEnd = -1;
    }
  } else if (c >= 48 && c <= 57) {
    let j = line.indexOf(' ', i);
    if (j < 0 || j > end) j = end;
    // A full date-time only: a bare date would leave the clock to be read as the hostname.
    const sep = line.charCodeAt(i + 10) | 0x20;
    if (j - i >= 16 && sep === 116 /* t */) {
      const t = parseIso8601(line, i, j);
      if (t !== null) {
        m.time = t;
        tsEnd = j;
        iso = true;
      }
    }
  }

  if (tsEnd < 0) {
    if (!hasPri) return null;
    parseTagAndMessage(line, i, end, m);
    return m;
  }
  i = tsEnd;
  while (i < end && line.charCodeAt(i) === SP) i++;

  // HOSTNAME, unless this word is the TAG or the last word.
  let j = i;
  let bracket = false;
  while (j < end) {
    const w = line.charCodeAt(j);
    if (w === SP) break;
    if (w === 91 /* [ */) bracket = true;
    j++;
  }
  if (j < end && !bracket && line.charCodeAt(j - 1) !== COLON) {
    m.host = line.slice(i, j);
    i = j;
    while (i < end && line.charCodeAt(i) === SP) i++;
  }

  parseTagAndMessage(line, i, end, m);
  if (!hasPri && iso && (m.host === undefined || m.app === undefined || normalizeLevel(m.host) !== '')) {
    return null;
  }
  return m;
}

/**
 * Reads an optional TAG at i (forms in the module header) into m.app/pid/context, and the rest of
 * the line into m.message.
 */
function parseTagAndMessage(s: string, i: number, end: number, m: SyslogMessage): void {
  const limit = Math.min(end, i + MAX_TAG_LEN + 1);
  let spaces = false;
  for (let j = i; j < limit; j++) {
    const c = s.charCodeAt(j);
    if (c === COLON) {
      // `app: msg` (single word, colon followed by a space or the end)
      if (spaces || j === i || (j + 1 < end && s.charCodeAt(j + 1) !== SP)) break;
      m.app = s.slice(i, j);
      m.message = messageFrom(s, j + 1, end);
      return;
    }
    if (c === 91 /* [ */) {
      if (j === i || s.charCodeAt(j - 1) === SP) break;
      let k = j + 1;
      const pidLimit = Math.min(end, k + MAX_PID_LEN + 1);
      while (k < pidLimit) {
        const p = s.charCodeAt(k);
        if (p === 93 /* ] */ || p === SP) break;
        k++;
      }
      if (k >= end || s.charCodeAt(k) !== 93) break;
      const close = k;
      // Multi-word names: a letter first and a numeric pid, or `CST 1987 host app[1]:` would pass.
      if (spaces && (!isLetter(s.charCodeAt(i)) || !isDigits(s, j + 1, close))) break;
      k++;
      let msgStart = -1;
      let context: string | undefined;
      if (s.charCodeAt(k) === COLON && (k + 1 === end || s.charCodeAt(k + 1) === SP)) {
        msgStart = k + 1;
      } else if (s.charCodeAt(k) === SP && s.charCodeAt(k + 1) === 40 /* ( */) {
        // macOS `app[pid] (context): msg`
        const p = s.indexOf(')', k + 2);
        if (
          p > 0 &&
          p < end &&
          p - k <= MAX_CONTEXT_LEN &&
          s.charCodeAt(p + 1) === COLON &&
          (p + 2 === end || s.charCodeAt(p + 2) === SP)
        ) {
          context = s.slice(k + 2, p);
          msgStart = p + 2;
        }
      }
      if (msgStart < 0) break;
      m.app = s.slice(i, j);
      if (close > j + 1) m.pid = s.slice(j + 1, close);
      m.context = context;
      m.message = messageFrom(s, msgStart, end);
      return;
    }
    if (c === SP) spaces = true;
  }
  m.message = i < end ? s.slice(i, end) : '';
}

/** MSG after a TAG's colon at i-1: one separating space is dropped, the rest is kept. */
function messageFrom(s: string, i: number, end: number): string {
  if (i < end && s.charCodeAt(i) === SP) i++;
  return i < end ? s.slice(i, end) : '';
}

function isDigits(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isLetter(c: number): boolean {
  const l = c | 0x20;
  return l >= 97 && l <= 122;
}
