/**
 * The tokenizer shared by ingest (building a block's Bloom skip index, in worker threads) and
 * by queries (asking the skip index which blocks may hold a term). Both sides MUST produce the
 * same tokens, so both call this module and nothing else.
 *
 * Rules (Unicode-aware, no normalisation, no stemming, no stop words):
 * - A word is a maximal run of "word" characters: `\p{L}`, `\p{N}`, `\p{M}` (combining marks,
 *   so NFD accents and Indic vowel signs stay inside their word) and `_`. Everything else
 *   separates words: `173.234.31.186` -> 173 234 31 186, `payment-api` -> payment api,
 *   `user@example.com` -> user example com. Emoji, symbols and punctuation are never tokens.
 * - Hangul, Han, Hiragana and Katakana characters (by Unicode Script_Extensions, so the kana
 *   prolonged sound mark `ー` counts) form "CJK runs" instead: a run emits every character
 *   BIGRAM (`결제를` -> 결제 제를), or the single character when the run is one character long.
 *   So a two-syllable Korean word (`결제`) is found inside an inflected form (`결제를`) and a
 *   Japanese or Chinese word is found inside a sentence without spaces. A CJK character also
 *   ends a non-CJK word: `주문번호12345` -> 주문 문번 번호 12345, `abc결제` -> abc 결제.
 * - Case folding is per code point: `String.prototype.toLowerCase()` of the single code point
 *   (so `É` -> `é`, `ẞ` -> `ß`, `İ` -> `i̇`), plus final sigma `ς` -> `σ` so that `ΟΔΟΣ` and `οδος`
 *   agree. It is not full case folding: `ß` does not match `ss`.
 * - Long words: a word is indexed by its first MAX_TOKEN_CODE_POINTS (64) code points. A query
 *   for the whole long word yields the same prefix, so it is still found; a 64-code-point prefix
 *   is as selective as the whole word in practice (long base64 / hex blobs).
 * - No Unicode normalisation: NFC and NFD spellings of the same text give different tokens.
 *   Thai, Lao, Khmer and Myanmar text (no spaces between words) yields one token per run,
 *   so words inside such runs can't be pruned on; a query for them must not rely on the index.
 *
 * Hashes: a token's hash is FNV-1a over its UTF-16 code units followed by the murmur3 fmix32
 * finaliser (`hashToken`). `tokenHashes` computes exactly the same hashes while scanning the
 * text, without allocating token strings: that is the ingest hot path.
 */

/** Words are indexed by at most this many leading code points. */
export const MAX_TOKEN_CODE_POINTS = 64;

/** Receives token hashes; `Set<number>` and the Bloom builder's hash set both fit. */
export interface HashSink {
  add(hash: number): unknown;
}

/**
 * How a query term matches text, which decides which of its tokens a block must contain:
 * - `word`: the term matches at token boundaries (a word or a phrase). All its tokens are
 *   required, except a lone CJK character (it may sit inside a longer run, where only bigrams
 *   exist).
 * - `prefix` (`foo*`): like `word`, but a final non-CJK word that reaches the end of the term is
 *   incomplete (`foo` may be `foobar`) and is not required, unless it is already at the
 *   64-code-point cap. CJK bigrams are always required.
 * - `substring`: the term may start and end inside words, so non-CJK words touching either end
 *   are not required (a word touching only the end is still required when it is at the cap).
 */
export type QueryMatch = 'word' | 'prefix' | 'substring';

// Character classes.
const SEP = 0;
/** A word character that folds to itself. */
const WORD = 1;
/** A word character that folds to one other UTF-16 code unit (`fold1`). */
const FOLD = 2;
/** A word character that folds to several code units (`İ` -> `i̇`), kept in `foldMulti`. */
const FOLD_MULTI = 3;
/** A Hangul / Han / Hiragana / Katakana letter or number: bigrams. */
const CJK = 4;
/** A high surrogate: the class belongs to the code point it forms with the next unit. */
const HIGH = 5;
/** Not classified yet (classification of non-ASCII BMP characters is lazy). */
const UNKNOWN = 255;

