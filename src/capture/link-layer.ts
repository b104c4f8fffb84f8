/**
 * Finds the network-layer start inside a link-layer frame. Returns the IP version
 * to decode (4 or 6, or 0 to let the version nibble decide), -1 when the frame
 * carries something other than IP (ARP, STP … silently ignored) and -2 when the
 * link type itself is unsupported. The IP header offset is left in `out.off`.
 */

export interface LinkOut {
  off: number;
}

export const DLT_NULL = 0;
export const DLT_EN10MB = 1;
export const DLT_PPP = 9;
export const DLT_RAW_12 = 12;
export const DLT_RAW_14 = 14;
export const DLT_PPP_HDLC = 50;
export const DLT_RAW = 101;
export const DLT_LOOP = 108;
export const DLT_LINUX_SLL = 113;
export const DLT_IPV4 = 228;
export const DLT_IPV6 = 229;
export const DLT_LINUX_SLL2 = 276;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const MAX_TAGS = 8;

export function linkToIp(linkType: number, buf: Buffer, off: number, end: number, out: LinkOut): number {
  switch (linkType) {
    case DLT_EN10MB:
      return ethernet(buf, off, end, out);
    case DLT_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
      out.off = off;
      return 0;
    case DLT_IPV4:
      out.off = off;
      return 4;
    case DLT_IPV6:
      out.off = off;
      return 6;
    case DLT_LINUX_SLL:
      if (end - off < 16) return -1;
      return etherType(buf.readUInt16BE(off + 14), buf, off + 16, end, out, 0);
    case DLT_LINUX_SLL2:
      if (end - off < 20) return -1;
      return etherType(buf.readUInt16BE(off), buf, off + 20, end, out, 0);
    case DLT_NULL:
    case DLT_LOOP:
      return loopback(linkType, buf, off, end, out);
    case DLT_PPP:
    case DLT_PPP_HDLC:
      return ppp(buf, off, end, out);
    default:
      return -2;
  }
}

function ethernet(buf: Buffer, off: number, end: number, out: LinkOut): number {
  if (end - off < 14) return -1;
  const type = buf.readUInt16BE(off + 12);
  if (type <= 1500) {
    // 802.3 length field: only LLC/SNAP can carry an EtherType.
    const llc = off + 14;
    if (end - llc >= 8 && buf[llc] === 0xaa && buf[llc + 1] === 0xaa && buf[llc + 2] === 0x03) {
      return etherType(buf.readUInt16BE(llc + 6), buf, llc + 8, end, out, 0);
    }
    return -1;
  }
  return etherType(type, buf, off + 14, end, out, 0);
}

function etherType(type: number, buf: Buffer, off: number, end: number, out: LinkOut, depth: number): number {
  switch (type) {
    case ETH_IPV4:
      // tshark's IPv4 dissector hands a version-6 header to IPv6, so the nibble decides.
      out.off = off;
      return 0;
    case ETH_IPV6:
      out.off = off;
      return 6;
    case 0x8100:
    case 0x88a8:
    case 0x9100:
    case 0x9200:
      if (depth >= MAX_TAGS || end - off < 4) return -1;
      return etherType(buf.readUInt16BE(off + 2), buf, off + 4, end, out, depth + 1);
    case 0x8847:
    case 0x8848:
      return mpls(buf, off, end, out);
    case 0x8864:
      // PPPoE session: 6-byte header, then a PPP protocol field.
      if (end - off < 8) return -1;
      return pppProtocol(buf.readUInt16BE(off + 6), off + 8, out);
    default:
      return -1;
  }
}

function mpls(buf: Buffer, off: number, end: number, out: LinkOut): number {
  for (let i = 0; i < MAX_TAGS; i++) {
    if (end - off < 4) return -1;
    const bottom = (buf[off + 2] & 0x01) !== 0;
    off += 4;
    if (bottom) {
      if (off >= end) return -1;
      const v = buf[off] >> 4;
      if (v !== 4 && v !== 6) return -1;
      out.off = off;
      return v;
    }
  }
  return -1;
}

function loopback(linkType: number, buf: Buffer, off: number, end: number, out: LinkOut): number {
  if (end - off < 4) return -1;
  let family: number;
  if (linkType === DLT_LOOP) {
    family = buf.readUInt32BE(off);
  } else {
    // DLT_NULL stores the family in the capturing host's byte order; a value that
    // does not fit 16 bits must have been written big-endian.
    family = buf.readUInt32LE(off);
    if (family > 0xffff) family = buf.readUInt32BE(off);
  }
  out.off = off + 4;
  if (family === 2) return 4;
  // AF_INET6 differs per OS: Linux 10, Windows 23, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30.
  if (family === 10 || family === 23 || family === 24 || family === 28 || family === 30) return 6;
  return -1;
}

function ppp(buf: Buffer, off: number, end: number, out: LinkOut): number {
  if (end - off >= 2 && buf[off] === 0xff && buf[off + 1] === 0x03) off += 2;
  if (end - off < 2) return -1;
  return pppProtocol(buf.readUInt16BE(off), off + 2, out);
}

function pppProtocol(proto: number, off: number, out: LinkOut): number {
  out.off = off;
  if (proto === 0x0021) return 4;
  if (proto === 0x0057) return 6;
  return -1;
}
