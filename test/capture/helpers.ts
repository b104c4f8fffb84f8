/** Synthetic captures for the capture-layer tests: raw building blocks the public builders do not cover. */
import { spawnSync } from 'node:child_process';
import { buildTcpPacket, buildUdpPacket, parseIp, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../../src/capture/packet-builder.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import type { Endpoint } from '../../src/capture/types.js';

export const T0 = 1_700_000_000;

export function sipRequest(method: string, body = '', extra = ''): string {
  return (
    `${method} sip:bob@example.com SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK-${method.toLowerCase()}\r\n` +
    `From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n` +
    `Call-ID: call-1@example.com\r\nCSeq: 1 ${method}\r\n${extra}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

export function sipResponse(code: number, reason: string, body = ''): string {
  return (
    `SIP/2.0 ${code} ${reason}\r\nVia: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK-x\r\n` +
    `Call-ID: call-1@example.com\r\nCSeq: 1 INVITE\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** A pcap (Ethernet unless told) holding the packets 1 ms apart from T0. */
export function capture(packets: Buffer[], linkType = 1): Buffer {
  const w = new PcapWriter(linkType);
  packets.forEach((p, i) => w.addPacket(T0 + i / 1000, p));
  return w.toBuffer();
}

export function udp(src: Endpoint, dst: Endpoint, payload: string | Buffer, link: 'ethernet' | 'raw' = 'ethernet'): Buffer {
  return buildUdpPacket({ src, dst, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, link });
}

/** One TCP connection; tracks both sequence spaces so tests can send, reorder and retransmit freely. */
export class TcpSession {
  private seq: Record<'c' | 's', number>;

  constructor(
    readonly client: Endpoint,
    readonly server: Endpoint,
    isnC = 1000,
    isnS = 900000,
  ) {
    this.seq = { c: isnC, s: isnS };
  }

  handshake(): Buffer[] {
    const a = this.packet('c', '', TCP_SYN);
    const b = this.packet('s', '', TCP_SYN | TCP_ACK);
    this.seq.c++;
    this.seq.s++;
    return [a, b];
  }

  /** Segments carrying `data` from one side, `mss` bytes each, advancing that side's sequence. */
  send(from: 'c' | 's', data: string | Buffer, mss = 1460): Buffer[] {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const out: Buffer[] = [];
    for (let off = 0; off < bytes.length; off += mss) {
      out.push(this.packetAt(from, this.seq[from] + off, bytes.subarray(off, off + mss), TCP_PSH | TCP_ACK));
    }
    this.seq[from] += bytes.length;
    return out;
  }

  fin(from: 'c' | 's'): Buffer {
    const p = this.packet(from, '', TCP_FIN | TCP_ACK);
    this.seq[from]++;
    return p;
  }

  nextSeq(from: 'c' | 's'): number {
    return this.seq[from];
  }

  packetAt(from: 'c' | 's', seq: number, payload: Buffer, flags: number): Buffer {
    const [src, dst] = from === 'c' ? [this.client, this.server] : [this.server, this.client];
    return buildTcpPacket({ src, dst, seq: seq >>> 0, payload, flags });
  }

  private packet(from: 'c' | 's', data: string, flags: number): Buffer {
    return this.packetAt(from, this.seq[from], Buffer.from(data), flags);
  }
}

function checksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (buf.length & 1) sum += buf[buf.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Opts {
  id?: number;
  fragOff?: number;
  more?: boolean;
  /** IP options bytes (padded to 4 by the caller). */
  options?: Buffer;
  /** Override Total Length (to test bogus values). */
  totalLength?: number;
}

export function ipv4(src: string, dst: string, proto: number, payload: Buffer, o: Ipv4Opts = {}): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  const h = Buffer.alloc(20 + opts.length);
  h[0] = 0x40 | (h.length / 4);
  h.writeUInt16BE(o.totalLength ?? h.length + payload.length, 2);
  h.writeUInt16BE(o.id ?? 1, 4);
  h.writeUInt16BE(((o.fragOff ?? 0) / 8) | (o.more ? 0x2000 : 0), 6);
  h[8] = 64;
  h[9] = proto;
  parseIp(src).copy(h, 12);
  parseIp(dst).copy(h, 16);
  opts.copy(h, 20);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

/** IPv6 header followed by `payload`, which starts with `next` (extension headers prebuilt by the caller). */
export function ipv6(src: string, dst: string, next: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = next;
  h[7] = 64;
  parseIp(src).copy(h, 8);
  parseIp(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

/** A generic IPv6 extension header (hop-by-hop, routing, destination options) of `units`*8 bytes. */
export function ext6(next: number, units = 1): Buffer {
  const b = Buffer.alloc(units * 8);
  b[0] = next;
  b[1] = units - 1;
  if (units * 8 >= 4) b[2] = 1; // a PadN option so the header is well formed
  return b;
}

export function frag6(next: number, offset: number, more: boolean, id: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = next;
  b.writeUInt16BE(offset | (more ? 1 : 0), 2);
  b.writeUInt32BE(id, 4);
  return b;
}

/** UDP header + payload without checksum (tshark does not verify it by default). */
export function udpSegment(sport: number, dport: number, payload: Buffer, length?: number): Buffer {
  const u = Buffer.alloc(8);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(length ?? 8 + payload.length, 4);
  return Buffer.concat([u, payload]);
}

export function ethernet(etherType: number, payload: Buffer, vlanTpids: number[] = []): Buffer {
  const macs = Buffer.from('020000000002020000000001', 'hex');
  const tags = vlanTpids.map((tpid, i) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(tpid, 0);
    t.writeUInt16BE(100 + i, 2);
    return t;
  });
  const type = Buffer.alloc(2);
  type.writeUInt16BE(etherType, 0);
  return Buffer.concat([macs, ...tags, type, payload]);
}

export function gtpu(inner: Buffer, opts: { seq?: boolean; ext?: Buffer[] } = {}): Buffer {
  const ext = opts.ext ?? [];
  const optional = opts.seq || ext.length > 0;
  let flags = 0x30;
  if (opts.seq) flags |= 0x02;
  if (ext.length > 0) flags |= 0x04;
  const opt = Buffer.alloc(optional ? 4 : 0);
  if (ext.length > 0) opt[3] = 0x85; // type of the first extension header
  const exts = ext.map((e, i) => {
    const len = Math.ceil((e.length + 2) / 4) * 4;
    const b = Buffer.alloc(len);
    b[0] = len / 4;
    e.copy(b, 1);
    b[len - 1] = i === ext.length - 1 ? 0 : 0x85;
    return b;
  });
  const body = Buffer.concat([opt, ...exts, inner]);
  const h = Buffer.alloc(8);
  h[0] = flags;
  h[1] = 0xff;
  h.writeUInt16BE(body.length, 2);
  h.writeUInt32BE(0x1234, 4);
  return Buffer.concat([h, body]);
}

export interface WsOpts {
  opcode?: number;
  fin?: boolean;
  mask?: Buffer;
  /** Force the 16- or 64-bit length encoding. */
  lenBits?: 7 | 16 | 64;
  rsv1?: boolean;
}

export function wsFrame(payload: string | Buffer, o: WsOpts = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const bits = o.lenBits ?? (data.length < 126 ? 7 : data.length < 65536 ? 16 : 64);
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | (o.opcode ?? 1)];
  const m = o.mask ? 0x80 : 0;
  if (bits === 7) head.push(m | data.length);
  else if (bits === 16) head.push(m | 126, data.length >> 8, data.length & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (data.length >>> 24) & 0xff, (data.length >> 16) & 0xff, (data.length >> 8) & 0xff, data.length & 0xff);
  if (!o.mask) return Buffer.concat([Buffer.from(head), data]);
  const masked = Buffer.from(data.map((b, i) => b ^ o.mask![i & 3]));
  return Buffer.concat([Buffer.from(head), o.mask, masked]);
}

export function sctpData(data: Buffer, o: { tsn: number; sid?: number; flags?: number }): Buffer {
  const c = Buffer.alloc(16 + data.length + ((4 - (data.length % 4)) % 4));
  c[0] = 0;
  c[1] = o.flags ?? 0x03;
  c.writeUInt16BE(16 + data.length, 2);
  c.writeUInt32BE(o.tsn, 4);
  c.writeUInt16BE(o.sid ?? 0, 8);
  data.copy(c, 16);
  return c;
}

export function sctpIData(data: Buffer, o: { tsn: number; sid?: number; mid: number; fsn?: number; flags?: number }): Buffer {
  const c = Buffer.alloc(20 + data.length + ((4 - (data.length % 4)) % 4));
  c[0] = 64;
  c[1] = o.flags ?? 0x03;
  c.writeUInt16BE(20 + data.length, 2);
  c.writeUInt32BE(o.tsn, 4);
  c.writeUInt16BE(o.sid ?? 0, 8);
  c.writeUInt32BE(o.mid, 12);
  c.writeUInt32BE(o.fsn ?? 0, 16);
  data.copy(c, 20);
  return c;
}

export function sctpPacket(sport: number, dport: number, chunks: Buffer[]): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(0xdeadbeef, 4);
  return Buffer.concat([h, ...chunks]);
}

// ---- pcapng ----------------------------------------------------------------

export interface NgIface {
  linkType: number;
  /** Raw if_tsresol byte. */
  tsresol?: number;
  /** if_tsoffset seconds. */
  tsoffset?: number;
}

export type NgBlock =
  | { kind: 'epb'; iface: number; ts: bigint; data: Buffer }
  | { kind: 'spb'; data: Buffer }
  | { kind: 'pb'; iface: number; ts: bigint; data: Buffer }
  | { kind: 'raw'; type: number; body: Buffer };

export function pcapngSection(le: boolean, ifaces: NgIface[], blocks: NgBlock[]): Buffer {
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    le ? b.writeUInt16LE(v) : b.writeUInt16BE(v);
    return b;
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    le ? b.writeUInt32LE(v >>> 0) : b.writeUInt32BE(v >>> 0);
    return b;
  };
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const block = (type: number, body: Buffer) => {
    const total = 12 + body.length;
    return Buffer.concat([u32(type), u32(total), body, u32(total)]);
  };
  const option = (code: number, value: Buffer) => Buffer.concat([u16(code), u16(value.length), pad(value)]);
  const out: Buffer[] = [];
  out.push(block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)])));
  for (const i of ifaces) {
    const opts: Buffer[] = [];
    if (i.tsresol !== undefined) opts.push(option(9, Buffer.from([i.tsresol])));
    if (i.tsoffset !== undefined) {
      const v = Buffer.alloc(8);
      le ? v.writeBigInt64LE(BigInt(i.tsoffset)) : v.writeBigInt64BE(BigInt(i.tsoffset));
      opts.push(option(14, v));
    }
    if (opts.length) opts.push(Buffer.alloc(4)); // opt_endofopt
    out.push(block(1, Buffer.concat([u16(i.linkType), u16(0), u32(262144), ...opts])));
  }
  for (const b of blocks) {
    if (b.kind === 'epb' || b.kind === 'pb') {
      const id = b.kind === 'epb' ? u32(b.iface) : Buffer.concat([u16(b.iface), u16(0)]);
      out.push(
        block(
          b.kind === 'epb' ? 6 : 2,
          Buffer.concat([id, u32(Number(b.ts >> 32n)), u32(Number(b.ts & 0xffffffffn)), u32(b.data.length), u32(b.data.length), pad(b.data)]),
        ),
      );
    } else if (b.kind === 'spb') {
      out.push(block(3, Buffer.concat([u32(b.data.length), pad(b.data)])));
    } else {
      out.push(block(b.type, pad(b.body)));
    }
  }
  return Buffer.concat(out);
}

