/**
 * Lines of keys in a pipeline's YAML or JSON file, so that an error found while compiling a
 * pipeline (`processors[2].grok.patterns[0]: ...`) names the line it came from, as the config
 * file's own errors do. JSON is YAML, so one parser serves both.
 */
import fs from 'node:fs';
import YAML from 'yaml';

/** `processors[2].grok.patterns` -> ['processors', 2, 'grok', 'patterns']. */
export function pathKeys(where: string): Array<string | number> {
  const keys: Array<string | number> = [];
  for (const m of where.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    keys.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return keys;
}

/** The 1-based line of the node at `keys` in YAML text (the deepest existing one), or null. */
export function lineOfKeys(text: string, keys: ReadonlyArray<string | number>): number | null {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) return null;
  for (let n = keys.length; n > 0; n--) {
    const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    if (offset !== undefined) return text.slice(0, offset).split('\n').length;
  }
  return null;
}

/** The line of `where` in the file `file`, or null when it is not a readable file or has no such key. */
export function lineInFile(file: string, where: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  return lineOfKeys(text, pathKeys(where));
}
