/** Netstrings (`<length>:<bytes>,`), the framing of baresip's ctrl_tcp: one JSON document per netstring. */

/** Far above anything ctrl_tcp sends (its help text is 2 KB); a length beyond it means the stream is not netstrings. */
const MAX_LENGTH = 1 << 20;

export function encodeNetstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body, Buffer.from(',', 'ascii')]);
}

/** Collects bytes from a stream and hands out whole payloads; throws on bytes that are not a netstring. */
export class NetstringDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: string[] = [];
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) {
        if (this.buf.length > 10 || !/^\d*$/.test(this.buf.toString('latin1'))) throw new Error(`not a netstring: ${JSON.stringify(this.buf.subarray(0, 40).toString('latin1'))}`);
        return out;
      }
      const digits = this.buf.subarray(0, colon).toString('latin1');
      if (!/^\d{1,7}$/.test(digits) || Number(digits) > MAX_LENGTH) throw new Error(`not a netstring length: ${JSON.stringify(digits.slice(0, 40))}`);
      const len = Number(digits);
      const end = colon + 1 + len;
      if (this.buf.length < end + 1) return out;
      if (this.buf[end] !== 0x2c) throw new Error(`netstring of ${len} bytes not ended by ","`);
      out.push(this.buf.subarray(colon + 1, end).toString('utf8'));
      this.buf = this.buf.subarray(end + 1);
    }
  }
}
