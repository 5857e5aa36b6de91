/**
 * Masking property test: thousands of generated personal data (e-mail, card numbers with valid
 * Luhn digits, Korean resident registration numbers with valid check digits, phone numbers,
 * IPs, passport numbers, bank accounts and IBANs) in varied contexts (Korean and English prose,
 * JSON, key=value, punctuation, no spaces) go through `{"mask": {}}`; the output is then
 * scanned with detectors written independently here (plain loops, not detectors.ts), and every
 * generated datum is looked for verbatim. Nothing may survive. Seeded (test/prng.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventOf } from '../../test/events.ts';
import { mulberry32 } from '../../test/prng.ts';
import { compilePipeline } from './pipeline.ts';

const SEED = 20240501;
const rnd = mulberry32(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(a: readonly T[]) => a[int(a.length)]!;
const digits = (n: number) => Array.from({ length: n }, () => int(10)).join('');
const p2 = (n: number) => String(n).padStart(2, '0');

/** Luhn check digit for a payload (independent of detectors.ts). */
function luhnDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}
function luhnOk(ds: string): boolean {
  return luhnDigit(ds.slice(0, -1)) === Number(ds.at(-1));
}

function group(ds: string, sizes: number[], sep: string): string {
  const out: string[] = [];
  let i = 0;
  for (const s of sizes) {
    out.push(ds.slice(i, i + s));
    i += s;
  }
  return out.join(sep);
}

const GEN: Record<string, () => string> = {
  email: () =>
    `${pick(['kim', 'lee.j', 'park+logs', 'a_b', 'x9'])}${int(1000)}@${pick(['example.com', 'mail.co.kr', 'corp.example.org', 'n.io'])}`,
  card: () => {
    if (rnd() < 0.2) {
      const p = `3${pick(['4', '7'])}${digits(12)}`;
      const ds = p + luhnDigit(p);
      return group(ds, [4, 6, 5], pick([' ', '-', '']));
    }
    const p = `${pick(['4', '51', '55', '2221'])}`;
    const body = p + digits(15 - p.length);
    return group(body + luhnDigit(body), [4, 4, 4, 4], pick([' ', '-', '']));
  },
  krrn: () => {
    const d = `${p2(int(100))}${p2(1 + int(12))}${p2(1 + int(28))}${1 + int(4)}${digits(5)}`;
    const w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let s = 0;
    for (let i = 0; i < 12; i++) s += Number(d[i]) * w[i]!;
    const full = d + ((11 - (s % 11)) % 10);
    return rnd() < 0.7 ? `${full.slice(0, 6)}-${full.slice(6)}` : full;
  },
  phone: () =>
    pick([
      () => `010-${digits(4)}-${digits(4)}`,
      () => `010${digits(8)}`,
      () => `02-${digits(3)}-${digits(4)}`,
      () => `+82 10 ${digits(4)} ${digits(4)}`,
      () => `+1 (415) ${digits(3)}-${digits(4)}`,
      () => `(212) ${digits(3)}-${digits(4)}`,
      () => `+44 20 ${digits(4)} ${digits(4)}`,
    ])(),
  ip: () =>
    rnd() < 0.7
      ? `${1 + int(223)}.${int(256)}.${int(256)}.${int(256)}`
      : `2001:db8:${int(65536).toString(16)}::${int(65536).toString(16)}`,
  passport: () => (rnd() < 0.5 ? `M${digits(8)}` : `M${digits(3)}${pick(['A', 'B', 'K'])}${digits(4)}`),
  account: () => {
    if (rnd() < 0.5) {
      // IBAN DE: check digits = 98 - (BBAN + "DE00" as digits) mod 97
      const bban = digits(18);
      const num = `${bban}1314` + '00';
      let rem = 0;
      for (const ch of num) rem = (rem * 10 + Number(ch)) % 97;
      return `DE${p2(98 - rem)}${bban}`;
    }
    return `${digits(3)}-${digits(3)}-${digits(6)}`;
  },
};

/** Contexts: `{}` is the datum; accounts and passports need their keyword in prose. */
const CONTEXTS: Record<string, string[]> = {
  default: [
    '고객 {} 님의 요청',
    'user {} logged in',
    '{"contact":"{}","ok":true}',
    'value={} next=1',
    '({}).',
    '{}',
    'x,{},y',
    '결제자:{}입니다',
  ],
  account: ['계좌번호 {} 로 입금', 'account no: {}', 'acct={} ok', 'IBAN {}'],
  passport: ['passport {} expired', '여권번호: {}', 'doc {} checked'],
};

/** Independent scanners over the output. */
function survivors(s: string): string[] {
  const found: string[] = [];
  for (const m of s.matchAll(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g)) found.push(`email ${m[0]}`);
  // any run of 13-19 digits with single space/hyphen separators that passes Luhn
  for (const m of s.matchAll(/\d(?:[ -]?\d)+/g)) {
    const ds = m[0].replace(/\D/g, '');
    for (let len = 13; len <= 19; len++) {
      for (let i = 0; i + len <= ds.length; i++) {
        const sub = ds.slice(i, i + len);
        if (luhnOk(sub) && ds.length <= 19) found.push(`card ${m[0]}`);
      }
    }
  }
  for (const m of s.matchAll(/(\d{2})(\d{2})(\d{2})-?([1-8])\d{6}/g)) {
    if (Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31)
      found.push(`krrn ${m[0]}`);
  }
  for (const m of s.matchAll(/\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/g)) {
    if (m.slice(1).every((x) => Number(x) <= 255)) found.push(`ip ${m[0]}`);
  }
  return found;
}

test('mask: no generated personal datum survives, in any context', () => {
  const p = compilePipeline({ processors: [{ mask: {} }] });
  const kinds = Object.keys(GEN);
  const misses: string[] = [];
  let n = 0;
  for (let i = 0; i < 3000; i++) {
    const parts: string[] = [];
    const data: string[] = [];
    for (let k = 0; k < 1 + int(3); k++) {
      const kind = pick(kinds);
      const datum = GEN[kind]!();
      data.push(datum);
      parts.push(pick(CONTEXTS[kind] ?? CONTEXTS.default!).replace('{}', datum));
    }
    const msg = parts.join(pick([' ', ' | ', '; ', '\n']));
    const ev = eventOf(msg, { 'user.note': parts[0]! });
    p.run(ev);
    n += data.length;
    for (const out of [ev.message, String(ev.fields['user.note'])]) {
      for (const d of data) if (out.includes(d)) misses.push(`"${d}" survived in: ${out}`);
      for (const s of survivors(out)) misses.push(`${s} found in: ${out}`);
    }
  }
  assert.ok(n > 5000, `${n} data generated`);
  assert.deepEqual(misses.slice(0, 10), [], `${misses.length} survivors (seed ${SEED})`);
});

test('mask keeps ordinary log text intact', () => {
  const p = compilePipeline({ processors: [{ mask: {} }] });
  const lines = [
    'GET /api/v1/orders/12345 took 250ms status=200',
    'build 2024.01.02 version 3.4.5 pid 4121 port 8080',
    '2024-01-02T03:04:05.678Z INFO worker-3 finished 1200 jobs',
    'block blk_-6952295868487656571 size 67108864',
  ];
  for (const l of lines) {
    const ev = eventOf(l);
    p.run(ev);
    assert.equal(ev.message, l);
  }
});
