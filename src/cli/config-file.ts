/**
 * Loads the YAML config file and merges command-line flags over it; validation errors name the
 * key and the file (and the line, for YAML syntax errors).
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { type Config, validateConfig } from '../core/config.ts';
import { LwError } from '../core/errors.ts';

export function loadConfig(file: string | undefined, overrides: Record<string, unknown>): Config {
  let raw: Record<string, unknown> = {};
  const source = file ?? 'the command line';
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new LwError('LW_ERR_CONFIG', [`cannot read config file ${file}: ${(err as Error).message}`]);
    }
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = e.linePos?.[0];
      throw new LwError('LW_ERR_CONFIG', [
        `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`,
      ]);
    }
    const v = doc.toJS();
    if (v !== null && v !== undefined) {
      if (typeof v !== 'object' || Array.isArray(v)) {
        throw new LwError('LW_ERR_CONFIG', [`${file}: expected a mapping at the top level`]);
      }
      raw = v as Record<string, unknown>;
    }
  }
  const merged = structuredClone(raw);
  for (const [dotted, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const keys = dotted.split('.');
    let o = merged as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    o[keys[keys.length - 1]] = value;
  }
  return validateConfig(merged, source);
}
