const EMPTY = Buffer.alloc(0);

/**
 * Bytes of one stream direction not yet consumed. While a single segment is pending
 * it is only a view on the capture (no copy); once segments must be joined they are
 * copied into an owned, geometrically grown buffer so that many small segments cost
 * linear, not quadratic, time.
 */
export class StreamBuffer {
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  private owned = false;

  /** True when the bytes live in our reusable buffer, so views on them must not be kept. */
  get isOwned(): boolean {
    return this.owned;
  }

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

  /**
   * Bytes [start, start+n) as a Buffer the caller may keep: a view when they live in
   * the capture, a copy when they live in our reusable buffer.
   */
  take(n: number): Buffer {
    const out = this.owned
      ? Buffer.from(this.buf.subarray(this.start, this.start + n))
      : this.buf.subarray(this.start, this.start + n);
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
