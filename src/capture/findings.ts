import type { CaptureFinding } from './types.js';

/**
 * Collects findings with a hard cap: a fuzzed or hostile capture can produce one
 * problem per packet, and the caller must never get unbounded memory from us.
 */
export class Findings {
  private readonly list: CaptureFinding[] = [];
  private readonly onceKeys = new Set<string>();
  private suppressed = 0;

  constructor(private readonly max = 1000) {}

  add(frame: number, level: CaptureFinding['level'], message: string): void {
    if (this.list.length >= this.max) {
      this.suppressed++;
      return;
    }
    this.list.push({ frame, level, message });
  }

  /** Reports a condition only the first time its key is seen (per link type, per flow …). */
  once(key: string, frame: number, level: CaptureFinding['level'], message: string): void {
    if (this.onceKeys.has(key)) return;
    if (this.onceKeys.size < 100_000) this.onceKeys.add(key);
    this.add(frame, level, message);
  }

  /** The findings in frame order (stream findings are raised late, at the end of the capture). */
  finish(): CaptureFinding[] {
    this.list.sort((a, b) => a.frame - b.frame);
    if (this.suppressed > 0) {
      const last = this.list[this.list.length - 1];
      this.list.push({
        frame: last ? last.frame : 0,
        level: 'warning',
        message: `${this.suppressed} further findings suppressed`,
      });
      this.suppressed = 0;
    }
    return this.list;
  }
}
