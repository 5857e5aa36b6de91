import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SegmentLog } from './segment-log.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2023, 0, 1, 12);

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lw-audit-'));
}

function entry(i: number) {
  return {
    actor: { type: 'user' as const, id: `u${i % 3}`, name: `user${i % 3}` },
    action: 'search',
    outcome: 'success' as const,
    details: { query: `q${i}`, results: i },
    ip: '127.0.0.1',
  };
}

async function filled(dir: string, clock: { t: number }, days: number, perDay: number) {
  const log = new SegmentLog({ dir, retentionDays: 365, now: () => clock.t, flushMs: 5 });
  await log.open();
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < perDay; i++) log.record(entry(d * perDay + i));
    await log.flush();
    clock.t += DAY;
  }
  return log;
}

test('records chain across segments and survive reopening; verify checks them all', async () => {
  const dir = tmp();
  const clock = { t: T0 };
  const log = await filled(dir, clock, 3, 4);
  await log.close();
  // One segment per UTC day.
  assert.deepEqual(fs.readdirSync(dir).sort(), [
    '00000000000000000000.log',
    '00000000000000000004.log',
    '00000000000000000008.log',
  ]);
  const again = new SegmentLog({ dir, retentionDays: 365, now: () => clock.t });
  await again.open();
  again.record(entry(99));
  const v = await again.verify();
  assert.equal(v.ok, true, JSON.stringify(v.broken));
  assert.equal(v.records, 13);
  assert.equal(v.lastSeq, 12);
  const seen: number[] = [];
  await again.scan(null, null, false, (r) => seen.push(r.record.seq));
  assert.deepEqual(seen, [...Array(13).keys()]);
  await again.close();
});

test('verify finds the first altered, removed or reordered record', async () => {
  const dir = tmp();
  const clock = { t: T0 };
  const log = await filled(dir, clock, 2, 5);
  await log.close();
  const file = path.join(dir, '00000000000000000005.log');
  const original = fs.readFileSync(file, 'utf8');
  const lines = original.trimEnd().split('\n');
  const check = async (mutated: string) => {
    fs.writeFileSync(file, mutated);
    const l = new SegmentLog({ dir, retentionDays: 365 });
    await l.open();
    const v = await l.verify();
    await l.close();
    fs.writeFileSync(file, original);
    return v;
  };
  // One byte of record seq 7 (line 3 of the second segment): a digit of its results.
  const altered = [...lines];
  altered[2] = altered[2].replace('"results":7', '"results":8');
  assert.notEqual(altered[2], lines[2]);
  let v = await check(`${altered.join('\n')}\n`);
  assert.equal(v.ok, false);
  assert.deepEqual(
    [v.broken?.segment, v.broken?.line, v.broken?.seq],
    ['00000000000000000005.log', 3, 6 + 1],
  );
  assert.match(v.broken!.reason, /hash/);
  // A removed record: the next one no longer follows.
  v = await check(`${lines.filter((_, i) => i !== 1).join('\n')}\n`);
  assert.equal(v.broken?.seq, 7);
  assert.match(v.broken!.reason, /expected seq 6/);
  // The whole oldest segment deleted without retention.
  const first = path.join(dir, '00000000000000000000.log');
  const firstText = fs.readFileSync(first);
  fs.unlinkSync(first);
  v = await check(original);
  assert.equal(v.ok, false);
  assert.match(v.broken!.reason, /without a retention record/);
  fs.writeFileSync(first, firstText);
});

test('a torn last line (crash during a write) is cut at open and the chain goes on', async () => {
  const dir = tmp();
  const clock = { t: T0 };
  const log = await filled(dir, clock, 1, 3);
  await log.close();
  const file = path.join(dir, '00000000000000000000.log');
  fs.appendFileSync(file, 'abc123 {"seq":3,"ti');
  const l = new SegmentLog({ dir, retentionDays: 365, now: () => T0 + 1000 });
  await l.open();
  l.record(entry(3));
  const v = await l.verify();
  assert.equal(v.ok, true, JSON.stringify(v.broken));
  assert.equal(v.records, 4);
  await l.close();
});

test('retention removes only whole segments whose newest record is older, and verify accepts it', async () => {
  const dir = tmp();
  const clock = { t: T0 };
  // 400 days, 2 records a day: one segment per day.
  const log = await filled(dir, clock, 400, 2);
  // Now: day 400, cutoff = day 35. Each day's records carry that day's time.
  const cutoff = clock.t - 365 * DAY;
  const removed = await log.applyRetention();
  const expectRemoved = [];
  for (let d = 0; T0 + d * DAY < cutoff; d++) expectRemoved.push(`${String(d * 2).padStart(20, '0')}.log`);
  assert.equal(expectRemoved.length, 35);
  assert.deepEqual(removed, expectRemoved);
  const times: number[] = [];
  await log.scan(null, null, false, (r) => {
    if (r.record.action === 'search') times.push(r.record.time);
  });
  // Every record from the cutoff on is still there.
  assert.equal(times.length, (400 - 35) * 2);
  assert.equal(Math.min(...times), cutoff);
  const v = await log.verify();
  assert.equal(v.ok, true, JSON.stringify(v.broken));
  // Nothing more to remove at the same time; the active segment is never removed.
  assert.deepEqual(await log.applyRetention(), []);
  clock.t += 10 * 365 * DAY;
  await log.applyRetention();
  assert.ok(fs.readdirSync(dir).length >= 1);
  assert.equal((await log.verify()).ok, true);
  await log.close();
});

test('a segment with one young record is kept whole', async () => {
  const dir = tmp();
  const clock = { t: T0 };
  const log = new SegmentLog({ dir, retentionDays: 365, now: () => clock.t, segmentBytes: 1 << 30 });
  await log.open();
  log.record(entry(0));
  await log.flush();
  clock.t = T0 + 11 * 3600_000; // 23:00 the same UTC day: the same segment
  log.record(entry(1));
  await log.flush();
  clock.t = T0 + DAY;
  log.record(entry(2));
  await log.flush();
  // 365 days after the first record but not after the second: the first segment stays.
  clock.t = T0 + 365 * DAY + 1;
  assert.deepEqual(await log.applyRetention(), []);
  clock.t = T0 + 11 * 3600_000 + 365 * DAY + 1;
  assert.deepEqual(await log.applyRetention(), ['00000000000000000000.log']);
  await log.close();
});
