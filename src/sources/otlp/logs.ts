/**
 * Decoding of OTLP logs (opentelemetry-proto `ExportLogsServiceRequest`, OTLP 1.x) in protobuf
 * and in OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding: lowerCamelCase
 * names, trace/span ids in hex, 64-bit integers as strings or numbers) into queue records.
 *
 * One log record becomes one JSON record for normalize.ts:
 * - resource attributes and log attributes as fields under their own (dotted) names, so
 *   `service.name` gives `service` and `host.name` gives `host`; a log attribute wins over a
 *   resource attribute of the same name;
 * - `scope.name`, `scope.version` and scope attributes under `scope.`;
 * - `_time` from `timeUnixNano`, else `observedTimeUnixNano` (both kept in microseconds;
 *   `observed_time` as a field); the receive time when both are 0;
 * - `level` from `severityNumber` (1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error,
 *   21-24 critical), else from `severityText`; both are kept as `severity_number`/`severity_text`;
 * - `trace_id`, `span_id` as lowercase hex, `trace_flags`, `event_name`;
 * - the body: a string becomes `message`; a key-value list becomes fields under `body.`; any
 *   other value becomes `message` as JSON text.
 * A record with a malformed part (invalid UTF-8, a wrong wire type, an id of the wrong size) is
 * rejected alone with a reason; a body whose structure cannot be read throws LwError 400.
 */
