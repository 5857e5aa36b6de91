/**
 * Message templates: the shape of a log message with its variable parts taken out, as in CLP's
 * "log types". A word (a maximal run of word characters as text search sees them, see
 * word-boundary.ts) that contains an ASCII digit (an id, a number, part of an address or a
 * version) is a variable and becomes one SLOT character; everything else is kept as it is.
 * `Failed password for root from 10.0.0.7 port 52214 ssh2` becomes
 * `Failed password for root from \uE000.\uE000.\uE000.\uE000 port \uE000 \uE000`.
 *
 * The store counts the templates of every skip-index block, so that a search whose text terms
 * are decided by the template alone is counted from those counts instead of scanning the block's
 * messages (src/store/duckdb/templates.ts).
 *
 * Contract: a template stands for exactly the messages obtained by replacing each SLOT by a
 * non-empty run of word characters with at least one ASCII digit (the characters on either side
 * of a SLOT are separators or the edge). SLOT itself is a word character, so the boundaries
 * around a slot are the same in the template as in its messages. `messageTemplate` returns null
 * (no template: the message is always scanned) for a message that already contains SLOT, is not
 * well-formed UTF-16, or is longer than MAX_TEMPLATE_CHARS.
 */
import { isSeparator } from './word-boundary.ts';

/** Stands for one variable word (a private-use character, a word character). */
export const SLOT = '\uE000';
const SLOT_CODE = 0xe000;
/** Longer messages get no template (a stack trace of hundreds of frames would be one per event). */
export const MAX_TEMPLATE_CHARS = 4096;

/** ASCII classes: 0 word character, 1 separator, 2 digit. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_CLASS[c] = isSeparator(c) ? 1 : c >= 48 && c <= 57 ? 2 : 0;

/** The template being built (a message has at most MAX_TEMPLATE_CHARS code units). */
const out = new Uint16Array(MAX_TEMPLATE_CHARS);

/**
 * The template of a message (see the module comment), or null when it has none. Built in a
 * buffer and made a string once (flat, cheaper to hash as a map key than a concatenation).
 */
export function messageTemplate(m: string): string | null {
  const n = m.length;
  if (n > MAX_TEMPLATE_CHARS) return null;
  let o = 0;
  let slots = false;
  let i = 0;
  while (i < n) {
    // Separators are copied.
    let c = m.charCodeAt(i);
    if (c < 128) {
      if (ASCII_CLASS[c] === 1) {
        out[o++] = c;
        i++;
        continue;
      }
    } else if (c < 0xd800 || c > 0xdfff) {
      if (isSeparator(c)) {
        out[o++] = c;
        i++;
        continue;
      }
    } else {
      const d = m.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return null;
      if (isSeparator(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00))) {
        out[o++] = c;
        out[o++] = d;
        i += 2;
        continue;
      }
    }
    // A word, up to the next separator: one SLOT if it has a digit, else copied.
    const start = i;
    let digit = false;
    while (i < n) {
      c = m.charCodeAt(i);
      if (c < 128) {
        const k = ASCII_CLASS[c];
        if (k === 1) break;
        if (k === 2) digit = true;
        i++;
      } else if (c < 0xd800 || c > 0xdfff) {
        if (c === SLOT_CODE) return null;
        if (isSeparator(c)) break;
        i++;
      } else {
        const d = m.charCodeAt(i + 1);
        if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return null;
        if (isSeparator(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00))) break;
        i += 2;
      }
    }
    if (digit) {
      out[o++] = SLOT_CODE;
      slots = true;
    } else {
      for (let k = start; k < i; k++) out[o++] = m.charCodeAt(k);
    }
  }
  return slots ? String.fromCharCode.apply(null, out.subarray(0, o) as unknown as number[]) : m;
}
