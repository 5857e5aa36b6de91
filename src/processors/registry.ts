/**
 * The processor table: verb -> definition. A new processor is a new file and one entry here.
 */
import { cidr } from './cidr.ts';
import { date } from './date.ts';
import { dedupe } from './dedupe.ts';
import { drop } from './drop.ts';
import { geoip } from './geoip.ts';
import { hash } from './hash.ts';
import { ifElse } from './if.ts';
import { lookup } from './lookup.ts';
import { mask } from './mask.ts';
import { route } from './route.ts';
import { sample } from './sample.ts';
import { convert } from './convert.ts';
import { copy } from './copy.ts';
import { grok } from './grok.ts';
import { lowercase } from './lowercase.ts';
import { csv } from './parse-csv.ts';
import { json } from './parse-json.ts';
import { kv } from './parse-kv.ts';
import { logfmt } from './parse-logfmt.ts';
import { regex } from './parse-regex.ts';
import { syslog } from './parse-syslog.ts';
import { url } from './parse-url.ts';
import type { ProcessorDef } from './processor-def.ts';
import { remove } from './remove.ts';
import { rename } from './rename.ts';
import { set } from './set.ts';
import { split } from './split.ts';
import { trim } from './trim.ts';
import { truncate } from './truncate.ts';
import { userAgent } from './user-agent.ts';

export const PROCESSORS: Record<string, ProcessorDef> = {
  json,
  logfmt,
  csv,
  regex,
  grok,
  syslog,
  user_agent: userAgent,
  url,
  kv,
  date,
  rename,
  remove,
  set,
  copy,
  convert,
  lowercase,
  trim,
  split,
  truncate,
  mask,
  hash,
  drop,
  sample,
  route,
  dedupe,
  if: ifElse,
  lookup,
  geoip,
  cidr,
};
