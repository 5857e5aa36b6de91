/**
 * Decoding of Loki push requests (https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs)
 * into queue records:
 * - JSON: `{"streams": [{"stream": {LABELS}, "values": [["<ns>", "<line>", {METADATA}?], ...]}]}`
 * - protobuf (`logproto.PushRequest`, snappy-compressed by the caller's transport):
 *   PushRequest{1: repeated StreamAdapter}, StreamAdapter{1: labels string in Prometheus
 *   syntax `{a="b"}`, 2: repeated EntryAdapter}, EntryAdapter{1: Timestamp{1: seconds, 2: nanos},
 *   2: line, 3: repeated LabelPair{1: name, 2: value} (structured metadata)}.
 *
 * Each entry becomes one JSON record: the stream's labels and the entry's structured metadata
 * as fields, `message` = the line, `_time` = the entry time in microseconds; the label
 * `service_name` (Loki 3's service label) becomes `service`. A bad entry (invalid UTF-8,
 * malformed timestamp, a line over `maxLineBytes`) or a stream with unreadable labels is
 * rejected alone, with a reason, and the others are kept. A body whose structure cannot be read
 * (truncated protobuf, JSON that does not parse) throws LwError 400 naming what and where.
 */
import { LwError } from '../../core/errors.ts';
import { ProtoError, ProtoReader, WIRE_LEN, WIRE_VARINT } from '../codec/protobuf.ts';

export interface EntrySink {
  record(fields: Record<string, unknown>): void;
  reject(reason: string, error: string): void;
}

/**
 * Parses Prometheus label syntax `{name="value", ...}` (values with `\\`, `\"`, `\n` escapes).
 * Returns the labels, or a string saying what is wrong where.
 */
export function parseLabels(s: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  let i = 0;
  const n = s.length;
  const ws = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  ws();
  if (s[i] !== '{') return `expected { at offset ${i}`;
  i++;
  ws();
  if (s[i] === '}') {
    i++;
    ws();
    return i === n ? out : `unexpected text after } at offset ${i}`;
  }
  for (;;) {
    ws();
    const start = i;
    while (i < n && /[A-Za-z0-9_.:]/.test(s[i])) i++;
    if (i === start) return `expected a label name at offset ${i}`;
    const name = s.slice(start, i);
    ws();
    if (s[i] !== '=') return `expected = after label ${name} at offset ${i}`;
    i++;
    ws();
    if (s[i] !== '"') return `expected " to open the value of label ${name} at offset ${i}`;
    i++;
    let v = '';
    for (;;) {
      if (i >= n) return `unterminated value of label ${name}`;
      const c = s[i++];
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i++];
        v += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
      } else v += c;
    }
    out[name] = v;
    ws();
    if (s[i] === ',') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        break;
      }
      continue;
    }
    if (s[i] === '}') {
      i++;
      break;
    }
    return `expected , or } after the value of label ${name} at offset ${i}`;
  }
  ws();
  return i === n ? out : `unexpected text after } at offset ${i}`;
}

/** Builds the record of one entry; labels and metadata first, so `message`/`_time` win. */
function entryRecord(
  labels: Record<string, string>,
  timeUs: number,
  line: string,
  metadata: Record<string, string> | null,
): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const k in labels) r[k === 'service_name' ? 'service' : k] = labels[k];
  if (metadata !== null) for (const k in metadata) r[k] = metadata[k];
  r._time = timeUs;
  r.message = line;
  return r;
}

function checkLine(line: string, maxLineBytes: number): string | null {
  // Cheap bound first: UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (line.length * 3 <= maxLineBytes) return null;
  const bytes = Buffer.byteLength(line);
  return bytes > maxLineBytes ? `line is ${bytes} bytes, over the limit of ${maxLineBytes}` : null;
}

/** Nanoseconds since the epoch (decimal string) to microseconds, or null when malformed. */
function nsToUs(ns: unknown): number | null {
  if (typeof ns === 'number' && Number.isFinite(ns) && ns >= 0) return Math.floor(ns / 1000);
  if (typeof ns !== 'string' || !/^\d{1,20}$/.test(ns)) return null;
  return ns.length <= 3 ? 0 : Number(ns.slice(0, -3));
}

