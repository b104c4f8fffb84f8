import { inflateRawSync } from 'node:zlib';
import { looksLikeSip } from './sip-heuristic.js';
import type { StreamBuffer } from './stream-buffer.js';
import type { StreamOwner } from './stream-owner.js';
import { OP_BINARY, OP_CONTINUATION, OP_TEXT, parseWsFrame, WS_NEED_MORE, WS_TOO_BIG, wsPayload, type WsFrame } from './websocket.js';

const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * One direction of an upgraded WebSocket connection: reassembles fragmented data
 * messages and emits those that are SIP (RFC 7118: one SIP message per WebSocket
 * message). Control frames may interleave with fragments and are skipped.
 */
export class WsStream {
  private parts: Buffer[] = [];
  private partsLen = 0;
  private compressed = false;
  private inMessage = false;
  private dead = false;
  private readonly f: WsFrame = { fin: false, rsv1: false, opcode: 0, maskOff: -1, payloadOff: 0, payloadLen: 0 };

  constructor(private readonly owner: StreamOwner) {}

  process(sb: StreamBuffer, frame: number, time: number): void {
    const ctx = this.owner.ctx;
    const max = ctx.maxReassemblyBytes;
    while (sb.length > 0) {
      if (this.dead) {
        sb.clear();
        return;
      }
      const f = this.f;
      const r = parseWsFrame(sb.buf, sb.start, sb.end, max, f);
      if (r === WS_NEED_MORE) {
        if (sb.length > max + 14) this.fail(sb, frame, `WebSocket frame exceeds ${max} bytes`);
        return;
      }
      if (r === WS_TOO_BIG) {
        this.fail(sb, frame, `WebSocket frame exceeds ${max} bytes`);
        return;
      }
      const frameLen = f.payloadOff + f.payloadLen - sb.start;
      if (f.opcode >= 8) {
        sb.consume(frameLen);
        continue;
      }
      if (f.opcode !== OP_CONTINUATION && f.opcode !== OP_TEXT && f.opcode !== OP_BINARY) {
        this.fail(sb, frame, `WebSocket frame with reserved opcode ${f.opcode}`);
        return;
      }
      if (f.opcode === OP_CONTINUATION ? !this.inMessage : this.inMessage) {
        ctx.findings.add(frame, 'warning', `WebSocket fragment out of sequence on ${this.owner.label}; message dropped`);
        this.parts = [];
        this.partsLen = 0;
        this.inMessage = false;
        if (f.opcode === OP_CONTINUATION) {
          sb.consume(frameLen);
          continue;
        }
      }
      if (!this.inMessage) this.compressed = f.rsv1;
      const data = wsPayload(sb.buf, f);
      sb.consume(frameLen);
      if (this.partsLen + data.length > max) {
        ctx.findings.add(frame, 'error', `WebSocket message exceeds ${max} bytes on ${this.owner.label}; dropped`);
        this.parts = [];
        this.partsLen = 0;
        this.inMessage = !f.fin;
        continue;
      }
      this.parts.push(data);
      this.partsLen += data.length;
      this.inMessage = !f.fin;
      if (f.fin) this.message(frame, time);
    }
  }

  end(frame: number): void {
    if (this.inMessage) {
      this.owner.ctx.findings.add(frame, 'error', `WebSocket message incomplete at end of stream on ${this.owner.label}`);
    }
    this.parts = [];
    this.partsLen = 0;
    this.inMessage = false;
  }

  private message(frame: number, time: number): void {
    let msg = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    if (this.compressed) {
      try {
        msg = inflateRawSync(Buffer.concat([msg, DEFLATE_TAIL]), { maxOutputLength: this.owner.ctx.maxReassemblyBytes });
      } catch {
        // Context takeover makes later messages depend on earlier ones; we inflate each alone.
        this.owner.ctx.findings.once(
          `wsdeflate:${this.owner.label}`,
          frame,
          'warning',
          `compressed WebSocket message could not be inflated on ${this.owner.label}`,
        );
        return;
      }
    }
    if (!looksLikeSip(msg, 0, msg.length, this.owner.ctx.strict)) return;
    this.owner.ctx.emit('ws', this.owner.src, this.owner.dst, msg, frame, time);
  }

  private fail(sb: StreamBuffer, frame: number, why: string): void {
    this.owner.ctx.findings.add(frame, 'error', `${why} on ${this.owner.label}; rest of the WebSocket stream ignored`);
    sb.clear();
    this.dead = true;
  }
}
