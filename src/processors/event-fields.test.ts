/**
 * `removeField`: the fields object is rebuilt without the key (no `delete`, which would make it
 * a slow dictionary); what a reader sees must be exactly what `delete` gives: the same own keys
 * in the same order with the same values, an absent key a no-op, and an own `__proto__` key
 * (JSON.parse makes one) kept as an own property, never turned into a prototype.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventOf } from '../../test/events.ts';
import { fieldAccessor, removeField } from './event-fields.ts';

const cases: Array<{ name: string; fields: string; remove: string }> = [
  { name: 'a middle key', fields: '{"a":1,"timestamp":"x","b":{"c":2},"d":"e"}', remove: 'timestamp' },
  { name: 'the first key', fields: '{"a":1,"b":2}', remove: 'a' },
  { name: 'the last key', fields: '{"a":1,"b":2}', remove: 'b' },
  { name: 'integer-like keys keep their order', fields: '{"b":1,"2":2,"1":3,"a":4}', remove: 'a' },
  { name: 'an absent key', fields: '{"a":1}', remove: 'zz' },
  { name: 'an own __proto__ key stays own', fields: '{"__proto__":{"polluted":1},"a":1,"b":2}', remove: 'a' },
  { name: 'removing __proto__ itself', fields: '{"__proto__":1,"a":1}', remove: '__proto__' },
];

for (const c of cases) {
  test(`removeField: ${c.name} leaves what delete leaves`, () => {
    const want = JSON.parse(c.fields) as Record<string, unknown>;
    delete want[c.remove];
    const ev = eventOf('m', JSON.parse(c.fields));
    // eventOf spreads the fields, which drops an own __proto__; put the parsed object back
    ev.fields = JSON.parse(c.fields);
    removeField(ev, c.remove);
    assert.deepEqual(Reflect.ownKeys(ev.fields), Reflect.ownKeys(want));
    for (const k of Reflect.ownKeys(want) as string[])
      assert.deepEqual(
        Object.getOwnPropertyDescriptor(ev.fields, k),
        Object.getOwnPropertyDescriptor(want, k),
      );
    assert.equal(Object.getPrototypeOf(ev.fields), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
}

test('removeField: the accessor of a dynamic field removes through it; columns are untouched', () => {
  const ev = eventOf('m', { 'user.name': 'kim', x: 1 });
  fieldAccessor('user.name').remove(ev);
  assert.deepEqual(ev.fields, { x: 1 });
  assert.equal(ev.message, 'm');
});
