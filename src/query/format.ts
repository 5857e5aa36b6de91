/**
 * Prints an AST back as query text. `parseQuery(formatQuery(q))` gives back `q` for every parsed
 * query and every tree in normal form (see query-ast.ts); the property test checks exactly that.
 * Used to show users the query as understood, and to store normalised saved searches.
 *
 * Times print as RFC 3339 UTC with microseconds, so they read back to the same integers.
 */

import type { FilterNode, ParsedQuery, RangeBound } from '../core/query-ast.ts';
import { FIELD_NAME_RE, isSpace } from './lexer.ts';
import { formatTimeLiteral } from './time-literal.ts';

/** Prints a parsed query (filter and pipes) or a bare filter. */
export function formatQuery(query: ParsedQuery | FilterNode): string {
  if (!('filter' in query)) return formatFilter(query);
  let out = formatFilter(query.filter);
  for (const p of query.pipes) out += p.args === '' ? ` | ${p.name}` : ` | ${p.name} ${p.args}`;
  return out;
}

function formatFilter(node: FilterNode): string {
  switch (node.type) {
    case 'all':
      return '*';
    case 'or':
      return node.children
        .map((c) => (c.type === 'or' ? `(${formatFilter(c)})` : formatFilter(c)))
        .join(' OR ');
    case 'and':
      return node.children
        .map((c) => (c.type === 'or' || c.type === 'and' ? `(${formatFilter(c)})` : formatFilter(c)))
        .join(' ');
    case 'not': {
      const c = node.child;
      const inner = formatFilter(c);
      return c.type === 'or' || c.type === 'and' || c.type === 'not' ? `NOT (${inner})` : `NOT ${inner}`;
    }
    case 'word':
      return node.field === null
        ? formatWord(node.value, false)
        : fieldPrefix(node.field) + formatValueWord(node.value, '');
    case 'prefix':
      return node.field === null
        ? formatWord(node.value, false) + '*'
        : fieldPrefix(node.field) + formatValueWord(node.value, '*');
    case 'phrase':
      return (node.field === null ? '' : fieldPrefix(node.field)) + quote(node.value);
    case 'exact':
      return fieldPrefix(node.field) + '=' + quote(node.value);
    case 'compare':
      return fieldPrefix(node.field) + node.op + formatBound(node.value);
    case 'range':
      return (
        fieldPrefix(node.field) +
        (node.lowerInclusive ? '[' : '{') +
        formatBound(node.lower) +
        ' TO ' +
        formatBound(node.upper) +
        (node.upperInclusive ? ']' : '}')
      );
    case 'regex':
      return fieldPrefix(node.field) + '/' + escapeRegex(node.pattern) + '/';
    case 'exists':
      return fieldPrefix(node.field) + '*';
    case 'time':
      return `_time:[${node.start === null ? '*' : formatTimeLiteral(node.start)}, ${
        node.end === null ? '*' : formatTimeLiteral(node.end)
      }]`;
  }
}

/** `field:` with the name quoted when it is not a plain name; null (the message) is `message:`. */
function fieldPrefix(field: string | null): string {
  const name = field ?? 'message';
  return (FIELD_NAME_RE.test(name) ? name : quote(name)) + ':';
}

function formatBound(b: RangeBound): string {
  if (b === null) return '*';
  if (typeof b === 'number') return String(b);
  return quote(b);
}

/** A double-quoted string with `\" \\ \n \t \r` and `\uXXXX` for other control characters. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Characters a bare word must escape wherever they appear (and `:` outside values). */
const WORD_SPECIAL = new Set(['(', ')', '"', '|', '\\', '*']);
/** Characters that mean something at the start of a value (`field:=x`, `field:[a TO b]`, ...). */
const VALUE_START_SPECIAL = new Set(['=', '>', '<', '[', '{']);

/**
 * A word after `field:`, then `suffix`. A leading `/` is left unescaped only when the text cannot
 * read as a `/regex/`, whatever follows it: when its first closing `/` is followed by more of the
 * word (`/api/v1/users`). Otherwise (`/healthz`, `/api/`) it prints as `\/`.
 */
function formatValueWord(value: string, suffix: string): string {
  const text = formatWord(value, true) + suffix;
  if (!text.startsWith('/')) return text;
  // `field://x` would read as the URL word `field://x`.
  if (text.startsWith('//')) return '\\' + text;
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '/') return i + 1 < text.length ? text : '\\' + text;
  }
  return '\\' + text;
}

/** A bare word that reads back as exactly `value` (never a keyword, operator or field name). */
function formatWord(value: string, inValue: boolean): string {
  if (value === '') return '""';
  if (!inValue && (value === 'AND' || value === 'OR' || value === 'NOT')) return '\\' + value;
  // The lexer reads `scheme://...` as one word, so a URL's colons need no escapes.
  const colon = value.indexOf(':');
  const escapeColons = !inValue && !(colon > 0 && value.startsWith('://', colon));
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const first = i === 0;
    if (
      WORD_SPECIAL.has(ch) ||
      isSpace(ch) ||
      (ch === ':' && escapeColons) ||
      (first && !inValue && ch === '-') ||
      (first && inValue && VALUE_START_SPECIAL.has(ch))
    ) {
      out += '\\' + ch;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Escapes every `/` that is not already part of a backslash pair. */
function escapeRegex(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      out += ch + pattern[i + 1];
      i++;
    } else if (ch === '/') out += '\\/';
    else out += ch;
  }
  return out;
}
