/**
 * Where the agent is in each file, and the durable checkpoint of what the server acknowledged.
 *
 * A position names a file by inode (dev + ino) and by content (a hash of its first bytes, so a
 * reused inode or a truncated and rewritten file is not mistaken for the old one). The
 * checkpoint (`checkpoint.json`) holds the positions up to the last acknowledged batch and that
 * batch's sequence number; it is replaced durably (durable-file.ts) after every acknowledgement
 * and is never ahead of the server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bug } from '../core/errors.ts';
import { writeDurable } from './durable-file.ts';
import { fileKey } from './tail-file.ts';

export interface FilePosition {
  path: string;
  dev: number;
  ino: number;
  fp: string;
  fpLen: number;
  /** Byte offset just after the last event included. */
  offset: number;
}

export interface Checkpoint {
  /** Sequence number of the last batch the server acknowledged (0: none yet). */
  ackedSeq: number;
  files: FilePosition[];
}

const positionKey = (p: FilePosition): string => fileKey(p.dev, p.ino);

/** Merges positions into a map by file key; later ones win. */
export function mergePositions(into: Map<string, FilePosition>, positions: readonly FilePosition[]): void {
  for (const p of positions) into.set(positionKey(p), p);
}

export class CheckpointFile {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, 'checkpoint.json');
  }

  /** The last checkpoint written, or an empty one. A corrupt file is a bug (writes are atomic). */
  read(): Checkpoint {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ackedSeq: 0, files: [] };
      throw err;
    }
    const c = JSON.parse(text) as Checkpoint;
    if (!Number.isInteger(c.ackedSeq) || !Array.isArray(c.files)) bug(`malformed checkpoint ${this.file}`);
    return c;
  }

  async write(c: Checkpoint): Promise<void> {
    await writeDurable(this.file, `${JSON.stringify(c)}\n`);
  }
}
