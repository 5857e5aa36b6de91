/**
 * Elasticsearch `_bulk` (https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk):
 * an NDJSON body of action lines, each `index` or `create` action followed by its source line.
 * The action's `_index` (or the `{index}` of the path) names the stream; the source line is
 * queued as is (a JSON record that normalize.ts reads: `@timestamp`, `message`, `log.level`,
 * `host.name`, `service.name`, ...), so the body is streamed and never re-serialised.
 *
 * Answer: HTTP 200 in Elasticsearch's shape, `{"took", "errors", "items": [{"index": {...,
 * "status"}}]}`, once every accepted document is durable in the queue. Per item: 201 created
 * (with the event's stored `_id` when the action gave none); 400 for a malformed action or
 * source line, an invalid index name or an unsupported action (`update`, `delete`: events are
 * immutable); 429 when the queue (or disk) is full, so clients retry only those items. A
 * document whose `_id` was stored before (doc-ids.ts) is not stored again: `index` answers
 * 200 with result `noop`, `create` answers 409 like Elasticsearch's version conflict.
 * `filter_path` (as Filebeat sends it) trims the answer.
 */
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { envelopeKey, isValidStreamName } from '../../core/envelope.ts';
import { LwError } from '../../core/errors.ts';
import { decodeBody, isDecodeError } from '../http/content-encoding.ts';
import { isJsonObject, jsonObjectError } from '../http/json-validate.ts';
import { LineSplitter } from '../http/line-splitter.ts';
import { type Appended, RecordBatch, type RecordSinkDeps } from '../http/record-sink.ts';
import { countDropped, countRejected, type SourceStats } from '../net/source-stats.ts';
import { type DocIds, docIdKey, ES_ID_HEADER } from './doc-ids.ts';

export interface BulkDeps extends RecordSinkDeps {
  maxBodyBytes: number;
  maxLineBytes: number;
  counters: SourceStats;
  docIds: DocIds;
}

type Op = 'index' | 'create' | 'update' | 'delete';

interface Item {
  op: Op;
  index: string | null;
  id: string | null;
  /** Message index in the RecordBatch, or -1 when the item was settled without appending. */
  msg: number;
  /** The earlier item of this request with the same `_id`, whose outcome this one mirrors. */
  sameAs: number;
  key: string | null;
  /** HTTP status once settled without appending; -1: its `_id` was stored before (a duplicate). */
  status: number;
  error: { type: string; reason: string } | null;
  result: string;
  /** Why a 400 item was rejected, for the `rejected` counter. */
  why: string;
}

interface PendingAction {
  item: Item;
  /** The action line itself was malformed: its source line is skipped. */
  broken: boolean;
}

function errorItem(
  op: Op,
  index: string | null,
  id: string | null,
  status: number,
  type: string,
  reason: string,
  why = 'malformed',
): Item {
  return { op, index, id, msg: -1, sameAs: -1, key: null, status, error: { type, reason }, result: '', why };
}

