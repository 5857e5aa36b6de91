/**
 * A reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/), for
 * the messages logwarden receives (Loki PushRequest, OTLP ExportLogsServiceRequest). No schema
 * compiler: each decoder walks its message with `next()` and reads fields by number.
 *
 * Contract: the reader never reads outside `[start, end)` of the buffer it was given; every
 * malformed input (truncated varint or field, a length past the end, a varint over 10 bytes,
 * wire types 3/4 (groups) or 6/7, field number 0, invalid UTF-8 in a string) throws ProtoError
 * naming the problem and its byte position. `bytes()` and `message()` return views into the
 * caller's buffer (no copy): the caller must not change the buffer while they are in use.
 */

export class ProtoError extends Error {
  /** Byte position (from the start of the outermost buffer) where decoding failed. */
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at byte ${position}`);
    this.name = 'ProtoError';
    this.position = position;
  }
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ProtoReader {
  private readonly buf: Uint8Array;
  private pos: number;
  private readonly end: number;
  /** Field number and wire type of the field `next()` moved to. */
  field = 0;
  wire = 0;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) throw new Error('BUG: reader range outside buffer');
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get position(): number {
    return this.pos;
  }

  /** Moves to the next field; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const at = this.pos;
    const tag = this.varint();
    this.field = Math.floor(tag / 8);
    this.wire = tag % 8;
    if (this.field === 0) throw new ProtoError('field number 0', at);
    if (
      this.wire !== WIRE_VARINT &&
      this.wire !== WIRE_I64 &&
      this.wire !== WIRE_LEN &&
      this.wire !== WIRE_I32
    )
      throw new ProtoError(`unsupported wire type ${this.wire} (field ${this.field})`, at);
    return true;
  }

  /** An unsigned varint up to 2^53 (larger values lose precision; use varint64 for those). */
  varint(): number {
    const b = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint', this.pos);
      const c = b[this.pos++];
      result += (c & 0x7f) * mul;
      if (c < 0x80) return result;
      mul *= 128;
    }
    throw new ProtoError('varint longer than 10 bytes', this.pos);
  }

  /** A varint as an unsigned 64-bit bigint (uint64, or int64 as two's complement). */
  varint64(): bigint {
    const b = this.buf;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint', this.pos);
      const c = b[this.pos++];
      result |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtoError('varint longer than 10 bytes', this.pos);
  }

  /** An int64 varint, as a number (exact up to 2^53). */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varint64()));
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  private need(n: number, what: string): number {
    if (this.end - this.pos < n) throw new ProtoError(`truncated ${what}`, this.pos);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  fixed32(): number {
    const at = this.need(4, 'fixed32');
    const b = this.buf;
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
  }

  fixed64(): bigint {
    const lo = BigInt(this.fixed32());
    const hi = BigInt(this.fixed32());
    return (hi << 32n) | lo;
  }

  double(): number {
    const at = this.need(8, 'double');
    return new DataView(this.buf.buffer, this.buf.byteOffset + at, 8).getFloat64(0, true);
  }

  /** The length-delimited payload as a view [start, end) into the buffer. */
  private lenRange(): [number, number] {
    const at = this.pos;
    const n = this.varint();
    if (n > this.end - this.pos) throw new ProtoError(`length ${n} past the end of the message`, at);
    const s = this.pos;
    this.pos += n;
    return [s, s + n];
  }

  bytes(): Uint8Array {
    const [s, e] = this.lenRange();
    return this.buf.subarray(s, e);
  }

  string(): string {
    const [s, e] = this.lenRange();
    try {
      return utf8.decode(this.buf.subarray(s, e));
    } catch {
      throw new ProtoError(`invalid UTF-8 in string field ${this.field}`, s);
    }
  }

  /** A reader over an embedded message. */
  message(): ProtoReader {
    const [s, e] = this.lenRange();
    return new ProtoReader(this.buf, s, e);
  }

  /** Skips the current field's value. */
  skip(): void {
    switch (this.wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.need(8, 'fixed64');
        return;
      case WIRE_LEN:
        this.lenRange();
        return;
      case WIRE_I32:
        this.need(4, 'fixed32');
        return;
      default:
        throw new Error(`BUG: wire type ${this.wire} passed next()`);
    }
  }

  /** Throws unless the current field has the wire type a decoder expects. */
  expect(wire: number): void {
    if (this.wire !== wire)
      throw new ProtoError(`field ${this.field} has wire type ${this.wire}, expected ${wire}`, this.pos);
  }
}
