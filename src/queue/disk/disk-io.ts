/**
 * The file-system operations the disk queue needs to make durable, behind an interface so tests
 * can inject faults (ENOSPC part-way through a write, a failing fdatasync) that a real disk
 * can't produce on demand. Also the logger shape the queue accepts (pino's is compatible).
 */

import fs, { type FileHandle } from 'node:fs/promises';

/** The subset of a pino logger the queue uses. */
export interface QueueLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Writes warnings and errors as single lines on stderr; used when no logger is given. */
export const stderrLogger: QueueLogger = {
  warn: (obj, msg) => process.stderr.write(`WARN disk-queue: ${msg} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`ERROR disk-queue: ${msg} ${JSON.stringify(obj)}\n`),
};

/**
 * Durable-write primitives. Contract for implementations: `write` either writes all of `buf`
 * at `position` and resolves, or rejects (it may have written any prefix first, which the
 * caller truncates away); `datasync` makes written data durable (fdatasync) or rejects.
 */
export interface DiskIo {
  write(fh: FileHandle, buf: Buffer, position: number): Promise<void>;
  datasync(fh: FileHandle): Promise<void>;
}

export const defaultIo: DiskIo = {
  async write(fh, buf, position) {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
      if (bytesWritten <= 0) throw ioError('EIO', `write returned ${bytesWritten} bytes`);
      done += bytesWritten;
    }
  },
  datasync: (fh) => fh.datasync(),
};

/** An Error carrying a Node-style `code` (ENOSPC, EIO...), as fs calls reject with. */
export function ioError(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  err.code = code;
  return err;
}

export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * fsyncs a directory, so that files created, renamed or removed in it survive a crash (POSIX
 * makes a new name durable only when its directory is synced).
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Reads up to `length` bytes at `position` into `buf[offset...]`; fewer only at end of file. */
export async function readFully(
  fh: FileHandle,
  buf: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