const WORD_RE = /^[\p{L}\p{N}\p{M}_]$/u;
const CJK_RE = /^[\p{scx=Hangul}\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]$/u;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Class of each BMP code unit; filled lazily above ASCII. */
const bmpClass = new Uint8Array(65536).fill(UNKNOWN);
/** Folded code unit for FOLD characters. */
const fold1 = new Uint16Array(65536);
/** Folded string for FOLD_MULTI characters (BMP). */
const foldMulti = new Map<number, string>();
/** Class of astral code points, cached. */
const astralClass = new Map<number, number>();
/** Folded string of astral code points of class FOLD / FOLD_MULTI. */
const astralFold = new Map<number, string>();

function foldCodePoint(s: string): string {
  const lower = s.toLowerCase();
  return lower === 'ς' ? 'σ' : lower;
}

/** Classifies one code point given as a string; records its folding. */
function classify(cp: number): number {
  const s = String.fromCodePoint(cp);
  if (!WORD_RE.test(s)) return SEP;
  if (CJK_RE.test(s)) return CJK;
  const lower = foldCodePoint(s);
  if (lower === s) return WORD;
  if (cp < 0x10000) {
    if (lower.length === 1) {
      fold1[cp] = lower.charCodeAt(0);
      return FOLD;
    }
    foldMulti.set(cp, lower);
    return FOLD_MULTI;
  }
  astralFold.set(cp, lower);
  return FOLD_MULTI;
}

function bmpClassOf(c: number): number {
  let k = bmpClass[c];
  if (k === UNKNOWN) {
    if (c >= 0xd800 && c <= 0xdbff) k = HIGH;
    else if (c >= 0xdc00 && c <= 0xdfff)
      k = SEP; // a lone low surrogate
    else k = classify(c);
    bmpClass[c] = k;
  }
  return k;
}

function astralClassOf(cp: number): number {
  let k = astralClass.get(cp);
  if (k === undefined) {
    k = classify(cp);
    astralClass.set(cp, k);
  }
  return k;
}

// ASCII is classified eagerly: digits, lower-case letters and `_` are WORD, A-Z fold by +32.
for (let c = 0; c < 128; c++) {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) bmpClass[c] = WORD;
  else if (c >= 0x41 && c <= 0x5a) {
    bmpClass[c] = FOLD;
    fold1[c] = c + 32;
  } else bmpClass[c] = SEP;
}
/** ASCII word characters folded (A-Z -> a-z, others unchanged); 0 for separators. */
const asciiFold = new Uint8Array(128);
for (let c = 0; c < 128; c++) asciiFold[c] = bmpClass[c] === WORD ? c : bmpClass[c] === FOLD ? fold1[c] : 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The 32-bit hash of a token exactly as `tokenize` returns it (already folded; this function
 * does not fold). Equal to what `tokenHashes` emits for that token.
 */
export function hashToken(token: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), FNV_PRIME);
  return fmix32(h);
}

/**
 * Computes the hash of every token occurrence in `text` (duplicates included, in text order)
 * and hands each to `out` (`push` for an array, `add` for a set). Allocates nothing for
 * ASCII text. Returns the number of hashes emitted.
 */
