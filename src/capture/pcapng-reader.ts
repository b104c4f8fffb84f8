import type { Findings } from './findings.js';
import type { FrameSink, ReadSummary } from './frame-sink.js';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const PB = 2; // obsolete Packet Block
const SPB = 3;
const EPB = 6;
const DSB = 10;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const MAX_BLOCK = 256 * 1024 * 1024;

interface Iface {
  linkType: number;
  /** Timestamp units per second. */
  units: number;
  /** if_tsoffset, seconds added to every timestamp. */
  offset: number;
}

export function isPcapng(file: Buffer): boolean {
  return file.length >= 4 && file.readUInt32LE(0) === SHB;
}

export function readPcapng(file: Buffer, sink: FrameSink, findings: Findings): ReadSummary {
  const linkTypes = new Set<number>();
  let le = true;
  let ifaces: Iface[] = [];
  let frameNo = 0;
  let off = 0;
  const u16 = (o: number) => (le ? file.readUInt16LE(o) : file.readUInt16BE(o));
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));

  while (off < file.length) {
    if (off + 12 > file.length) {
      findings.add(frameNo + 1, 'error', `truncated pcapng block header at end of file (${file.length - off} bytes left)`);
      break;
    }
    // The SHB type is a palindrome, so it can be recognised before the section's byte order is known.
    const rawType = file.readUInt32LE(off);
    if (rawType === SHB) {
      const bom = file.readUInt32LE(off + 8);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (file.readUInt32BE(off + 8) === BYTE_ORDER_MAGIC) le = false;
      else {
        findings.add(frameNo + 1, 'error', `pcapng section header with bad byte-order magic; rest of file ignored`);
        break;
      }
      ifaces = [];
    }
    const type = u32(off);
    const total = u32(off + 4);
    if (total < 12 || total % 4 !== 0 || total > MAX_BLOCK) {
      findings.add(frameNo + 1, 'error', `pcapng block of type ${type} has bad length ${total}; rest of file ignored`);
      break;
    }
    if (off + total > file.length) {
      findings.add(
        frameNo + 1,
        'error',
        `truncated pcapng block (type ${type}): ${total} bytes announced, ${file.length - off} present; rest of file ignored`,
      );
      break;
    }
    if (u32(off + total - 4) !== total) {
      findings.add(frameNo + 1, 'error', `pcapng block trailer length mismatch (type ${type}); rest of file ignored`);
      break;
    }
    const body = off + 8;
    const bodyEnd = off + total - 4;

    if (type === IDB) {
      if (bodyEnd - body >= 8) {
        const iface = parseIdb(file, body, bodyEnd, u16, le);
        ifaces.push(iface);
        linkTypes.add(iface.linkType);
      } else {
        findings.add(frameNo + 1, 'error', 'pcapng interface description block too short');
      }
    } else if (type === EPB || type === PB) {
      frameNo++;
      if (bodyEnd - body < 20) {
        findings.add(frameNo, 'error', 'pcapng packet block too short');
      } else {
        const ifId = type === EPB ? u32(body) : u16(body);
        const tsHigh = u32(body + 4);
        const tsLow = u32(body + 8);
        const capLen = u32(body + 12);
        const data = body + 20;
        const iface = ifaces[ifId];
        if (!iface) {
          findings.add(frameNo, 'error', `packet refers to undeclared interface ${ifId}`);
        } else if (data + capLen > bodyEnd) {
          findings.add(frameNo, 'error', `packet length ${capLen} exceeds its block`);
        } else {
          const time = (tsHigh * 4294967296 + tsLow) / iface.units + iface.offset;
          sink.frame(frameNo, time, iface.linkType, file, data, data + capLen);
        }
      }
    } else if (type === DSB && sink.secrets) {
      if (bodyEnd - body >= 8) {
        const len = u32(body + 4);
        if (body + 8 + len <= bodyEnd) sink.secrets(u32(body), file.subarray(body + 8, body + 8 + len));
        else findings.add(frameNo + 1, 'error', `pcapng decryption secrets block announces ${len} bytes of secrets, more than it holds`);
      }
    } else if (type === SPB) {
      frameNo++;
      const iface = ifaces[0];
      if (!iface || bodyEnd - body < 4) {
        findings.add(frameNo, 'error', 'simple packet block without interface 0 or too short');
      } else {
        const origLen = u32(body);
        const capLen = Math.min(origLen, bodyEnd - body - 4);
        // A simple packet block has no timestamp; 0 is what Wireshark shows too.
        sink.frame(frameNo, 0, iface.linkType, file, body + 4, body + 4 + capLen);
      }
    }
    off += total;
  }
  return { frames: frameNo, linkTypes: [...linkTypes] };
}

function parseIdb(
  file: Buffer,
  body: number,
  end: number,
  u16: (o: number) => number,
  le: boolean,
): Iface {
  const iface: Iface = { linkType: u16(body), units: 1e6, offset: 0 };
  let o = body + 8;
  while (o + 4 <= end) {
    const code = u16(o);
    const len = u16(o + 2);
    const val = o + 4;
    if (code === 0 || val + len > end) break;
    if (code === OPT_IF_TSRESOL && len >= 1) {
      const r = file[val];
      const exp = r & 0x7f;
      iface.units = r & 0x80 ? 2 ** exp : 10 ** exp;
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      // A signed 64-bit count of seconds in the section's byte order.
      iface.offset = Number(le ? file.readBigInt64LE(val) : file.readBigInt64BE(val));
    }
    o = val + ((len + 3) & ~3);
  }
  return iface;
}
