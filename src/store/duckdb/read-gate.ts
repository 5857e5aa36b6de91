/**
 * Holds searches off while the store swaps a partition (retention's drop or rewrite). A search
 * plans against the in-memory skip index (rowid ranges) and then queries DuckDB, possibly
 * several times; if a rewritten table were committed in between, the old ranges would address
 * other rows. So a search holds the gate from planning to its last query (`using _ = await
 * gate.enter()`), and `swap(fn)` stops new searches, waits until the running ones have left,
 * runs `fn` (COMMIT and the in-memory update), then lets searches in again.
 *
 * Swaps must not overlap (the store runs them in its exclusive write turn), and a search must
 * not enter twice (it would wait for a swap that waits for it).
 */
export class ReadGate {
  private active = 0;
  /** Settles when the current swap ends; null when none is pending. */
  private swapping: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  /** Waits while a swap is pending, then holds the gate until the returned handle is disposed. */
  async enter(): Promise<Disposable> {
    while (this.swapping) await this.swapping;
    this.active++;
    let held = true;
    return {
      [Symbol.dispose]: () => {
        if (!held) return;
        held = false;
        this.active--;
        if (this.active === 0) this.drained?.();
      },
    };
  }

  /** Runs `fn` with no search in flight. */
  async swap<T>(fn: () => Promise<T>): Promise<T> {
    if (this.swapping) throw new Error('BUG: overlapping partition swaps');
    let done!: () => void;
    this.swapping = new Promise<void>((r) => {
      done = r;
    });
    try {
      if (this.active > 0) {
        await new Promise<void>((r) => {
          this.drained = r;
        });
      }
      return await fn();
    } finally {
      this.drained = null;
      this.swapping = null;
      done();
    }
  }
}
