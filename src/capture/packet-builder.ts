import { isIPv4, isIPv6 } from 'node:net';
import type { Endpoint } from './types.js';

/** Builders for synthetic packets (tests, benchmarks): Ethernet or raw IP, IPv4/IPv6, UDP/TCP. */

export interface PacketOptions {
  src: Endpoint;
  dst: Endpoint;
  payload: Buffer;
  /** Default: inferred from the addresses. */
  ipv6?: boolean;
  /** 'ethernet' (default) prepends a 14-byte Ethernet header; 'raw' starts at the IP header. */
  link?: 'ethernet' | 'raw';
  /** IPv4 identification (default 0). */
  ipId?: number;
}

export interface TcpOptions extends PacketOptions {
  seq: number;
  ack?: number;
  /** Maximum payload bytes per segment (default 1460). */
  mss?: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const SRC_MAC = Buffer.from([0x02, 0, 0, 0, 0, 0x01]);
const DST_MAC = Buffer.from([0x02, 0, 0, 0, 0, 0x02]);

/** Parses dotted IPv4 or any RFC 4291 IPv6 text (including "::" and a dotted tail). */
export function parseIp(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (!isIPv6(text)) throw new Error(`not an IP address: ${text}`);
  let s = text;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = last.split('.').map(Number);
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((x) => parseInt(x, 16)));
  let all: number[];
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    const head = groups(s.slice(0, dbl));
    const rest = groups(s.slice(dbl + 2));
    all = [...head, ...new Array<number>(8 - head.length - rest.length - tail.length).fill(0), ...rest, ...tail];
  } else {
    all = [...groups(s), ...tail];
  }
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

function onesComplementSum(buf: Buffer, sum = 0): number {
  const n = buf.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (buf.length & 1) sum += buf[buf.length - 1] << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Internet checksum of `segment` with the IPv4/IPv6 pseudo-header (RFC 768, RFC 8200 §8.1). */
function transportChecksum(src: Buffer, dst: Buffer, proto: number, segment: Buffer): number {
  let sum = onesComplementSum(src) + onesComplementSum(dst) + proto + segment.length;
  sum = onesComplementSum(segment, sum);
  const c = fold(sum);
  return proto === PROTO_UDP && c === 0 ? 0xffff : c;
}

function ipPacket(opts: PacketOptions, proto: number, segment: Buffer): Buffer {
  const src = parseIp(opts.src.ip);
  const dst = parseIp(opts.dst.ip);
  const v6 = opts.ipv6 ?? src.length === 16;
  if ((src.length === 16) !== v6 || (dst.length === 16) !== v6) {
    throw new Error(`address family mismatch: ${opts.src.ip} -> ${opts.dst.ip}`);
  }
  const checksumAt = proto === PROTO_UDP ? 6 : 16;
  segment.writeUInt16BE(transportChecksum(src, dst, proto, segment), checksumAt);

  let ip: Buffer;
  if (v6) {
    ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(segment.length, 4);
    ip[6] = proto;
    ip[7] = 64;
    src.copy(ip, 8);
    dst.copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + segment.length, 2);
    ip.writeUInt16BE((opts.ipId ?? 0) & 0xffff, 4);
    ip.writeUInt16BE(0x4000, 6); // DF
    ip[8] = 64;
    ip[9] = proto;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(fold(onesComplementSum(ip)), 10);
  }
  if (opts.link === 'raw') return Buffer.concat([ip, segment]);
  const eth = Buffer.alloc(14);
  DST_MAC.copy(eth, 0);
  SRC_MAC.copy(eth, 6);
  eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([eth, ip, segment]);
}

/** One UDP datagram with correct lengths, IPv4 header checksum and UDP checksum. */
export function buildUdpPacket(opts: PacketOptions): Buffer {
  const udp = Buffer.alloc(8 + opts.payload.length);
  udp.writeUInt16BE(opts.src.port, 0);
  udp.writeUInt16BE(opts.dst.port, 2);
  udp.writeUInt16BE(udp.length, 4);
  opts.payload.copy(udp, 8);
  return ipPacket(opts, PROTO_UDP, udp);
}

/** One TCP segment with the given flags (default PSH|ACK). */
export function buildTcpPacket(opts: PacketOptions & { seq: number; ack?: number; flags?: number }): Buffer {
  const tcp = Buffer.alloc(20 + opts.payload.length);
  tcp.writeUInt16BE(opts.src.port, 0);
  tcp.writeUInt16BE(opts.dst.port, 2);
  tcp.writeUInt32BE(opts.seq >>> 0, 4);
  tcp.writeUInt32BE((opts.ack ?? 0) >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = opts.flags ?? TCP_PSH | TCP_ACK;
  tcp.writeUInt16BE(65535, 14);
  opts.payload.copy(tcp, 20);
  return ipPacket(opts, PROTO_TCP, tcp);
}

/**
 * The payload split into consecutive PSH|ACK segments of at most `mss` bytes,
 * starting at sequence number `seq` (the next one is seq + payload.length).
 */
export function buildTcpSegments(opts: TcpOptions): Buffer[] {
  const mss = opts.mss ?? 1460;
  if (mss <= 0) throw new Error('mss must be positive');
  const out: Buffer[] = [];
  for (let off = 0; off < opts.payload.length || out.length === 0; off += mss) {
    const chunk = opts.payload.subarray(off, off + mss);
    out.push(buildTcpPacket({ ...opts, payload: chunk, seq: (opts.seq + off) >>> 0 }));
    if (opts.payload.length === 0) break;
  }
  return out;
}
