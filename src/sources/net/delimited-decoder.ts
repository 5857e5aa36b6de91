/**
 * A StreamDecoder for records ended by one delimiter byte (LF for plain lines, NUL for GELF over
 * TCP), built on the HTTP ingest's LineSplitter: a record longer than maxBytes is rejected
 * (`oversized`) and skipped up to its delimiter; blank records (only spaces, tabs, CR, LF) are
 * skipped; every other record goes through `toRecord`, which turns its bytes into the record text
 * or says why it is rejected. The last record of a stream may lack its delimiter.
 */
import { LineSplitter } from '../http/line-splitter.ts';
import type { RecordResult } from './net-record.ts';
import type { DecodeError, StreamDecoder } from './tcp-listener.ts';

function isBlank(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

export class DelimitedDecoder implements StreamDecoder {
  private readonly splitter: LineSplitter;
  private out: string[] = [];

  /** `what` names the records in error messages (`GELF message`, `line`). */
  constructor(
    maxBytes: number,
    delimiter: number,
    what: string,
    toRecord: (bytes: Buffer) => RecordResult,
    onError: (e: DecodeError) => void,
  ) {
    this.splitter = new LineSplitter(
      maxBytes,
      {
        onLine: (line) => {
          if (isBlank(line)) return;
          const r = toRecord(line);
          if (r.ok) this.out.push(r.record);
          else onError({ kind: r.reason, message: r.message, size: line.length });
        },
        onTooLong: (_n, bytes) =>
          onError({
            kind: 'oversized',
            message: `${what} of ${bytes} bytes exceeds the limit of ${maxBytes} bytes`,
            size: bytes,
          }),
      },
      delimiter,
    );
  }

  push(chunk: Buffer): string[] {
    this.splitter.push(chunk);
    return this.take();
  }

  end(): string[] {
    this.splitter.end();
    return this.take();
  }

  private take(): string[] {
    if (this.out.length === 0) return [];
    const out = this.out;
    this.out = [];
    return out;
  }
}
