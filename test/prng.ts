/**
 * mulberry32: a small seeded PRNG for tests, so that a failure can be replayed from its seed.
 * `mulberry32(seed)()` gives a float in [0, 1); `mulberry32u32(seed)()` the raw 32-bit value.
 */
export function mulberry32u32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function mulberry32(seed: number): () => number {
  const next = mulberry32u32(seed);
  return () => next() / 4294967296;
}