import { LwError } from '../../core/errors.ts';
import { ProtoError, ProtoReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../codec/protobuf.ts';

export interface LogRecordSink {
  record(fields: Record<string, unknown>): void;
  reject(reason: string, error: string): void;
}

const SEVERITY_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

function levelOf(num: number, text: string): string | undefined {
  if (num >= 1 && num <= 24) return SEVERITY_LEVELS[Math.floor((num - 1) / 4)];
  return text === '' ? undefined : text;
}

/** A decoded record before it becomes the queue record. */
interface Decoded {
  timeNs: bigint;
  observedNs: bigint;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  traceId: string;
  spanId: string;
  flags: number;
  eventName: string;
}

function buildRecord(
  resource: Record<string, unknown>,
  scope: Record<string, unknown>,
  d: Decoded,
): Record<string, unknown> {
  const r: Record<string, unknown> = { ...resource, ...scope, ...d.attributes };
  const t = d.timeNs !== 0n ? d.timeNs : d.observedNs;
  if (t !== 0n) r._time = Number(t / 1000n);
  else delete r._time;
  if (d.observedNs !== 0n) r.observed_time = Number(d.observedNs / 1000n);
  const level = levelOf(d.severityNumber, d.severityText);
  if (level !== undefined) r.level = level;
  if (d.severityNumber !== 0) r.severity_number = d.severityNumber;
  if (d.severityText !== '') r.severity_text = d.severityText;
  if (d.traceId !== '') r.trace_id = d.traceId;
  if (d.spanId !== '') r.span_id = d.spanId;
  if (d.flags !== 0) r.trace_flags = d.flags;
  if (d.eventName !== '') r.event_name = d.eventName;
  const b = d.body;
  if (typeof b === 'string') r.message = b;
  else if (b !== null && typeof b === 'object' && !Array.isArray(b)) r.body = b;
  else if (b !== undefined && b !== null) r.message = JSON.stringify(b);
  return r;
}

// ---- protobuf -------------------------------------------------------------------------------

function anyValue(r: ProtoReader): unknown {
  let v: unknown = null;
  while (r.next()) {
    switch (r.field) {
      case 1:
        r.expect(WIRE_LEN);
        v = r.string();
        break;
      case 2:
        r.expect(WIRE_VARINT);
        v = r.bool();
        break;
      case 3: {
        r.expect(WIRE_VARINT);
        const n = BigInt.asIntN(64, r.varint64());
        v =
          n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(n)
            : n.toString();
        break;
      }
      case 4:
        r.expect(WIRE_I64);
        v = r.double();
        break;
      case 5: {
        r.expect(WIRE_LEN);
        const arr: unknown[] = [];
        const a = r.message();
        while (a.next()) {
          if (a.field === 1) {
            a.expect(WIRE_LEN);
            arr.push(anyValue(a.message()));
          } else a.skip();
        }
        v = arr;
        break;
      }
      case 6: {
        r.expect(WIRE_LEN);
        const obj: Record<string, unknown> = {};
        const kv = r.message();
        while (kv.next()) {
          if (kv.field === 1) {
            kv.expect(WIRE_LEN);
            keyValue(kv.message(), obj, '');
          } else kv.skip();
        }
        v = obj;
        break;
      }
      case 7:
        r.expect(WIRE_LEN);
        v = Buffer.from(r.bytes()).toString('base64');
        break;
      default:
        r.skip();
    }
  }
  return v;
}

function keyValue(r: ProtoReader, into: Record<string, unknown>, prefix: string): void {
  let key = '';
  let value: unknown = null;
  while (r.next()) {
    if (r.field === 1) {
      r.expect(WIRE_LEN);
      key = r.string();
    } else if (r.field === 2) {
      r.expect(WIRE_LEN);
      value = anyValue(r.message());
    } else r.skip();
  }
  if (value !== null) into[prefix + key] = value;
}

function hexId(b: Uint8Array, size: number, what: string, at: number): string {
  if (b.length === 0) return '';
  if (b.length !== size) throw new ProtoError(`${what} is ${b.length} bytes, expected ${size}`, at);
  let allZero = true;
  for (const x of b) if (x !== 0) allZero = false;
  return allZero ? '' : Buffer.from(b).toString('hex');
}

function decodeLogRecord(r: ProtoReader): Decoded {
  const d: Decoded = {
    timeNs: 0n,
    observedNs: 0n,
    severityNumber: 0,
    severityText: '',
    body: undefined,
    attributes: {},
    traceId: '',
    spanId: '',
    flags: 0,
    eventName: '',
  };
  while (r.next()) {
    switch (r.field) {
      case 1:
        r.expect(WIRE_I64);
        d.timeNs = r.fixed64();
        break;
      case 11:
        r.expect(WIRE_I64);
        d.observedNs = r.fixed64();
        break;
      case 2:
        r.expect(WIRE_VARINT);
        d.severityNumber = r.varint();
        break;
      case 3:
        r.expect(WIRE_LEN);
        d.severityText = r.string();
        break;
      case 5:
        r.expect(WIRE_LEN);
        d.body = anyValue(r.message());
        break;
      case 6:
        r.expect(WIRE_LEN);
        keyValue(r.message(), d.attributes, '');
        break;
      case 8:
        r.expect(WIRE_I32);
        d.flags = r.fixed32();
        break;
      case 9: {
        r.expect(WIRE_LEN);
        const at = r.position;
        d.traceId = hexId(r.bytes(), 16, 'trace_id', at);
        break;
      }
      case 10: {
        r.expect(WIRE_LEN);
        const at = r.position;
        d.spanId = hexId(r.bytes(), 8, 'span_id', at);
        break;
      }
      case 12:
        r.expect(WIRE_LEN);
        d.eventName = r.string();
        break;
      default:
        r.skip();
    }
  }
  return d;
}

function attributesOf(r: ProtoReader, field: number, into: Record<string, unknown>, prefix: string): boolean {
  if (r.field !== field) return false;
  r.expect(WIRE_LEN);
  keyValue(r.message(), into, prefix);
  return true;
}

function reasonOf(err: ProtoError): string {
  return /UTF-8/.test(err.message) ? 'invalid_utf8' : 'malformed';
}

export function decodeProtobufLogs(body: Uint8Array, sink: LogRecordSink): void {
  try {
    const req = new ProtoReader(body);
    let ri = 0;
    while (req.next()) {
      if (req.field !== 1) {
        req.skip();
        continue;
      }
      req.expect(WIRE_LEN);
      const rl = req.message();
      // Fields may come in any order: collect scope-log readers, decode them once the resource is known.
      const resource: Record<string, unknown> = {};
      const scopeLogs: ProtoReader[] = [];
      let resourceError: string | null = null;
      while (rl.next()) {
        if (rl.field === 1) {
          rl.expect(WIRE_LEN);
          const res = rl.message();
          try {
            while (res.next()) if (!attributesOf(res, 1, resource, '')) res.skip();
          } catch (err) {
            if (!(err instanceof ProtoError)) throw err;
            resourceError = err.message;
          }
        } else if (rl.field === 2) {
          rl.expect(WIRE_LEN);
          scopeLogs.push(rl.message());
        } else rl.skip();
      }
      scopeLogs.forEach((sl, si) => {
        const scope: Record<string, unknown> = {};
        const records: ProtoReader[] = [];
        let scopeError = resourceError;
        while (sl.next()) {
          if (sl.field === 1) {
            sl.expect(WIRE_LEN);
            const sc = sl.message();
            try {
              while (sc.next()) {
                if (sc.field === 1) {
                  sc.expect(WIRE_LEN);
                  const name = sc.string();
                  if (name !== '') scope['scope.name'] = name;
                } else if (sc.field === 2) {
                  sc.expect(WIRE_LEN);
                  const version = sc.string();
                  if (version !== '') scope['scope.version'] = version;
                } else if (!attributesOf(sc, 3, scope, 'scope.')) sc.skip();
              }
            } catch (err) {
              if (!(err instanceof ProtoError)) throw err;
              scopeError = err.message;
            }
          } else if (sl.field === 2) {
            sl.expect(WIRE_LEN);
            records.push(sl.message());
          } else sl.skip();
        }
        records.forEach((lr, li) => {
          const where = `resourceLogs[${ri}].scopeLogs[${si}].logRecords[${li}]`;
          if (scopeError !== null) {
            sink.reject(
              /UTF-8/.test(scopeError) ? 'invalid_utf8' : 'malformed',
              `${where}: its resource or scope: ${scopeError}`,
            );
            return;
          }
          try {
            sink.record(buildRecord(resource, scope, decodeLogRecord(lr)));
          } catch (err) {
            if (!(err instanceof ProtoError)) throw err;
            sink.reject(reasonOf(err), `${where}: ${err.message}`);
          }
        });
      });
      ri++;
    }
  } catch (err) {
    if (err instanceof ProtoError)
      throw new LwError('LW_ERR_BAD_REQUEST', [`cannot parse the OTLP protobuf body: ${err.message}`]);
    throw err;
  }
}

// ---- JSON -----------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** A field by its lowerCamelCase name or, as some senders write, its snake_case name. */
function get(o: Json, camel: string, snake: string): unknown {
  return o[camel] !== undefined ? o[camel] : o[snake];
}

class JsonShapeError extends Error {}

function jsonAnyValue(v: unknown, where: string): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new JsonShapeError(`${where}: expected an AnyValue object`);
  const o = v as Json;
  if (o.stringValue !== undefined || o.string_value !== undefined) {
    const s = get(o, 'stringValue', 'string_value');
    if (typeof s !== 'string') throw new JsonShapeError(`${where}.stringValue: expected a string`);
    return s;
  }
  if (o.boolValue !== undefined || o.bool_value !== undefined)
    return Boolean(get(o, 'boolValue', 'bool_value'));
  if (o.intValue !== undefined || o.int_value !== undefined) {
    const n = get(o, 'intValue', 'int_value');
    if (typeof n === 'number' && Number.isInteger(n)) return n;
    if (typeof n === 'string' && /^-?\d{1,20}$/.test(n)) {
      const b = BigInt(n);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : n;
    }
    throw new JsonShapeError(`${where}.intValue: expected an integer`);
  }
  if (o.doubleValue !== undefined || o.double_value !== undefined) {
    const n = Number(get(o, 'doubleValue', 'double_value'));
    if (Number.isNaN(n)) throw new JsonShapeError(`${where}.doubleValue: expected a number`);
    return n;
  }
  if (o.bytesValue !== undefined || o.bytes_value !== undefined)
    return String(get(o, 'bytesValue', 'bytes_value'));
  const arr = get(o, 'arrayValue', 'array_value');
  if (arr !== undefined) {
    const values = (arr as Json)?.values ?? [];
    if (!Array.isArray(values)) throw new JsonShapeError(`${where}.arrayValue.values: expected an array`);
    return values.map((x, i) => jsonAnyValue(x, `${where}.arrayValue.values[${i}]`));
  }
  const kv = get(o, 'kvlistValue', 'kvlist_value');
  if (kv !== undefined) {
    const out: Json = {};
    jsonAttributes((kv as Json)?.values, out, '', `${where}.kvlistValue.values`);
    return out;
  }
  return null;
}