/** Parses an action line; returns the item (settled when it is an error) and whether a source line follows. */
function parseAction(text: string, lineNo: number, pathIndex: string | null): PendingAction | Item {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return {
      item: errorItem(
        'index',
        pathIndex,
        null,
        400,
        'illegal_argument_exception',
        `line ${lineNo}: cannot parse the action line: ${(err as Error).message}`,
      ),
      broken: true,
    };
  }
  const keys = obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? Object.keys(obj) : [];
  const op = keys[0] as Op;
  const meta = (obj as Record<string, unknown>)?.[op];
  if (
    keys.length !== 1 ||
    !['index', 'create', 'update', 'delete'].includes(op) ||
    meta === null ||
    typeof meta !== 'object'
  ) {
    return {
      item: errorItem(
        'index',
        pathIndex,
        null,
        400,
        'illegal_argument_exception',
        `line ${lineNo}: expected an action line like {"index":{}} or {"create":{}}, got ${text.slice(0, 80)}`,
      ),
      broken: true,
    };
  }
  const m = meta as Record<string, unknown>;
  const index = typeof m._index === 'string' ? m._index : pathIndex;
  const id = typeof m._id === 'string' || typeof m._id === 'number' ? String(m._id) : null;
  if (op === 'delete') {
    return errorItem(
      op,
      index,
      id,
      400,
      'illegal_argument_exception',
      `line ${lineNo}: action [delete] is not supported: logwarden keeps events immutable`,
      'unsupported_action',
    );
  }
  if (op === 'update') {
    return {
      item: errorItem(
        op,
        index,
        id,
        400,
        'illegal_argument_exception',
        `line ${lineNo}: action [update] is not supported: logwarden keeps events immutable`,
        'unsupported_action',
      ),
      broken: false,
    };
  }
  if (index === null) {
    return {
      item: errorItem(
        op,
        null,
        id,
        400,
        'action_request_validation_exception',
        `line ${lineNo}: index is missing`,
      ),
      broken: false,
    };
  }
  if (!isValidStreamName(index)) {
    return {
      item: errorItem(
        op,
        index,
        id,
        400,
        'invalid_index_name_exception',
        `line ${lineNo}: invalid index name [${index}]: use letters, digits, _ - . (up to 128, not starting with _ . or -)`,
        'invalid_index',
      ),
      broken: false,
    };
  }
  return {
    item: { op, index, id, msg: -1, sameAs: -1, key: null, status: 0, error: null, result: '', why: '' },
    broken: false,
  };
}

/**
 * Handles one `_bulk` request; returns the Elasticsearch-shaped answer. When `appendedUpTo` is
 * given, it receives per partition the offset after the last appended document (for `refresh`).
 */
