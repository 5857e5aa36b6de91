/**
 * `rename`: moves fields to new names. `{"rename": {"fields": {"src": "dst"}, "override": true}}`.
 * An absent source is skipped; with `override: false` an existing destination is kept and the
 * source stays where it was.
 */
import { fieldCopier } from './copy.ts';

export const rename = fieldCopier('rename', true);
