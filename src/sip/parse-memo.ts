/**
 * Parsed header values shared between messages. The messages of one call repeat the same From, To, Call-ID,
 * Via and Contact values at every hop and in every response, so a large capture holds far fewer distinct
 * values than fields. Only values that parsed without any diagnostic are kept: then the parse is a pure
 * function of the text, and its offsets (which only diagnostics carry) do not matter.
 *
 * Shared values must be treated as read-only, like every parsed value a message hands out.
 */

/** Two generations: when the young one fills up it becomes the old one, so memory stays bounded while the
 * values of recent calls (the ones about to be seen again) stay found. */
const GENERATION = 50_000;

let young = new Map<string, Map<string, unknown>>();
let old = new Map<string, Map<string, unknown>>();
let youngSize = 0;

/** The value memoized for this header key and raw value text, or undefined. */
export function recall(key: string, raw: string): unknown {
  const hit = young.get(key)?.get(raw);
  if (hit !== undefined) return hit;
  const prior = old.get(key)?.get(raw);
  if (prior !== undefined) remember(key, raw, prior);
  return prior;
}

/** Keep a value that parsed without diagnostics (undefined values are not kept). */
export function remember(key: string, raw: string, value: unknown): void {
  if (value === undefined) return;
  if (youngSize >= GENERATION) {
    old = young;
    young = new Map();
    youngSize = 0;
  }
  let byRaw = young.get(key);
  if (!byRaw) young.set(key, (byRaw = new Map()));
  byRaw.set(raw, value);
  youngSize++;
}