export async function handleBulk(
  body: Readable,
  encoding: string | undefined,
  pathIndex: string | null,
  deps: BulkDeps,
  appendedUpTo?: Map<number, number>,
  /** Whether the caller may write to a stream (a token restricted to streams); 403 per item. */
  writable: (stream: string) => boolean = () => true,
): Promise<{ took: number; errors: boolean; items: Array<Record<string, Record<string, unknown>>> }> {
  const started = performance.now();
  const batch = new RecordBatch(deps, deps.counters);
  const items: Item[] = [];
  const byKey = new Map<string, number>();
  let pending: PendingAction | null = null;
  const plainActions = new Map<string, { op: Op; index: string | null }>();
  const keyCache = new Map<string, Buffer>();
  const streamKey = (index: string) => {
    let k = keyCache.get(index);
    if (k === undefined) {
      k = envelopeKey(index, 'json');
      keyCache.set(index, k);
    }
    return k;
  };

  const onSource = (p: PendingAction, line: Buffer | null, lineNo: number, tooLong: number) => {
    const it = p.item;
    items.push(it);
    if (p.broken || it.error !== null) return;
    if (!writable(it.index as string)) {
      it.status = 403;
      it.why = 'forbidden';
      it.error = {
        type: 'security_exception',
        reason: `line ${lineNo}: these credentials may not write to index [${it.index}]`,
      };
      return;
    }
    if (line === null) {
      it.status = 400;
      it.why = 'too_large';
      it.error = {
        type: 'document_parsing_exception',
        reason: `line ${lineNo}: document is ${tooLong} bytes, over the limit of ${deps.maxLineBytes}`,
      };
      return;
    }
    if (!isJsonObject(line)) {
      it.status = 400;
      it.why = 'malformed';
      it.error = { type: 'document_parsing_exception', reason: `line ${lineNo}: ${jsonObjectError(line)}` };
      return;
    }
    if (!isUtf8(line)) {
      it.status = 400;
      it.why = 'invalid_utf8';
      it.error = {
        type: 'document_parsing_exception',
        reason: `line ${lineNo}: the document is not valid UTF-8`,
      };
      return;
    }
    if (it.id !== null) {
      const key = docIdKey(it.index as string, it.id);
      const first = byKey.get(key);
      if (first !== undefined) {
        it.sameAs = first;
        return;
      }
      byKey.set(key, items.length - 1);
      const c = deps.docIds.claim(key);
      if (c === 'stored') {
        it.status = -1;
        return;
      }
      if (c === 'in_flight') {
        it.status = 429;
        it.error = {
          type: 'version_conflict_engine_exception',
          reason: `[${it.id}]: a request with the same _id is being stored; retry`,
        };
        return;
      }
      it.key = key;
      it.msg = batch.add(streamKey(it.index as string), line, { [ES_ID_HEADER]: key });
      return;
    }
    it.msg = batch.add(streamKey(it.index as string), line);
  };

  // The `_id`s of each appended chunk are journaled right after it (doc-ids.ts relies on that to
  // bound its start-up scan); items from `settled` on are not settled yet.
  let settled = 0;
  const settleFlushed = async () => {
    const appended: string[] = [];
    const failed: string[] = [];
    for (; settled < items.length; settled++) {
      const it = items[settled];
      if (it.key !== null) (batch.appended(it.msg) ? appended : failed).push(it.key);
    }
    await deps.docIds.settle(appended, failed);
  };

  const splitter = new LineSplitter(deps.maxLineBytes, {
    onLine(line, lineNo) {
      if (line.length === 0 || (line.length < 8 && line.toString().trim() === '')) return;
      if (pending !== null) {
        const p = pending;
        pending = null;
        onSource(p, line, lineNo, 0);
        return;
      }
      // Shippers repeat the same action line (`{"create":{"_index":"app"}}`) for every document:
      // a valid one without `_id` is parsed once per request.
      const text = line.toString('utf8');
      const known = plainActions.get(text);
      if (known !== undefined) {
        pending = {
          item: {
            op: known.op,
            index: known.index,
            id: null,
            msg: -1,
            sameAs: -1,
            key: null,
            status: 0,
            error: null,
            result: '',
            why: '',
          },
          broken: false,
        };
        return;
      }
      const a = parseAction(text, lineNo, pathIndex);
      if ('item' in a) {
        pending = a;
        const it = a.item;
        if (!a.broken && it.error === null && it.id === null && plainActions.size < 64)
          plainActions.set(text, { op: it.op, index: it.index });
      } else items.push(a);
    },
    onTooLong(lineNo, bytes) {
      if (pending !== null) {
        const p = pending;
        pending = null;
        onSource(p, null, lineNo, bytes);
        return;
      }
      // An oversized action line: its source line (if any) is skipped with it.
      pending = {
        item: errorItem(
          'index',
          pathIndex,
          null,
          400,
          'illegal_argument_exception',
          `line ${lineNo}: action line is ${bytes} bytes, over the limit of ${deps.maxLineBytes}`,
          'too_large',
        ),
        broken: true,
      };
    },
  });

  const stream = decodeBody(encoding, body);
  let total = 0;
  try {
    try {
      for await (const chunk of stream) {
        total += (chunk as Buffer).length;
        if (total > deps.maxBodyBytes) throw new LwError('LW_ERR_BODY_TOO_LARGE', [deps.maxBodyBytes]);
        splitter.push(chunk as Buffer);
        if (batch.shouldFlush) {
          await batch.flush();
          await settleFlushed();
        }
      }
    } catch (err) {
      if (err instanceof LwError) throw err;
      if (isDecodeError(err))
        throw new LwError('LW_ERR_BAD_ENCODING', [String(encoding), (err as Error).message]);
      throw err;
    }
    splitter.end();
    const last = pending as PendingAction | null;
    if (last !== null) {
      items.push(last.item);
      if (last.item.error === null) {
        last.item.status = 400;
        last.item.error = {
          type: 'illegal_argument_exception',
          reason: `line ${splitter.lines}: the action has no source line (the body must end with a newline)`,
        };
      }
    }
    await batch.flush();
  } finally {
    // Record or free every claimed _id, whatever happened (a failed request frees them for a retry).
    await settleFlushed();
  }

  let errors = false;
  const out: Array<Record<string, Record<string, unknown>>> = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const src = it.sameAs >= 0 ? items[it.sameAs] : it;
    let r: Record<string, unknown>;
    if (src.msg >= 0) {
      const o = batch.outcome(src.msg);
      if (o instanceof LwError)
        r = failure(
          it,
          429,
          o.code === 'LW_ERR_QUEUE_FULL' ? 'es_rejected_execution_exception' : 'cluster_block_exception',
          o.message,
        );
      else if (it === src) r = created(it, o);
      else r = duplicate(it);
    } else if (src.status === -1) r = duplicate(it);
    else if (src.error !== null) r = failure(it, src.status, src.error.type, src.error.reason);
    else throw new Error('BUG: a bulk item with no outcome');
    if (typeof r.status === 'number' && r.status >= 400) errors = true;
    out[i] = { [it.op]: r };
  }
  // Settle the counters: appended items were counted by the batch (accepted or dropped).
  deps.counters.received += items.length;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.sameAs < 0 && it.msg >= 0) continue;
    const r = out[i][it.op];
    if (r.status === 400)
      countRejected(deps.counters, (it.sameAs >= 0 ? items[it.sameAs] : it).why || 'malformed');
    else if (r.status === 409 || r.result === 'noop') countDropped(deps.counters, 'duplicate_id');
    else countDropped(deps.counters, it.sameAs >= 0 ? 'queue_full' : 'id_in_flight');
  }
  if (appendedUpTo) for (const [p, o] of batch.appendedUpTo) appendedUpTo.set(p, o);
  return { took: Math.round(performance.now() - started), errors, items: out };
}