function jsonAttributes(list: unknown, into: Json, prefix: string, where: string): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw new JsonShapeError(`${where}: expected an array of {key, value}`);
  list.forEach((kv, i) => {
    const key = (kv as Json)?.key;
    if (typeof key !== 'string') throw new JsonShapeError(`${where}[${i}].key: expected a string`);
    const v = jsonAnyValue((kv as Json).value, `${where}[${i}].value`);
    if (v !== null) into[prefix + key] = v;
  });
}

function jsonNanos(v: unknown, where: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.floor(v));
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
  throw new JsonShapeError(`${where}: expected nanoseconds since the epoch (a decimal string)`);
}

function jsonId(v: unknown, hexLen: number, where: string): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'string' || v.length !== hexLen || !/^[0-9a-fA-F]+$/.test(v))
    throw new JsonShapeError(`${where}: expected ${hexLen} hex digits`);
  return /^0+$/.test(v) ? '' : v.toLowerCase();
}

function jsonLogRecord(o: Json, where: string): Decoded {
  const attributes: Json = {};
  jsonAttributes(o.attributes, attributes, '', `${where}.attributes`);
  const sevText = get(o, 'severityText', 'severity_text') ?? '';
  if (typeof sevText !== 'string') throw new JsonShapeError(`${where}.severityText: expected a string`);
  const sevNum = Number(get(o, 'severityNumber', 'severity_number') ?? 0);
  const name = get(o, 'eventName', 'event_name') ?? '';
  return {
    timeNs: jsonNanos(get(o, 'timeUnixNano', 'time_unix_nano'), `${where}.timeUnixNano`),
    observedNs: jsonNanos(
      get(o, 'observedTimeUnixNano', 'observed_time_unix_nano'),
      `${where}.observedTimeUnixNano`,
    ),
    severityNumber: Number.isInteger(sevNum) ? sevNum : 0,
    severityText: sevText,
    body: o.body === undefined ? undefined : jsonAnyValue(o.body, `${where}.body`),
    attributes,
    traceId: jsonId(get(o, 'traceId', 'trace_id'), 32, `${where}.traceId`),
    spanId: jsonId(get(o, 'spanId', 'span_id'), 16, `${where}.spanId`),
    flags: Number(o.flags ?? 0) >>> 0,
    eventName: typeof name === 'string' ? name : '',
  };
}

