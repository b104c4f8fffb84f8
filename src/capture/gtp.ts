/** GTP-U version 1 (3GPP TS 29.281) on UDP port 2152: finds the T-PDU inside. */

export const GTPU_PORT = 2152;
const T_PDU = 0xff;
const MAX_EXT = 16;

/** Offset of the inner IP packet, or -1 when this is not a GTP-U T-PDU carrying IP. */
export function gtpuInner(buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return -1;
  const flags = buf[off];
  // Version 1, protocol type GTP (not GTP').
  if (flags >> 5 !== 1 || (flags & 0x10) === 0) return -1;
  if (buf[off + 1] !== T_PDU) return -1;
  let cur = off + 8;
  if (flags & 0x07) {
    if (end - cur < 4) return -1;
    let nextExt = flags & 0x04 ? buf[cur + 3] : 0;
    cur += 4;
    for (let i = 0; nextExt !== 0; i++) {
      if (i >= MAX_EXT || cur >= end) return -1;
      const len = buf[cur] * 4;
      if (len === 0 || cur + len > end) return -1;
      nextExt = buf[cur + len - 1];
      cur += len;
    }
  }
  if (cur >= end) return -1;
  const v = buf[cur] >> 4;
  return v === 4 || v === 6 ? cur : -1;
}