export function tokenHashes(text: string, out: HashSink | number[]): number {
  const arr = Array.isArray(out) ? out : null;
  const sink = arr === null ? (out as HashSink) : null;
  const n = text.length;
  let emitted = 0;
  // Current non-CJK word: running hash and code points consumed (0 = not in a word).
  let h = FNV_OFFSET;
  let wordCps = 0;
  // Current CJK run: length in characters and the previous character (one or two units).
  let runLen = 0;
  let prevA = 0;
  let prevB = -1;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 128 && runLen === 0) {
      // Fast path (most text): an ASCII character outside a CJK run, by one table lookup.
      const f = asciiFold[c];
      if (f === 0) {
        if (wordCps > 0) {
          const v = fmix32(h);
          if (arr !== null) arr.push(v);
          else sink!.add(v);
          emitted++;
          wordCps = 0;
        }
        i++;
        continue;
      }
      if (wordCps === 0) h = FNV_OFFSET;
      // The rest of the ASCII part of the word.
      let g = f;
      do {
        if (wordCps < MAX_TOKEN_CODE_POINTS) h = Math.imul(h ^ g, FNV_PRIME);
        wordCps++;
        if (++i === n) break;
        const d = text.charCodeAt(i);
        g = d < 128 ? asciiFold[d] : 0;
      } while (g !== 0);
      continue;
    }
    let k = c < 128 ? bmpClass[c] : bmpClassOf(c);
    let cp = c;
    let width = 1;
    if (k === HIGH) {
      const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        width = 2;
        k = astralClassOf(cp);
      } else k = SEP; // a lone high surrogate
    }
    if (k === CJK) {
      if (wordCps > 0) {
        const v = fmix32(h);
        if (arr !== null) arr.push(v);
        else sink!.add(v);
        emitted++;
        wordCps = 0;
      }
      const a = c;
      const b = width === 2 ? text.charCodeAt(i + 1) : -1;
      if (runLen > 0) {
        let g = Math.imul(FNV_OFFSET ^ prevA, FNV_PRIME);
        if (prevB >= 0) g = Math.imul(g ^ prevB, FNV_PRIME);
        g = Math.imul(g ^ a, FNV_PRIME);
        if (b >= 0) g = Math.imul(g ^ b, FNV_PRIME);
        const v = fmix32(g);
        if (arr !== null) arr.push(v);
        else sink!.add(v);
        emitted++;
      }
      runLen++;
      prevA = a;
      prevB = b;
    } else {
      if (runLen > 0) {
        if (runLen === 1) {
          let g = Math.imul(FNV_OFFSET ^ prevA, FNV_PRIME);
          if (prevB >= 0) g = Math.imul(g ^ prevB, FNV_PRIME);
          const v = fmix32(g);
          if (arr !== null) arr.push(v);
          else sink!.add(v);
          emitted++;
        }
        runLen = 0;
      }
      if (k === SEP) {
        if (wordCps > 0) {
          const v = fmix32(h);
          if (arr !== null) arr.push(v);
          else sink!.add(v);
          emitted++;
          wordCps = 0;
        }
      } else {
        if (wordCps === 0) h = FNV_OFFSET;
        if (wordCps < MAX_TOKEN_CODE_POINTS) {
          if (k === WORD) {
            h = Math.imul(h ^ c, FNV_PRIME);
            if (width === 2) h = Math.imul(h ^ text.charCodeAt(i + 1), FNV_PRIME);
          } else if (k === FOLD) {
            h = Math.imul(h ^ fold1[c], FNV_PRIME);
          } else {
            const f = width === 2 ? astralFold.get(cp)! : foldMulti.get(c)!;
            for (let j = 0; j < f.length; j++) h = Math.imul(h ^ f.charCodeAt(j), FNV_PRIME);
          }
        }
        wordCps++;
      }
    }
    i += width;
  }
  if (wordCps > 0) {
    const v = fmix32(h);
    if (arr !== null) arr.push(v);
    else sink!.add(v);
    emitted++;
  } else if (runLen === 1) {
    let g = Math.imul(FNV_OFFSET ^ prevA, FNV_PRIME);
    if (prevB >= 0) g = Math.imul(g ^ prevB, FNV_PRIME);
    const v = fmix32(g);
    if (arr !== null) arr.push(v);
    else sink!.add(v);
    emitted++;
  }
  return emitted;
}

// Kinds of token reported by `scan`.
const T_WORD = 0;
const T_BIGRAM = 1;
const T_UNIGRAM = 2;

/** A token found by `scan`: `start`/`end` are UTF-16 offsets of its source text. */
type TokenCallback = (token: string, kind: number, start: number, end: number, capped: boolean) => void;

function foldWord(s: string, ascii: boolean): string {
  if (ascii) return s.toLowerCase();
  // toLowerCase of the whole word equals per-code-point folding except for the context-
  // sensitive final sigma, which we fold to σ anyway.
  return s.toLowerCase().replaceAll('ς', 'σ');
}

