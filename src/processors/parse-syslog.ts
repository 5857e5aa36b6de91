/**
 * `syslog`: parses a field holding a syslog line (RFC 5424 or RFC 3164, with or without PRI;
 * the same parser as the syslog source) into `_time`, `host`, `service` (APP-NAME / tag),
 * `level` (from the severity), `syslog.facility`, `syslog.pid`, `syslog.msgid`, structured data
 * `sd.<id>.<param>`, and replaces `message` with the MSG part.
 * `{"syslog": {"field": "message"}}`. A line that is not syslog is an error; a header that
 * parses only partly keeps what it read and reports the rest in `_pipeline_error`.
 */
import { z } from 'zod';
import { parseSyslog } from '../sources/syslog/parse-syslog.ts';
import { fieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const syslog = defineProcessor({
  name: 'syslog',
  schema: z.strictObject({ field: field.default('message') }),
  build(o) {
    const src = fieldAccessor(o.field);
    return {
      name: 'syslog',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        const m = parseSyslog(v, ev._ingest_time / 1000);
        if (m === null) throw new Error(`${o.field} is not a syslog line`);
        if (m.time !== undefined) ev._time = m.time;
        if (m.host !== undefined) ev.host = m.host;
        if (m.app !== undefined) ev.service = m.app;
        if (m.level !== '') ev.level = m.level;
        const f = ev.fields;
        if (m.facility !== undefined) f['syslog.facility'] = m.facility;
        if (m.pid !== undefined) f['syslog.pid'] = m.pid;
        if (m.msgid !== undefined) f['syslog.msgid'] = m.msgid;
        if (m.context !== undefined) f['syslog.context'] = m.context;
        if (m.structuredData !== undefined) Object.assign(f, m.structuredData);
        ev.message = m.message;
        if (m.error !== undefined) throw new Error(m.error);
        return true;
      },
    };
  },
});
