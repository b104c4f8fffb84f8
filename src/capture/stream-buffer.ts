const EMPTY = Buffer.alloc(0);

/**
 * Bytes of one stream direction not yet consumed. While a single segment is pending
 * it is only a view on the capture (no copy); once segments must be joined they are
 * copied into an owned, geometrically grown buffer so that many small segments cost
 * linear, not quadratic, time.
 *
 * Bytes below `end` are never rewritten (growth moves to a new buffer), so views
 * handed out by take() stay valid without copying.
 */
export class StreamBuffer {
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  private owned = false;

  get length(): number {
    return this.end - this.start;
  }

  append(data: Buffer): void {
    if (data.length === 0) return;
    const len = this.end - this.start;
    if (len === 0) {
      this.buf = data;
      this.start = 0;
      this.end = data.length;
      this.owned = false;
      return;
    }
    if (!this.owned || this.buf.length - this.end < data.length) {
      const cap = Math.max(len + data.length, 2 * len, 4096);
      const next = Buffer.allocUnsafe(cap);
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
      this.start = 0;
      this.end = len;
      this.owned = true;
    }
    data.copy(this.buf, this.end);
    this.end += data.length;
  }

  /** Bytes [start, start+n) as a Buffer the caller may keep, and consumes them. */
  take(n: number): Buffer {
    const out = this.buf.subarray(this.start, this.start + n);
    this.consume(n);
    return out;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start >= this.end) this.clear();
  }

  clear(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
    this.owned = false;
  }
}