/** The string-producing twin of `tokenHashes`; same state machine, same tokens. */
function scan(text: string, emit: TokenCallback): void {
  const n = text.length;
  let wordStart = -1;
  let wordCps = 0;
  let capEnd = -1; // offset where the word reached the cap
  let needsFold = false;
  let ascii = true;
  let runStart = -1;
  let runLen = 0;
  let prevStart = 0;
  const endWord = (end: number) => {
    const capped = wordCps >= MAX_TOKEN_CODE_POINTS;
    const raw = text.slice(wordStart, capped ? capEnd : end);
    emit(needsFold ? foldWord(raw, ascii) : raw, T_WORD, wordStart, end, capped);
    wordStart = -1;
  };
  const endRun = (end: number) => {
    if (runLen === 1) emit(text.slice(runStart, end), T_UNIGRAM, runStart, end, false);
    runLen = 0;
  };
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let k = c < 128 ? bmpClass[c] : bmpClassOf(c);
    let width = 1;
    if (k === HIGH) {
      const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        width = 2;
        k = astralClassOf(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
      } else k = SEP;
    }
    if (k === CJK) {
      if (wordStart >= 0) endWord(i);
      if (runLen === 0) runStart = i;
      else emit(text.slice(prevStart, i + width), T_BIGRAM, prevStart, i + width, false);
      runLen++;
      prevStart = i;
    } else {
      if (runLen > 0) endRun(i);
      if (k === SEP) {
        if (wordStart >= 0) endWord(i);
      } else {
        if (wordStart < 0) {
          wordStart = i;
          wordCps = 0;
          needsFold = false;
          ascii = true;
        }
        if (k !== WORD) needsFold = true;
        if (c >= 128) ascii = false;
        wordCps++;
        if (wordCps === MAX_TOKEN_CODE_POINTS) capEnd = i + width;
      }
    }
    i += width;
  }
  if (wordStart >= 0) endWord(n);
  else if (runLen > 0) endRun(n);
}

/**
 * Adds the tokens of `text` to `out` (an array receives every occurrence in order, a set the
 * distinct tokens) and returns `out`; a new array when `out` is omitted.
 */
export function tokenize(text: string, out?: string[]): string[];
export function tokenize(text: string, out: Set<string>): Set<string>;
export function tokenize(text: string, out: Set<string> | string[] = []): Set<string> | string[] {
  if (Array.isArray(out)) {
    const arr = out;
    scan(text, (t) => arr.push(t));
  } else {
    const set = out;
    scan(text, (t) => set.add(t));
  }
  return out;
}

/**
 * The distinct tokens a block must contain for `term` to match in it (see `QueryMatch`). An
 * empty result means the index can't prune for this term: every block is a candidate.
 * When `match` is omitted, a term ending in `*` is a prefix search (the `*` is dropped) and
 * anything else a word/phrase search.
 */
export function queryTokens(term: string, match?: QueryMatch): string[] {
  let mode = match;
  let text = term;
  if (mode === undefined) {
    if (text.endsWith('*')) {
      mode = 'prefix';
      text = text.slice(0, -1);
    } else mode = 'word';
  } else if (mode === 'prefix' && text.endsWith('*')) text = text.slice(0, -1);
  const seen = new Set<string>();
  const out: string[] = [];
  const n = text.length;
  scan(text, (token, kind, start, end, capped) => {
    if (kind === T_UNIGRAM) return; // a lone CJK character may sit inside a longer run
    if (kind === T_WORD && mode === 'prefix') {
      if (end === n && !capped) return;
    } else if (kind === T_WORD && mode === 'substring') {
      if (start === 0) return;
      if (end === n && !capped) return;
    }
    if (!seen.has(token)) {
      seen.add(token);
      out.push(token);
    }
  });
  return out;
}

/** `queryTokens(term, match)` hashed with `hashToken`, ready for `BloomFilter.hasAll`. */
export function queryTokenHashes(term: string, match?: QueryMatch): number[] {
  return queryTokens(term, match).map(hashToken);
}
