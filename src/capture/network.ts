import type { DecodeContext } from './context.js';
import { GTPU_PORT, gtpuInner } from './gtp.js';
import { parseIpv4, type Ipv4Header } from './ipv4.js';
import { parseIpv6, walkExtensions, type Ipv6Header } from './ipv6.js';
import { linkToIp, type LinkOut } from './link-layer.js';
import { decodeSctp } from './sctp.js';
import { looksLikeSip } from './sip-heuristic.js';
import { decodeTcp } from './tcp.js';

/** Tunnels inside tunnels are legal, but a fuzzed packet must not recurse forever. */
const MAX_DEPTH = 8;

const PROTO_IPIP = 4;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_IPV6 = 41;
const PROTO_GRE = 47;
const PROTO_SCTP = 132;

const SIP_PORT = 5060;

const linkOut: LinkOut = { off: 0 };

/** CRLF keep-alives (RFC 5626 style, also sent over UDP by many phones) are not worth a finding. */
function isKeepAlive(buf: Buffer, off: number, end: number): boolean {
  for (let i = off; i < end; i++) {
    const c = buf[i];
    if (c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

/** Decodes one captured frame down to the SIP payloads it carries. */
export function decodeFrame(ctx: DecodeContext, linkType: number, buf: Buffer, off: number, end: number): void {
  const version = linkToIp(linkType, buf, off, end, linkOut);
  if (version === -2) {
    ctx.findings.once(`link:${linkType}`, ctx.frame, 'warning', `unsupported link type ${linkType}; its frames are skipped`);
    return;
  }
  if (version >= 0) decodeIp(ctx, version, buf, linkOut.off, end, 0);
}

/** `version` 0 lets the version nibble decide, as tshark does behind EtherType 0x0800 and raw IP. */
export function decodeIp(ctx: DecodeContext, version: number, buf: Buffer, off: number, end: number, depth: number): void {
  if (off >= end) return;
  if (depth > MAX_DEPTH) {
    ctx.findings.once('depth', ctx.frame, 'warning', `more than ${MAX_DEPTH} nested tunnels; inner packets skipped`);
    return;
  }
  const v = version === 0 ? buf[off] >> 4 : version;
  if (v === 4) decodeIpv4(ctx, buf, off, end, depth);
  else if (v === 6) decodeIpv6(ctx, buf, off, end, depth);
}

/**
 * Scratch headers, reused for every packet to spare the allocation. Safe under
 * tunnel recursion because each decoder copies what it needs before recursing.
 */
const v4: Ipv4Header = { proto: 0, payloadOff: 0, payloadEnd: 0, complete: false, fragOff: 0, more: false, id: 0, srcOff: 0, dstOff: 0 };
const v6: Ipv6Header = {
  next: 0, payloadOff: 0, payloadEnd: 0, complete: false, fragmented: false, fragOff: 0, more: false, fragId: 0, srcOff: 0, dstOff: 0,
};

function decodeIpv4(ctx: DecodeContext, buf: Buffer, off: number, end: number, depth: number): void {
  const h = v4;
  if (buf[off] >> 4 !== 4 || !parseIpv4(buf, off, end, h)) return;
  const proto = h.proto;
  const srcOff = h.srcOff;
  const dstOff = h.dstOff;
  let pbuf = buf;
  let poff = h.payloadOff;
  let pend = h.payloadEnd;
  if (h.more || h.fragOff !== 0) {
    if (!h.complete) {
      // tshark does not reassemble a snapped fragment; it still dissects a first fragment alone.
      if (h.fragOff !== 0) return;
    } else {
      const key = `4|${buf.readUInt32BE(srcOff)}|${buf.readUInt32BE(dstOff)}|${proto}|${h.id}`;
      const whole = ctx.ipv4Frags.add(key, h.fragOff, h.more, buf.subarray(poff, pend), ctx.frame, ctx.time);
      if (!whole) return;
      pbuf = whole;
      poff = 0;
      pend = whole.length;
    }
  }
  ctx.setAddresses(buf, srcOff, dstOff, 4);
  decodeTransport(ctx, proto, pbuf, poff, pend, depth);
}

function decodeIpv6(ctx: DecodeContext, buf: Buffer, off: number, end: number, depth: number): void {
  const h = v6;
  if (!parseIpv6(buf, off, end, h)) return;
  const srcOff = h.srcOff;
  const dstOff = h.dstOff;
  let pbuf = buf;
  let poff = h.payloadOff;
  let pend = h.payloadEnd;
  if (h.fragmented) {
    if (!h.complete) {
      if (h.fragOff !== 0) return;
    } else {
      const key = `6|${buf.toString('latin1', srcOff, srcOff + 32)}|${h.fragId}`;
      const whole = ctx.ipv6Frags.add(key, h.fragOff, h.more, buf.subarray(poff, pend), ctx.frame, ctx.time);
      if (!whole) return;
      // Extension headers may follow the fragment header inside the reassembled part.
      h.fragmented = false;
      if (!walkExtensions(whole, 0, whole.length, h.next, h) || h.fragmented) return;
      pbuf = whole;
      poff = h.payloadOff;
      pend = whole.length;
    }
  }
  ctx.setAddresses(buf, srcOff, dstOff, 16);
  decodeTransport(ctx, h.next, pbuf, poff, pend, depth);
}

function decodeTransport(ctx: DecodeContext, proto: number, buf: Buffer, off: number, end: number, depth: number): void {
  switch (proto) {
    case PROTO_UDP:
      decodeUdp(ctx, buf, off, end, depth);
      break;
    case PROTO_TCP:
      decodeTcp(ctx, buf, off, end);
      break;
    case PROTO_SCTP:
      decodeSctp(ctx, buf, off, end);
      break;
    case PROTO_IPIP:
      decodeIp(ctx, 4, buf, off, end, depth + 1);
      break;
    case PROTO_IPV6:
      decodeIp(ctx, 6, buf, off, end, depth + 1);
      break;
    case PROTO_GRE:
      decodeGre(ctx, buf, off, end, depth);
      break;
    default:
      break;
  }
}

function decodeUdp(ctx: DecodeContext, buf: Buffer, off: number, end: number, depth: number): void {
  if (end - off < 8) return;
  const srcPort = buf.readUInt16BE(off);
  const dstPort = buf.readUInt16BE(off + 2);
  let ulen = buf.readUInt16BE(off + 4);
  if (ulen === 0 && ctx.addrLen === 16) ulen = end - off; // RFC 2675 jumbogram
  // tshark gives up below 8 but, when the length overshoots the IP payload, dissects what is there.
  if (ulen < 8) return;
  const pend = Math.min(off + ulen, end);
  const poff = off + 8;
  if (poff >= pend) return;

  if (srcPort === GTPU_PORT || dstPort === GTPU_PORT) {
    const inner = gtpuInner(buf, poff, pend);
    if (inner >= 0) {
      const gtpEnd = Math.min(poff + 8 + buf.readUInt16BE(poff + 2), pend);
      decodeIp(ctx, 0, buf, inner, gtpEnd, depth + 1);
      return;
    }
  }
  if (!looksLikeSip(buf, poff, pend, ctx.strict)) {
    if ((srcPort === SIP_PORT || dstPort === SIP_PORT) && !isKeepAlive(buf, poff, pend)) {
      ctx.findings.once(
        `udp-nonsip:${ctx.flowKey(srcPort, dstPort)}`,
        ctx.frame,
        'warning',
        `UDP datagram on port ${SIP_PORT} is not SIP (${ctx.srcIp()}:${srcPort} -> ${ctx.dstIp()}:${dstPort}; reported once per flow)`,
      );
    }
    return;
  }
  ctx.emit('udp', ctx.srcEndpoint(srcPort), ctx.dstEndpoint(dstPort), buf.subarray(poff, pend), ctx.frame, ctx.time);
}

/** GRE (RFC 2784/2890) carrying IP or bridged Ethernet. */
function decodeGre(ctx: DecodeContext, buf: Buffer, off: number, end: number, depth: number): void {
  if (end - off < 4) return;
  const flags = buf[off];
  if ((buf[off + 1] & 0x07) !== 0) return; // only version 0
  const type = buf.readUInt16BE(off + 2);
  let cur = off + 4;
  if (flags & 0x80) cur += 4; // checksum + reserved
  if (flags & 0x20) cur += 4; // key
  if (flags & 0x10) cur += 4; // sequence number
  if (cur >= end) return;
  if (type === 0x0800) decodeIp(ctx, 0, buf, cur, end, depth + 1);
  else if (type === 0x86dd) decodeIp(ctx, 6, buf, cur, end, depth + 1);
  else if (type === 0x6558) {
    const v = linkToIp(1, buf, cur, end, linkOut);
    if (v >= 0) decodeIp(ctx, v, buf, linkOut.off, end, depth + 1);
  }
}
