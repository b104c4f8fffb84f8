/** WebSocket frame header parsing (RFC 6455 §5.2). */

export interface WsFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  /** Offset of the masking key, or -1 for an unmasked frame. */
  maskOff: number;
  payloadOff: number;
  payloadLen: number;
}

export const WS_NEED_MORE = 0;
export const WS_FRAME = 1;
export const WS_TOO_BIG = 2;

export const OP_CONTINUATION = 0;
export const OP_TEXT = 1;
export const OP_BINARY = 2;

/** Parses the frame header at `off`; WS_FRAME only once the whole frame is buffered. */
export function parseWsFrame(buf: Buffer, off: number, end: number, max: number, f: WsFrame): number {
  if (end - off < 2) return WS_NEED_MORE;
  const b0 = buf[off];
  const b1 = buf[off + 1];
  let len = b1 & 0x7f;
  let cur = off + 2;
  if (len === 126) {
    if (end - cur < 2) return WS_NEED_MORE;
    len = buf.readUInt16BE(cur);
    cur += 2;
  } else if (len === 127) {
    if (end - cur < 8) return WS_NEED_MORE;
    const hi = buf.readUInt32BE(cur);
    len = buf.readUInt32BE(cur + 4);
    cur += 8;
    if (hi !== 0) return WS_TOO_BIG;
  }
  if (len > max) return WS_TOO_BIG;
  const masked = (b1 & 0x80) !== 0;
  f.maskOff = masked ? cur : -1;
  if (masked) cur += 4;
  if (end - cur < len) return WS_NEED_MORE;
  f.fin = (b0 & 0x80) !== 0;
  f.rsv1 = (b0 & 0x40) !== 0;
  f.opcode = b0 & 0x0f;
  f.payloadOff = cur;
  f.payloadLen = len;
  return WS_FRAME;
}

/** The frame's payload: a view when unmasked, unmasked into a new buffer otherwise. */
export function wsPayload(buf: Buffer, f: WsFrame): Buffer {
  const data = buf.subarray(f.payloadOff, f.payloadOff + f.payloadLen);
  if (f.maskOff < 0) return data;
  const out = Buffer.allocUnsafe(data.length);
  const m = f.maskOff;
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ buf[m + (i & 3)];
  return out;
}
