/**
 * The built-in grok pattern library: every family merged into one table (name -> definition).
 * Names are unique across families (checked by the grok tests); user `pattern_definitions`
 * override built-ins of the same name for one processor.
 */
import { BASE_PATTERNS } from './base.ts';
import { JAVA_PATTERNS } from './java.ts';
import { LOGHUB_PATTERNS } from './loghub.ts';
import { SYSTEM_PATTERNS } from './system.ts';
import { WEB_PATTERNS } from './web.ts';

export const PATTERN_FAMILIES: Record<string, Record<string, string>> = {
  base: BASE_PATTERNS,
  web: WEB_PATTERNS,
  system: SYSTEM_PATTERNS,
  java: JAVA_PATTERNS,
  loghub: LOGHUB_PATTERNS,
};

export const GROK_PATTERNS: Readonly<Record<string, string>> = Object.assign(
  {},
  ...Object.values(PATTERN_FAMILIES),
);
