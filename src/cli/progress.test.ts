import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmtBytes, fmtDuration, ProgressBar } from './progress.ts';

/** A fake output stream that records writes; `isTTY` as given. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) };
}

/** A clock the test moves by hand (milliseconds). */
function fakeClock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const MiB = 1024 * 1024;

describe('ProgressBar on a TTY', () => {
  it('redraws in place with percent, bytes, rate and ETA', () => {
    const out = fakeStream(true);
    const clock = fakeClock();
    const bar = new ProgressBar(100 * MiB, out, { now: clock.now });
    clock.t += 2000; // 2 s in: 25 MiB and 50,000 events done
    bar.update(25 * MiB, 50_000);
    assert.equal(out.writes.length, 1);
    const w = out.writes[0];
    assert.ok(w.startsWith('\r'), 'returns to the line start');
    assert.ok(w.endsWith('\x1b[K'), 'clears the rest of the line');
    assert.ok(!w.includes('\n'), 'stays on one line');
    assert.match(w, / 25\.0%/);
    assert.match(w, /25\.0 MiB\/100\.0 MiB/);
    assert.match(w, /25,000 ev\/s/);
    assert.match(w, /13\.1 MB\/s/); // 26,214,400 B / 2 s
    assert.match(w, /ETA 6s/); // a quarter in 2 s: three quarters in 6 s
    const filled = (w.match(/█/g) ?? []).length;
    const empty = (w.match(/░/g) ?? []).length;
    assert.equal(filled + empty, 28);
    assert.equal(filled, 7);
  });

  it('redraws at most every 100 ms', () => {
    const out = fakeStream(true);
    const clock = fakeClock();
    const bar = new ProgressBar(1000, out, { now: clock.now });
    bar.update(100, 1);
    clock.t += 50;
    bar.update(200, 2);
    clock.t += 40;
    bar.update(300, 3);
    assert.equal(out.writes.length, 1, 'no redraw within 100 ms');
    clock.t += 20;
    bar.update(400, 4);
    assert.equal(out.writes.length, 2);
    assert.match(out.writes[1], / 40\.0%/);
  });

  it('done() draws the final state and ends the line', () => {
    const out = fakeStream(true);
    const clock = fakeClock();
    const bar = new ProgressBar(10 * MiB, out, { now: clock.now });
    clock.t += 60_000;
    bar.update(10 * MiB, 600);
    bar.done();
    const last = out.writes[out.writes.length - 1];
    assert.match(last, /100\.0%/);
    assert.match(last, /ETA 0s/);
    assert.match(last, /10 ev\/s/);
    assert.ok(last.endsWith('\n'));
    assert.equal((last.match(/█/g) ?? []).length, 28);
  });

  it('formats long ETAs in minutes and hours', () => {
    const clock = fakeClock();
    const bar = new ProgressBar(1000, fakeStream(true), { now: clock.now });
    clock.t += 10_000;
    bar.bytes = 100; // 10% in 10 s: 90 s to go
    assert.match(bar.render(), /ETA 1m30s$/);
    bar.bytes = 1; // 0.1% in 10 s: 9,990 s to go
    assert.match(bar.render(), /ETA 2h46m$/);
    bar.bytes = 0;
    assert.match(bar.render(), /ETA \?$/, 'no estimate before any progress');
  });

  it('with an unknown total (stdin) shows bytes and rates, no percent or ETA', () => {
    const clock = fakeClock();
    const bar = new ProgressBar(0, fakeStream(true), { now: clock.now });
    clock.t += 1000;
    bar.bytes = 3 * MiB;
    bar.events = 1234;
    const s = bar.render();
    assert.equal(s, '3.0 MiB  1,234 ev/s  3.1 MB/s');
  });
});

describe('ProgressBar when not a TTY', () => {
  it('prints a plain line every 5 s, nothing in between, and no escape codes', () => {
    const out = fakeStream(false);
    const clock = fakeClock();
    const bar = new ProgressBar(1000 * MiB, out, { now: clock.now });
    for (let i = 1; i <= 120; i++) {
      clock.t += 100; // 12 s of updates, ten per second
      bar.update(i * MiB, i * 1000);
    }
    assert.equal(out.writes.length, 2, 'at 5 s and 10 s');
    for (const w of out.writes) {
      assert.ok(w.endsWith('\n'));
      assert.equal(w.split('\n').length, 2, 'one line each');
      assert.doesNotMatch(w, /[\r\x1b]/);
    }
    assert.match(out.writes[0], / {2}5\.0%/);
    assert.match(out.writes[0], /10,000 ev\/s/);
    assert.match(out.writes[1], / 10\.0%/);
    bar.done();
    assert.equal(out.writes.length, 2, 'done() adds nothing: the caller prints a summary');
  });

  it('the interval is configurable', () => {
    const out = fakeStream(false);
    const clock = fakeClock();
    const bar = new ProgressBar(10, out, { now: clock.now, lineMs: 1000 });
    clock.t += 999;
    bar.update(1, 1);
    assert.equal(out.writes.length, 0);
    clock.t += 1;
    bar.update(2, 2);
    assert.equal(out.writes.length, 1);
  });
});

describe('fmtBytes / fmtDuration', () => {
  it('formats sizes', () => {
    assert.equal(fmtBytes(0), '0 B');
    assert.equal(fmtBytes(1023), '1023 B');
    assert.equal(fmtBytes(1536), '1.5 KiB');
    assert.equal(fmtBytes(5 * MiB), '5.0 MiB');
    assert.equal(fmtBytes(3 * 1024 * MiB), '3.00 GiB');
  });

  it('formats durations', () => {
    assert.equal(fmtDuration(0), '0s');
    assert.equal(fmtDuration(59.4), '59s');
    assert.equal(fmtDuration(60), '1m00s');
    assert.equal(fmtDuration(125), '2m05s');
    assert.equal(fmtDuration(3600 + 120), '1h02m');
  });
});
