/** IPv4 header parsing with tshark's acceptance rules (packet-ip.c, default prefs). */

export interface Ipv4Header {
  proto: number;
  /** Payload range inside the frame; `payloadEnd` is clipped to the captured bytes. */
  payloadOff: number;
  payloadEnd: number;
  /** True when the whole payload announced by Total Length was captured. */
  complete: boolean;
  fragOff: number;
  more: boolean;
  id: number;
  srcOff: number;
  dstOff: number;
}

/** Returns false where tshark stops dissecting: bogus header length or total length. */
export function parseIpv4(buf: Buffer, off: number, end: number, h: Ipv4Header): boolean {
  if (end - off < 20) return false;
  const hlen = (buf[off] & 0x0f) * 4;
  if (hlen < 20 || off + hlen > end) return false;
  let total = buf.readUInt16BE(off + 2);
  // ip.tso_support (default on): a zero total length means "as captured".
  if (total === 0) total = end - off;
  if (total < hlen) return false;
  const flags = buf.readUInt16BE(off + 6);
  h.proto = buf[off + 9];
  h.payloadOff = off + hlen;
  h.payloadEnd = Math.min(off + total, end);
  h.complete = off + total <= end;
  h.fragOff = (flags & 0x1fff) * 8;
  h.more = (flags & 0x2000) !== 0;
  h.id = buf.readUInt16BE(off + 4);
  h.srcOff = off + 12;
  h.dstOff = off + 16;
  return true;
}
