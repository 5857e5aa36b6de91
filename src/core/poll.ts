/**
 * Polls `done` every `intervalMs` until it returns true or `timeoutMs` passes; resolves with
 * its last answer. For waits on state that has no event to await (a consumer lag reaching 0).
 */
export async function pollUntil(done: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return done();
}
