/**
 * Exclusive ownership of a queue directory: two processes appending to the same segment files
 * would interleave records and corrupt them. The lock is a `.lock` file holding the owner's pid,
 * created with O_EXCL; a lock whose pid no longer runs (the owner crashed or was killed) is
 * stale and taken over. Within one process a set of held directories refuses a second open.
 */

import { processRuns } from '../../core/process-alive.ts';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LwError } from '../../core/errors.ts';

const held = new Set<string>();

function inUse(dir: string, pid: number | string): LwError {
  return new LwError('LW_ERR_CONFIG', [`queue directory ${dir} is in use by process ${pid}`]);
}

/** Takes the lock on `dir` (which must exist); returns the function that releases it. */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const abs = path.resolve(dir);
  if (held.has(abs)) throw inUse(abs, `${process.pid} (this process)`);
  const file = path.join(abs, '.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processRuns(pid)) throw inUse(abs, pid);
    await fs.rm(file, { force: true });
  }
  held.add(abs);
  return async () => {
    held.delete(abs);
    await fs.rm(file, { force: true });
  };
}