const SHARDS_OK = Object.freeze({ total: 1, successful: 1, failed: 0 });

function created(it: Item, o: Appended): Record<string, unknown> {
  return {
    _index: it.index,
    _id: it.id ?? RecordBatch.eventId(o),
    _version: 1,
    result: 'created',
    _shards: SHARDS_OK,
    _seq_no: o.offset,
    _primary_term: 1,
    status: 201,
  };
}

function duplicate(it: Item): Record<string, unknown> {
  if (it.op === 'create') {
    return failure(
      it,
      409,
      'version_conflict_engine_exception',
      `[${it.id}]: version conflict, document already exists`,
    );
  }
  return {
    _index: it.index,
    _id: it.id,
    _version: 1,
    result: 'noop',
    _shards: { total: 1, successful: 0, failed: 0 },
    status: 200,
  };
}

function failure(it: Item, status: number, type: string, reason: string): Record<string, unknown> {
  return { _index: it.index, _id: it.id, status, error: { type, reason } };
}

/**
 * Applies Elasticsearch's `filter_path` to a bulk answer, for the forms shippers send:
 * top-level names (`took`, `errors`, `items`) and `items.*.NAME` (fields of each item).
 * Items left without any field are omitted, as Elasticsearch does.
 */
export function filterBulkAnswer(
  answer: { took: number; errors: boolean; items: Array<Record<string, Record<string, unknown>>> },
  filterPath: string,
): Record<string, unknown> {
  const paths = filterPath.split(',').map((s) => s.trim());
  const out: Record<string, unknown> = {};
  if (paths.includes('took')) out.took = answer.took;
  if (paths.includes('errors')) out.errors = answer.errors;
  if (paths.includes('items') || paths.includes('items.*')) {
    out.items = answer.items;
    return out;
  }
  const fields = paths.filter((p) => p.startsWith('items.*.')).map((p) => p.slice('items.*.'.length));
  if (fields.length === 0) return out;
  const items: Array<Record<string, Record<string, unknown>>> = [];
  for (const it of answer.items) {
    const [op, r] = Object.entries(it)[0];
    const kept: Record<string, unknown> = {};
    for (const f of fields) if (r[f] !== undefined) kept[f] = r[f];
    if (Object.keys(kept).length > 0) items.push({ [op]: kept });
  }
  if (items.length > 0) out.items = items;
  return out;
}
