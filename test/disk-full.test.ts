/**
 * Disk full: on a small tmpfs, ingest until the disk is full. The server answers 507 (not a
 * crash, not a corrupt store); after space is freed and the server restarts, every acknowledged
 * event is searchable exactly once. Needs root (to mount a tmpfs); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { test } from 'node:test';
import { type Server, search, startServer, tmpDir, waitIndexed } from './harness.ts';

function tryMount(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mnt = tmpDir('lw-diskfull-');
const mounted = process.getuid?.() === 0 && tryMount(mnt, '40m');

test('a full disk answers 507 and loses no acknowledged event', {
  skip: !mounted && 'needs root to mount a small tmpfs',
}, async () => {
  const servers: Server[] = [];
  try {
    const dataDir = `${mnt}/data`;
    fs.writeFileSync(`${mnt}/cfg.yaml`, 'queue:\n  segmentBytes: 2000000\nstore:\n  memoryLimit: 64MB\n');
    const srv1 = await startServer({ dataDir, args: ['--config', `${mnt}/cfg.yaml`] });
    servers.push(srv1);
    const acked = new Set<number>();
    let seq = 0;
    let full: { status: number; body: Record<string, unknown> } | null = null;
    // Incompressible payloads, so that neither the store nor the queue can squeeze them.
    for (let i = 0; i < 400 && full === null; i++) {
      const first = seq;
      const body = Array.from({ length: 200 }, (_, k) =>
        JSON.stringify({
          message: `disk full test ${first + k}`,
          blob: randomBytes(1500).toString('base64'),
          seq: first + k,
        }),
      ).join('\n');
      seq += 200;
      const res = await fetch(`${srv1.url}/api/v1/ingest?stream=df`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      const j = (await res.json()) as Record<string, unknown>;
      if (res.status === 200) {
        for (let k = 0; k < 200; k++) acked.add(first + k);
      } else {
        full = { status: res.status, body: j };
      }
    }
    assert.ok(full, 'the disk filled up');
    assert.equal(full.status, 507, JSON.stringify(full.body));
    assert.equal(full.body.code, 'LW_ERR_DISK_FULL');
    assert.ok(acked.size > 0);
    // The server is still alive and answers.
    const health = await fetch(`${srv1.url}/healthz`);
    assert.equal(health.status, 200);
    await srv1.kill9();
    // Free space, restart: everything acknowledged is there, once.
    execFileSync('mount', ['-o', 'remount,size=400m', mnt]);
    const srv2 = await startServer({ dataDir, args: ['--config', `${mnt}/cfg.yaml`] });
    servers.push(srv2);
    {
      await waitIndexed(srv2.url, 60_000);
      const seen = new Map<number, number>();
      for (let lo = 0; lo < seq; lo += 5000) {
        const r = await search(srv2.url, `stream:df seq:[${lo} TO ${lo + 4999}]`, { limit: 10000 });
        for (const ev of r.body.events) seen.set(ev.seq as number, (seen.get(ev.seq as number) ?? 0) + 1);
      }
      assert.deepEqual(
        [...seen].filter(([, n]) => n > 1),
        [],
      );
      const missing = [...acked].filter((s) => !seen.has(s));
      assert.equal(missing.length, 0, `missing acknowledged events, e.g. ${missing.slice(0, 5)}`);
      assert.equal(await srv2.stop(), 0);
    }
  } finally {
    for (const s of servers) await s.kill9();
    execFileSync('umount', ['-l', mnt]);
  }
});
