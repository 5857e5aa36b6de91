/**
 * Crash-safe replacement of a small file: write a temporary file, fsync it, rename it over the
 * target, fsync the directory. After `writeDurable` resolves, a crash (kill -9, power loss)
 * leaves either the old or the new content, never a mix or an empty file.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../queue/disk/disk-io.ts';

export async function writeDurable(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
