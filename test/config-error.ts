import assert from 'node:assert/strict';
import { LwError } from '../src/core/errors.ts';

/** Runs `f`, expects an LW_ERR_CONFIG, returns its message. */
export function configError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof LwError, `expected an LwError, got ${err}`);
    assert.equal(err.code, 'LW_ERR_CONFIG');
    return err.message;
  }
  assert.fail('expected a configuration error');
}
