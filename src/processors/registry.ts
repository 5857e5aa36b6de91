/**
 * The processor table: verb -> definition. A new processor is a new file and one entry here.
 */
import { convert } from './convert.ts';
import { copy } from './copy.ts';
import { lowercase } from './lowercase.ts';
import type { ProcessorDef } from './processor-def.ts';
import { remove } from './remove.ts';
import { rename } from './rename.ts';
import { set } from './set.ts';
import { split } from './split.ts';
import { trim } from './trim.ts';
import { truncate } from './truncate.ts';

export const PROCESSORS: Record<string, ProcessorDef> = {
  rename,
  remove,
  set,
  copy,
  convert,
  lowercase,
  trim,
  split,
  truncate,
};
