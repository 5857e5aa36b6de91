import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FileEvent, MultilineJoiner } from './multiline.ts';

/** Feeds lines (offsets as if each were followed by a newline) and collects the events. */
function join(lines: string[], cfg: { start: string; maxLines?: number; maxBytes?: number }): FileEvent[] {
  const j = new MultilineJoiner({ timeoutMs: 1000, maxLines: 500, maxBytes: 1 << 20, ...cfg });
  const out: FileEvent[] = [];
  let off = 0;
  for (const l of lines) {
    const end = off + Buffer.byteLength(l) + 1;
    const ev = j.push(l, off, end, 0);
    if (ev) out.push(ev);
    off = end;
  }
  const last = j.flush();
  if (last) out.push(last);
  return out;
}

const TRACE = [
  '2026-01-02 10:00:00,001 ERROR [main] c.e.Payments - charge failed',
  'java.lang.IllegalStateException: card declined',
  '\tat com.example.Payments.charge(Payments.java:42)',
  'Caused by: java.io.IOException: reset',
  '\t... 3 more',
];
const PY = [
  'Traceback (most recent call last):',
  '  File "app.py", line 3, in <module>',
  '    main()',
  'ZeroDivisionError: division by zero',
];

const cases: Array<{
  name: string;
  lines: string[];
  cfg: { start: string; maxLines?: number; maxBytes?: number };
  want: string[];
}> = [
  {
    name: 'Java stack trace joined to its first line',
    lines: [...TRACE, '2026-01-02 10:00:01,000 INFO [main] next'],
    cfg: { start: '^\\d{4}-\\d{2}-\\d{2}' },
    want: [TRACE.join('\n'), '2026-01-02 10:00:01,000 INFO [main] next'],
  },
  {
    name: 'Python traceback: continuation lines are indented',
    lines: ['first', ...PY, 'after'],
    cfg: { start: '^(?!\\s|Traceback|\\w+Error:)' },
    want: [['first', ...PY].join('\n'), 'after'],
  },
  {
    name: 'blank lines inside an event are kept, at its end dropped, and never start one',
    lines: [
      '2026-01-02 10:00:00,001 ERROR app: failed',
      'Traceback (most recent call last):',
      'KeyError: 1',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'ValueError: 2',
      '',
      '',
      '2026-01-02 10:00:01,000 INFO app: next',
    ],
    cfg: { start: '^(?!\\s|Traceback|During|\\w+Error:)' },
    want: [
      '2026-01-02 10:00:00,001 ERROR app: failed\nTraceback (most recent call last):\nKeyError: 1\n\nDuring handling of the above exception, another exception occurred:\n\nValueError: 2',
      '2026-01-02 10:00:01,000 INFO app: next',
    ],
  },
  {
    name: 'lines before the first start line are events of their own',
    lines: ['\tat orphan', '\tat orphan2', 'START x'],
    cfg: { start: '^START' },
    want: ['\tat orphan\n\tat orphan2', 'START x'],
  },
  {
    name: 'maxLines cuts a long event',
    lines: ['S', 'a', 'b', 'c', 'd'],
    cfg: { start: '^S', maxLines: 2 },
    want: ['S\na', 'b\nc', 'd'],
  },
  {
    name: 'maxBytes cuts a long event',
    lines: ['S 123', 'abcd', 'efgh'],
    cfg: { start: '^S', maxBytes: 11 },
    want: ['S 123\nabcd', 'efgh'],
  },
];

for (const c of cases) {
  test(`multiline: ${c.name}`, () => {
    assert.deepEqual(
      join(c.lines, c.cfg).map((e) => e.text),
      c.want,
    );
  });
}

test('multiline: offsets span the event, newline included', () => {
  const evs = join(TRACE, { start: '^\\d{4}' });
  const bytes = Buffer.byteLength(`${TRACE.join('\n')}\n`);
  assert.deepEqual(
    evs.map((e) => [e.offset, e.end]),
    [[0, bytes]],
  );
});