// ---- tshark ----------------------------------------------------------------

let tsharkOk: boolean | undefined;

export function hasTshark(): boolean {
  if (tsharkOk === undefined) {
    const r = spawnSync('tshark', ['-v'], { stdio: 'ignore' });
    tsharkOk = r.status === 0;
  }
  return tsharkOk;
}

export interface TsharkFrame {
  frame: number;
  methods: string[];
  statuses: string[];
}

/** Frames tshark decodes as SIP with a request or status line (continuation-only frames are left out). */
export function tsharkSipFrames(file: string, extraArgs: string[] = []): TsharkFrame[] {
  const r = spawnSync(
    'tshark',
    ['-r', file, ...extraArgs, '-Y', 'sip', '-T', 'fields', '-e', 'frame.number', '-e', 'sip.Method', '-e', 'sip.Status-Code'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  const out: TsharkFrame[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const [f, m = '', s = ''] = line.split('\t');
    const methods = m ? m.split(',') : [];
    const statuses = s ? s.split(',') : [];
    if (methods.length + statuses.length > 0) out.push({ frame: Number(f), methods, statuses });
  }
  return out;
}

/** Method or status code of a SIP start line, as tshark's sip.Method / sip.Status-Code show it. */
export function startToken(bytes: Buffer): { method?: string; status?: string } {
  const line = bytes.toString('latin1', 0, Math.min(bytes.length, 512)).split(/\r|\n/)[0];
  const [a, b] = line.split(' ');
  return a === 'SIP/2.0' ? { status: b } : { method: a };
}
