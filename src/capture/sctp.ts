import type { DecodeContext } from './context.js';
import { looksLikeSip } from './sip-heuristic.js';

const DATA = 0;
const I_DATA = 64;
const FLAG_END = 0x01;
const FLAG_BEGIN = 0x02;
const FLAG_UNORDERED = 0x04;

/** SCTP common header and chunks; each DATA / I-DATA user message that is SIP becomes a payload. */
export function decodeSctp(ctx: DecodeContext, buf: Buffer, off: number, end: number): void {
  if (end - off < 12) return;
  const srcPort = buf.readUInt16BE(off);
  const dstPort = buf.readUInt16BE(off + 2);
  let cur = off + 12;
  while (end - cur >= 4) {
    const type = buf[cur];
    const flags = buf[cur + 1];
    const len = buf.readUInt16BE(cur + 2);
    if (len < 4) break;
    const chunkEnd = Math.min(cur + len, end);
    if (type === DATA && len >= 16) {
      const tsn = buf.readUInt32BE(cur + 4);
      const sid = buf.readUInt16BE(cur + 8);
      userData(ctx, srcPort, dstPort, flags, `d${sid}`, tsn, buf, cur + 16, chunkEnd);
    } else if (type === I_DATA && len >= 20) {
      const sid = buf.readUInt16BE(cur + 8);
      const mid = buf.readUInt32BE(cur + 12);
      const fsn = flags & FLAG_BEGIN ? 0 : buf.readUInt32BE(cur + 16);
      const ordered = flags & FLAG_UNORDERED ? 'u' : 'o';
      userData(ctx, srcPort, dstPort, flags, `i${sid}${ordered}${mid}`, fsn, buf, cur + 20, chunkEnd);
    }
    // Chunks are padded to 4 bytes; the length field excludes the padding.
    cur += (len + 3) & ~3;
  }
}

function userData(
  ctx: DecodeContext,
  srcPort: number,
  dstPort: number,
  flags: number,
  stream: string,
  n: number,
  buf: Buffer,
  off: number,
  end: number,
): void {
  if (off > end) return;
  let msg: Buffer | undefined;
  if ((flags & (FLAG_BEGIN | FLAG_END)) === (FLAG_BEGIN | FLAG_END)) {
    msg = buf.subarray(off, end);
  } else {
    const key = `${ctx.flowKey(srcPort, dstPort)}|${stream}`;
    const frag = { n, first: (flags & FLAG_BEGIN) !== 0, last: (flags & FLAG_END) !== 0, data: buf.subarray(off, end) };
    msg = ctx.sctp.add(key, frag, ctx.maxReassemblyBytes, ctx.findings, ctx.frame);
  }
  if (!msg || !looksLikeSip(msg, 0, msg.length, ctx.strict)) return;
  ctx.emit('sctp', ctx.srcEndpoint(srcPort), ctx.dstEndpoint(dstPort), msg, ctx.frame, ctx.time);
}
