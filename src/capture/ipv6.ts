/** IPv6 header and extension-header walking (RFC 8200). */

export interface Ipv6Header {
  /** Upper-layer protocol, or of the fragmentable part when `fragmented`. */
  next: number;
  payloadOff: number;
  payloadEnd: number;
  complete: boolean;
  fragmented: boolean;
  fragOff: number;
  more: boolean;
  fragId: number;
  srcOff: number;
  dstOff: number;
}

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AH = 51;
const DEST_OPTS = 60;
const MOBILITY = 135;
const HIP = 139;
const SHIM6 = 140;
const MAX_EXT_HEADERS = 16;

export function parseIpv6(buf: Buffer, off: number, end: number, h: Ipv6Header): boolean {
  if (end - off < 40 || buf[off] >> 4 !== 6) return false;
  const plen = buf.readUInt16BE(off + 4);
  // Payload length 0 is a jumbogram (RFC 2675) or TSO: take what was captured.
  const announcedEnd = plen === 0 ? end : off + 40 + plen;
  h.payloadEnd = Math.min(announcedEnd, end);
  h.complete = announcedEnd <= end;
  h.srcOff = off + 8;
  h.dstOff = off + 24;
  h.fragmented = false;
  const r = walkExtensions(buf, off + 40, h.payloadEnd, buf[off + 6], h);
  return r;
}

/**
 * Skips extension headers from `cur`; stops at a fragment header (recording it in
 * `h`) or at the upper-layer protocol. Also used on a reassembled fragmentable part.
 */
export function walkExtensions(buf: Buffer, cur: number, end: number, next: number, h: Ipv6Header): boolean {
  for (let i = 0; i < MAX_EXT_HEADERS; i++) {
    switch (next) {
      case HOP_BY_HOP:
      case ROUTING:
      case DEST_OPTS:
      case MOBILITY:
      case HIP:
      case SHIM6: {
        if (end - cur < 8) return false;
        const nxt = buf[cur];
        cur += (buf[cur + 1] + 1) * 8;
        next = nxt;
        break;
      }
      case AH: {
        if (end - cur < 8) return false;
        const nxt = buf[cur];
        cur += (buf[cur + 1] + 2) * 4;
        next = nxt;
        break;
      }
      case FRAGMENT: {
        if (end - cur < 8) return false;
        const nxt = buf[cur];
        const offFlags = buf.readUInt16BE(cur + 2);
        const fragOff = offFlags & 0xfff8;
        const more = (offFlags & 1) !== 0;
        const id = buf.readUInt32BE(cur + 4);
        cur += 8;
        next = nxt;
        // An atomic fragment (RFC 6946) is a whole datagram.
        if (fragOff === 0 && !more) break;
        h.fragmented = true;
        h.fragOff = fragOff;
        h.more = more;
        h.fragId = id;
        h.next = next;
        h.payloadOff = cur;
        return cur <= end;
      }
      default:
        h.next = next;
        h.payloadOff = cur;
        return cur <= end;
    }
    if (cur > end) return false;
  }
  return false;
}
