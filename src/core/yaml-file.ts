/**
 * Reads a YAML configuration file (the server's and the agent's) into a mapping, with the errors
 * users see: the file named and why it cannot be read, a syntax error at FILE:LINE:COL, a top
 * level that is not a mapping. An empty file is an empty mapping. The parsed document and its
 * line counter come back too, for callers that point later errors at a key's line.
 */
import fs from 'node:fs';
import YAML, { type Document, LineCounter } from 'yaml';
import { LwError } from './errors.ts';

export interface YamlMapping {
  value: Record<string, unknown>;
  doc: Document;
  lc: LineCounter;
}

export function readYamlMapping(file: string): YamlMapping {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new LwError('LW_ERR_CONFIG', [`cannot read config file ${file}: ${why}`]);
  }
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new LwError('LW_ERR_CONFIG', [
      `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    ]);
  }
  const v = doc.toJS();
  if (v === null || v === undefined) return { value: {}, doc, lc };
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new LwError('LW_ERR_CONFIG', [`${file}: expected a mapping at the top level`]);
  }
  return { value: v as Record<string, unknown>, doc, lc };
}
