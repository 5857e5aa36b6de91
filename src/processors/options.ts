/**
 * Option schemas and helpers shared by several processors: field lists, field maps, and a
 * field accessor cache per compile. Keeps the option vocabulary the same in every verb:
 * `field` (one source field), `fields` (one or more), `target` (where results go).
 */
import { z } from 'zod';
import { type FieldAccessor, fieldAccessor } from './event-fields.ts';

const fieldName = z.string().min(1, 'a field name must not be empty');

/** `"a"` or `["a", "b"]`, normalised to a non-empty list. */
export const fieldList = z
  .union([fieldName, z.array(fieldName).min(1, 'list at least one field')])
  .transform((v) => (typeof v === 'string' ? [v] : v));

export const field = fieldName;

/** `{ "from": "to", ... }` with at least one entry. */
export const fieldMap = z
  .record(fieldName, fieldName)
  .refine((m) => Object.keys(m).length > 0, 'map at least one field');

export function accessors(names: readonly string[]): FieldAccessor[] {
  return names.map(fieldAccessor);
}

/** Pairs of accessors for a `{from: to}` map. */
export function accessorPairs(map: Record<string, string>): Array<[FieldAccessor, FieldAccessor]> {
  return Object.entries(map).map(([from, to]) => [fieldAccessor(from), fieldAccessor(to)]);
}

/** The string value of a field, or undefined when absent (numbers and booleans are stringified). */
export function stringOf(v: string | number | boolean | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : String(v);
}