export function decodeJsonPush(body: Buffer, maxLineBytes: number, sink: EntrySink): void {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new LwError('LW_ERR_BAD_REQUEST', [`cannot parse the JSON push body: ${(err as Error).message}`]);
  }
  const streams = (doc as { streams?: unknown })?.streams;
  if (!Array.isArray(streams))
    throw new LwError('LW_ERR_BAD_REQUEST', ['expected {"streams": [...]} in the JSON push body']);
  streams.forEach((st, si) => {
    const labels = (st as { stream?: unknown })?.stream ?? {};
    const values = (st as { values?: unknown })?.values;
    if (!Array.isArray(values)) {
      sink.reject('malformed', `streams[${si}]: expected "values": [[ts, line], ...]`);
      return;
    }
    if (
      labels === null ||
      typeof labels !== 'object' ||
      Object.values(labels).some((v) => typeof v !== 'string')
    ) {
      for (let k = 0; k < values.length; k++)
        sink.reject('malformed', `streams[${si}].stream: labels must be an object of strings`);
      return;
    }
    values.forEach((v, vi) => {
      const where = `streams[${si}].values[${vi}]`;
      if (!Array.isArray(v) || v.length < 2 || v.length > 3) {
        sink.reject('malformed', `${where}: expected [ts, line] or [ts, line, {metadata}]`);
        return;
      }
      const us = nsToUs(v[0]);
      if (us === null) {
        sink.reject(
          'malformed',
          `${where}: timestamp ${JSON.stringify(v[0])} is not a nanosecond epoch string`,
        );
        return;
      }
      if (typeof v[1] !== 'string') {
        sink.reject('malformed', `${where}: the line must be a string`);
        return;
      }
      const tooLong = checkLine(v[1], maxLineBytes);
      if (tooLong !== null) {
        sink.reject('too_large', `${where}: ${tooLong}`);
        return;
      }
      let meta: Record<string, string> | null = null;
      if (v.length === 3) {
        const m = v[2];
        if (
          m === null ||
          typeof m !== 'object' ||
          Array.isArray(m) ||
          Object.values(m).some((x) => typeof x !== 'string')
        ) {
          sink.reject('malformed', `${where}: structured metadata must be an object of strings`);
          return;
        }
        meta = m as Record<string, string>;
      }
      sink.record(entryRecord(labels as Record<string, string>, us, v[1], meta));
    });
  });
}

/** Decodes one EntryAdapter; throws ProtoError for anything malformed inside it. */
function decodeEntry(
  r: ProtoReader,
  maxLineBytes: number,
): { us: number; line: string; meta: Record<string, string> | null } | string {
  let seconds = 0;
  let nanos = 0;
  let line = '';
  let meta: Record<string, string> | null = null;
  while (r.next()) {
    if (r.field === 1) {
      r.expect(WIRE_LEN);
      const t = r.message();
      while (t.next()) {
        if (t.field === 1 && t.wire === WIRE_VARINT) seconds = t.int64();
        else if (t.field === 2 && t.wire === WIRE_VARINT) nanos = t.int64();
        else t.skip();
      }
    } else if (r.field === 2) {
      r.expect(WIRE_LEN);
      line = r.string();
    } else if (r.field === 3) {
      r.expect(WIRE_LEN);
      const p = r.message();
      let name = '';
      let value = '';
      while (p.next()) {
        if (p.field === 1) {
          p.expect(WIRE_LEN);
          name = p.string();
        } else if (p.field === 2) {
          p.expect(WIRE_LEN);
          value = p.string();
        } else p.skip();
      }
      meta ??= {};
      meta[name] = value;
    } else r.skip();
  }
  if (seconds < 0 || nanos < 0 || nanos > 999_999_999)
    return `timestamp ${seconds}s ${nanos}ns is out of range`;
  const tooLong = checkLine(line, maxLineBytes);
  if (tooLong !== null) return tooLong;
  return { us: seconds * 1_000_000 + Math.floor(nanos / 1000), line, meta };
}

export function decodeProtobufPush(body: Uint8Array, maxLineBytes: number, sink: EntrySink): void {
  const req = new ProtoReader(body);
  try {
    let si = 0;
    while (req.next()) {
      if (req.field !== 1) {
        req.skip();
        continue;
      }
      req.expect(WIRE_LEN);
      const st = req.message();
      // Labels may follow the entries on the wire: collect the entries' ranges first.
      let labels: Record<string, string> | string = {};
      const entries: ProtoReader[] = [];
      while (st.next()) {
        if (st.field === 1) {
          st.expect(WIRE_LEN);
          try {
            labels = parseLabels(st.string());
          } catch (err) {
            if (!(err instanceof ProtoError)) throw err;
            labels = err.message;
          }
        } else if (st.field === 2) {
          st.expect(WIRE_LEN);
          entries.push(st.message());
        } else st.skip();
      }
      if (typeof labels === 'string') {
        for (let k = 0; k < entries.length; k++)
          sink.reject('malformed', `stream ${si}: cannot read its labels: ${labels}`);
        si++;
        continue;
      }
      entries.forEach((er, ei) => {
        let e: ReturnType<typeof decodeEntry>;
        try {
          e = decodeEntry(er, maxLineBytes);
        } catch (err) {
          if (!(err instanceof ProtoError)) throw err;
          sink.reject(
            /UTF-8/.test(err.message) ? 'invalid_utf8' : 'malformed',
            `stream ${si} entry ${ei}: ${err.message}`,
          );
          return;
        }
        if (typeof e === 'string')
          sink.reject(/bytes, over/.test(e) ? 'too_large' : 'malformed', `stream ${si} entry ${ei}: ${e}`);
        else sink.record(entryRecord(labels, e.us, e.line, e.meta));
      });
      si++;
    }
  } catch (err) {
    if (err instanceof ProtoError)
      throw new LwError('LW_ERR_BAD_REQUEST', [`cannot parse the protobuf push body: ${err.message}`]);
    throw err;
  }
}
