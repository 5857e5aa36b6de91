/**
 * The word boundaries of text search, shared by the store's SQL (src/store/duckdb/compile.ts,
 * RE2), the in-memory matcher (src/query/match.ts, JavaScript regular expressions) and message
 * templates (template.ts), which must all agree on them:
 * - a separator is a code point of SEPARATOR_BLOCKS (ASCII punctuation and controls, the Latin-1
 *   punctuation and symbols, and the Unicode blocks of punctuation, currency, arrows, math, box
 *   drawing, symbols, CJK and full-width punctuation, and emoji) that is not a letter, digit,
 *   mark or `_` (`µ`, `²`, `①`, `々` in those blocks are word characters, as the tokenizer
 *   says, src/core/tokenize.ts: otherwise `abc` would match `abcµ5` while the skip index only
 *   has the token `abcµ5`); every other code point is a word character on the boundary test;
 * - a term needs a boundary (a separator or the edge of the text) before it when its first
 *   character is a letter, digit, mark or `_` outside the Hangul/CJK scripts, and after it
 *   likewise for its last character (`needsBoundary`).
 */

/** The blocks the separators come from (inclusive code point ranges, ascending). */
const SEPARATOR_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [0x00, 0x2f],
  [0x3a, 0x40],
  [0x5b, 0x5e],
  [0x60, 0x60],
  [0x7b, 0xbf],
  [0xd7, 0xd7],
  [0xf7, 0xf7],
  [0x2000, 0x206f],
  [0x20a0, 0x20cf],
  [0x2190, 0x2bff],
  [0x3000, 0x303f],
  [0xfe30, 0xfe4f],
  [0xff01, 0xff0f],
  [0xff1a, 0xff20],
  [0xff3b, 0xff40],
  [0xff5b, 0xff65],
  [0x1f000, 0x1faff],
];

// Script_Extensions: the prolonged sound mark `ー` (Script=Common) is kana, so `サーバー` needs no
// boundary after it and is found in `サーバーで`.
const CJK = /[\p{scx=Hangul}\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]/u;
const WORDCHAR = /[\p{L}\p{N}\p{M}_]/u;

/** Inclusive code point ranges of the separators, ascending: the blocks without word characters. */
export const SEPARATOR_RANGES: ReadonlyArray<readonly [number, number]> = (() => {
  const out: Array<[number, number]> = [];
  for (const [a, b] of SEPARATOR_BLOCKS) {
    for (let cp = a; cp <= b; cp++) {
      if (WORDCHAR.test(String.fromCodePoint(cp))) continue;
      const last = out.at(-1);
      if (last && last[1] === cp - 1) last[1] = cp;
      else out.push([cp, cp]);
    }
  }
  return out;
})();

/** A character class of the separators, each code point written by `hex` (`\x{..}`, `\u{..}`). */
export function separatorClass(hex: (cp: number) => string): string {
  return `[${SEPARATOR_RANGES.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('')}]`;
}

const ASCII_SEP = new Uint8Array(128);
for (const [a, b] of SEPARATOR_RANGES) for (let c = a; c <= Math.min(b, 127); c++) ASCII_SEP[c] = 1;

/** Whether a code point is a separator (see the module comment). */
export function isSeparator(cp: number): boolean {
  if (cp < 128) return ASCII_SEP[cp] === 1;
  for (const [a, b] of SEPARATOR_RANGES) {
    if (cp < a) return false;
    if (cp <= b) return true;
  }
  return false;
}

/** Whether a term starting (or ending) with this character needs a boundary on that side. */
export function needsBoundary(ch: string): boolean {
  return WORDCHAR.test(ch) && !CJK.test(ch);
}