function arrayOf(o: unknown, camel: string, snake: string, where: string): Json[] {
  const v = o !== null && typeof o === 'object' ? get(o as Json, camel, snake) : undefined;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new JsonShapeError(`${where}.${camel}: expected an array`);
  return v as Json[];
}

export function decodeJsonLogs(body: Buffer, sink: LogRecordSink): void {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new LwError('LW_ERR_BAD_REQUEST', [`cannot parse the OTLP JSON body: ${(err as Error).message}`]);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new LwError('LW_ERR_BAD_REQUEST', ['expected {"resourceLogs": [...]} in the OTLP JSON body']);
  let resourceLogs: Json[];
  try {
    resourceLogs = arrayOf(doc, 'resourceLogs', 'resource_logs', '');
  } catch (err) {
    throw new LwError('LW_ERR_BAD_REQUEST', [(err as Error).message]);
  }
  resourceLogs.forEach((rl, ri) => {
    const rw = `resourceLogs[${ri}]`;
    const resource: Json = {};
    let scopeLogs: Json[] = [];
    let shared: string | null = null;
    try {
      jsonAttributes(
        (rl?.resource as Json | undefined)?.attributes,
        resource,
        '',
        `${rw}.resource.attributes`,
      );
      scopeLogs = arrayOf(rl, 'scopeLogs', 'scope_logs', rw);
    } catch (err) {
      if (!(err instanceof JsonShapeError)) throw err;
      shared = err.message;
    }
    if (shared !== null) {
      sink.reject('malformed', shared);
      return;
    }
    scopeLogs.forEach((sl, si) => {
      const sw = `${rw}.scopeLogs[${si}]`;
      const scope: Json = {};
      let records: Json[];
      try {
        const sc = sl?.scope as Json | undefined;
        if (typeof sc?.name === 'string' && sc.name !== '') scope['scope.name'] = sc.name;
        if (typeof sc?.version === 'string' && sc.version !== '') scope['scope.version'] = sc.version;
        jsonAttributes(sc?.attributes, scope, 'scope.', `${sw}.scope.attributes`);
        records = arrayOf(sl, 'logRecords', 'log_records', sw);
      } catch (err) {
        if (!(err instanceof JsonShapeError)) throw err;
        sink.reject('malformed', err.message);
        return;
      }
      records.forEach((lr, li) => {
        const where = `${sw}.logRecords[${li}]`;
        try {
          if (lr === null || typeof lr !== 'object') throw new JsonShapeError(`${where}: expected an object`);
          sink.record(buildRecord(resource, scope, jsonLogRecord(lr, where)));
        } catch (err) {
          if (!(err instanceof JsonShapeError)) throw err;
          sink.reject('malformed', err.message);
        }
      });
    });
  });
}
