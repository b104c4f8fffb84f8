/**
 * A pcapng copy of a capture with the TLS key log embedded in a Decryption Secrets Block, so that the
 * capture attached to a report opens in Wireshark (and reads in tshark, and in our own extractSip) with its
 * TLS already decrypted, without a key log file beside it (what `editcap --inject-secrets tls,KEYS` does).
 *
 * Layout: SHB, one IDB per link type, the DSB, then one EPB per frame. The DSB comes before every packet
 * because a reader applies secrets only to packets after them (pcapng spec, draft-ietf-opsawg-pcapng §4.7).
 * Timestamps are kept to the microsecond (the pcapng default resolution, and tcpdump's); frames keep their
 * captured bytes (the original length of a truncated frame is not carried over: ours are never truncated).
 */
import { Findings } from './findings.js';
import type { FrameSink } from './frame-sink.js';
import { isPcap, readPcap } from './pcap-reader.js';
import { isPcapng, readPcapng } from './pcapng-reader.js';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const EPB = 6;
export const DSB = 0x0a;
/** Secrets type "TLSK": an NSS key log (pcapng spec, Decryption Secrets Block types). */
export const SECRETS_TLS_KEYLOG = 0x544c534b;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const SNAPLEN = 262144;

interface Frame {
  iface: number;
  time: number;
  data: Buffer;
}

/** A block: type, total length, body padded to 32 bits, total length again. */
function block(type: number, body: Buffer): Buffer {
  const padded = (body.length + 3) & ~3;
  const total = 12 + padded;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

function sectionHeader(): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  body.writeUInt16LE(1, 4); // major
  body.writeUInt16LE(0, 6); // minor
  body.writeBigInt64LE(-1n, 8); // section length not given
  return block(SHB, body);
}

function interfaceDescription(linkType: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(linkType, 0);
  body.writeUInt32LE(SNAPLEN, 4);
  return block(IDB, body);
}

/** A Decryption Secrets Block holding `keylog` as TLS key log text. */
export function decryptionSecretsBlock(keylog: string): Buffer {
  const secrets = Buffer.from(keylog, 'utf8');
  const body = Buffer.alloc(8 + secrets.length);
  body.writeUInt32LE(SECRETS_TLS_KEYLOG, 0);
  body.writeUInt32LE(secrets.length, 4);
  secrets.copy(body, 8);
  return block(DSB, body);
}

function enhancedPacket(f: Frame): Buffer {
  let sec = Math.floor(f.time);
  let usec = Math.round((f.time - sec) * 1e6);
  if (usec >= 1e6) {
    sec += 1;
    usec -= 1e6;
  }
  // A 64-bit count of microseconds, written as two 32-bit halves (high first).
  const ts = BigInt(sec) * 1_000_000n + BigInt(usec);
  const body = Buffer.alloc(20 + f.data.length);
  body.writeUInt32LE(f.iface, 0);
  body.writeUInt32LE(Number(ts >> 32n), 4);
  body.writeUInt32LE(Number(ts & 0xffffffffn), 8);
  body.writeUInt32LE(f.data.length, 12);
  body.writeUInt32LE(f.data.length, 16);
  f.data.copy(body, 20);
  return block(EPB, body);
}

/**
 * `capture` (pcap or pcapng) as pcapng with `keylog` (SSLKEYLOGFILE text) embedded. Throws on a file that is
 * neither format, or one too damaged to read a frame of (a converted copy must not silently lose packets).
 */
export function writePcapngWithSecrets(capture: Buffer, keylog: string): Buffer {
  const pcapng = isPcapng(capture);
  if (!pcapng && !isPcap(capture)) throw new Error('not a pcap or pcapng file');
  const ifaces = new Map<number, number>();
  const frames: Frame[] = [];
  const sink: FrameSink = {
    frame(_no, time, linkType, data, off, end) {
      let iface = ifaces.get(linkType);
      if (iface === undefined) {
        iface = ifaces.size;
        ifaces.set(linkType, iface);
      }
      frames.push({ iface, time, data: data.subarray(off, end) });
    },
  };
  const findings = new Findings();
  if (pcapng) readPcapng(capture, sink, findings);
  else readPcap(capture, sink, findings);
  const damage = findings.finish();
  if (damage.length > 0) throw new Error(`capture is damaged, not converted: ${damage[0].message}`);
  return Buffer.concat([
    sectionHeader(),
    ...[...ifaces.keys()].map(interfaceDescription),
    decryptionSecretsBlock(keylog),
    ...frames.map(enhancedPacket),
  ]);
}
