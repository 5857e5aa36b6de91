/** A set of 32-bit unsigned integers (token hashes), without boxing: see the class comment. */

/**
 * A set of 32-bit hashes (open addressing, linear probing, Uint32Array): collects the distinct
 * token hashes of a block while it fills, so the block's filter can be sized from the exact
 * distinct count when the block is sealed. `clear()` keeps the memory for the next block.
 */
export class Uint32Set {
  private table: Uint32Array;
  private mask: number;
  private shift: number;
  private hasZero = false;
  private count = 0;

  constructor(initialCapacity = 16384) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.table = new Uint32Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a hash; returns true when it was new. */
  add(hash: number): boolean {
    const h = hash >>> 0;
    if (h === 0) {
      if (this.hasZero) return false;
      this.hasZero = true;
      this.count++;
      return true;
    }
    const table = this.table;
    const mask = this.mask;
    let i = Math.imul(h, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const v = table[i];
      if (v === h) return false;
      if (v === 0) break;
      i = (i + 1) & mask;
    }
    table[i] = h;
    if (++this.count * 2 > table.length) this.grow();
    return true;
  }

  addAll(hashes: ArrayLike<number>): void {
    for (let i = 0; i < hashes.length; i++) this.add(hashes[i]);
  }

  has(hash: number): boolean {
    const h = hash >>> 0;
    if (h === 0) return this.hasZero;
    const table = this.table;
    let i = Math.imul(h, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const v = table[i];
      if (v === h) return true;
      if (v === 0) return false;
      i = (i + 1) & this.mask;
    }
  }

  /** Calls `fn` for each hash, in table order. */
  forEach(fn: (hash: number) => void): void {
    if (this.hasZero) fn(0);
    const table = this.table;
    for (let i = 0; i < table.length; i++) if (table[i] !== 0) fn(table[i]);
  }

  clear(): void {
    this.table.fill(0);
    this.hasZero = false;
    this.count = 0;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = this.table.length - 1;
    this.shift--;
    this.count = this.hasZero ? 1 : 0;
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.add(old[i]);
  }
}
