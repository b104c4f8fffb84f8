import type { Findings } from './findings.js';
import type { FrameSink, ReadSummary } from './frame-sink.js';

const MAGIC_USEC = 0xa1b2c3d4;
const MAGIC_NSEC = 0xa1b23c4d;
/** Kuznetzov's patched libpcap: 8 more bytes per record header (ifindex, protocol, type, pad). */
const MAGIC_MODIFIED = 0xa1b2cd34;

/** Larger than any real link MTU with offloads; beyond it a record length is corruption. */
const MAX_RECORD = 256 * 1024 * 1024;

export function isPcap(file: Buffer): boolean {
  if (file.length < 4) return false;
  const le = file.readUInt32LE(0);
  const be = file.readUInt32BE(0);
  return [MAGIC_USEC, MAGIC_NSEC, MAGIC_MODIFIED].some((m) => m === le || m === be);
}

/** Plain byte arithmetic: this runs a few times per packet and Buffer's checked readers cost more. */
function u32(b: Buffer, o: number, le: boolean): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function readPcap(file: Buffer, sink: FrameSink, findings: Findings): ReadSummary {
  if (file.length < 24) {
    findings.add(0, 'error', `pcap global header truncated (${file.length} of 24 bytes)`);
    return { frames: 0, linkTypes: [] };
  }
  const leMagic = file.readUInt32LE(0);
  const littleEndian = leMagic === MAGIC_USEC || leMagic === MAGIC_NSEC || leMagic === MAGIC_MODIFIED;
  const magic = littleEndian ? leMagic : file.readUInt32BE(0);
  const fracDivisor = magic === MAGIC_NSEC ? 1e9 : 1e6;
  const recordHeader = magic === MAGIC_MODIFIED ? 24 : 16;
  // The upper bits of the link-type field carry FCS information (pcap spec, LinkType and additional information).
  const linkType = u32(file, 20, littleEndian) & 0xffff;

  let off = 24;
  let frameNo = 0;
  while (off < file.length) {
    if (off + recordHeader > file.length) {
      findings.add(frameNo + 1, 'error', `truncated record header at end of file (${file.length - off} bytes left)`);
      break;
    }
    const sec = u32(file, off, littleEndian);
    const frac = u32(file, off + 4, littleEndian);
    const inclLen = u32(file, off + 8, littleEndian);
    const dataOff = off + recordHeader;
    if (inclLen > MAX_RECORD) {
      findings.add(frameNo + 1, 'error', `record length ${inclLen} is implausible; rest of file ignored`);
      break;
    }
    if (dataOff + inclLen > file.length) {
      findings.add(
        frameNo + 1,
        'error',
        `truncated record: ${inclLen} bytes announced, ${file.length - dataOff} present; rest of file ignored`,
      );
      break;
    }
    frameNo++;
    sink.frame(frameNo, sec + frac / fracDivisor, linkType, file, dataOff, dataOff + inclLen);
    off = dataOff + inclLen;
  }
  return { frames: frameNo, linkTypes: [linkType] };
}
