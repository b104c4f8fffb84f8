import type { DecodeContext } from './context.js';

/** Parses a TCP header and hands the segment to the flow tracker. */
export function decodeTcp(ctx: DecodeContext, buf: Buffer, off: number, end: number): void {
  if (end - off < 20) return;
  const dataOff = (buf[off + 12] >> 4) * 4;
  // tshark stops at a bogus data offset; so do we.
  if (dataOff < 20 || off + dataOff > end) return;
  const srcPort = buf.readUInt16BE(off);
  const dstPort = buf.readUInt16BE(off + 2);
  const seq = buf.readUInt32BE(off + 4);
  const flags = buf[off + 13];
  ctx.tcp.segment(ctx, srcPort, dstPort, seq, flags, buf, off + dataOff, end);
}
