/** Waiting in tests for something another process does, without a fixed sleep. */

/** Polls `probe` until `ok` accepts its value (or the time is up: then the last value, for the test to assert on). */
export async function until<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
