import type { DecodeContext } from './context.js';
import { TcpApp, TcpConversation } from './tcp-app.js';
import type { Endpoint } from './types.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** Out-of-order segments held per direction before we declare the gap lost. */
const MAX_OOO_SEGMENTS = 256;
/** A sequence jump this far ahead is a new position (fuzzing, long loss), not a gap to wait for. */
const MAX_SEQ_JUMP = 16 * 1024 * 1024;
/** Live connections; beyond this the oldest is closed early (SYN floods, scans). */
const MAX_CONVERSATIONS = 65536;
/** Closed directions remembered so that late retransmissions are not taken for new streams. */
const MAX_CLOSED = 65536;

interface Segment {
  seq: number;
  data: Buffer;
  frame: number;
  time: number;
}

class Direction {
  nextSeq = -1;
  isn = -1;
  finished = false;
  ooo: Segment[] = [];
  oooBytes = 0;

  constructor(
    readonly app: TcpApp,
    readonly conv: Conversation,
  ) {}
}

class Conversation {
  a!: Direction;
  b!: Direction;
  constructor(
    readonly keyA: string,
    readonly keyB: string,
  ) {}
}

/** Signed distance from b to a in 32-bit sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

function endpointLabel(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/**
 * TCP connections by 4-tuple, each direction reassembled by sequence number:
 * retransmitted and overlapping bytes are delivered once (first copy wins),
 * out-of-order segments wait for the gap to fill, and a gap that never fills is
 * reported and skipped so the rest of the stream is still parsed.
 */
export class TcpTracker {
  private readonly dirs = new Map<string, Direction>();
  private readonly convs = new Set<Conversation>();
  /** Direction key -> sequence number its stream ended at. */
  private readonly closed = new Map<string, number>();

  segment(
    ctx: DecodeContext,
    srcPort: number,
    dstPort: number,
    seq: number,
    flags: number,
    buf: Buffer,
    off: number,
    end: number,
  ): void {
    const len = end - off;
    if (len === 0 && (flags & (SYN | FIN | RST)) === 0) return;
    const key = ctx.flowKey(srcPort, dstPort);
    let dir = this.dirs.get(key);
    if (dir && (flags & SYN) !== 0 && (flags & ACK) === 0 && dir.isn >= 0 && dir.isn !== seq) {
      // A new connection reusing the 4-tuple.
      this.close(dir.conv, ctx.frame);
      dir = undefined;
    }
    if (!dir) {
      if ((flags & RST) !== 0) return;
      const endSeq = this.closed.get(key);
      if (endSeq !== undefined) {
        if ((flags & SYN) === 0 && seqDiff((seq + len) >>> 0, endSeq) <= 0) return; // late retransmission
        this.closed.delete(key);
      }
      dir = this.open(ctx, key, srcPort, dstPort);
    }
    if ((flags & RST) !== 0) {
      this.close(dir.conv, ctx.frame);
      return;
    }
    if ((flags & SYN) !== 0) {
      if (dir.isn < 0 || dir.nextSeq < 0) {
        dir.isn = seq;
        dir.nextSeq = (seq + 1) >>> 0;
      }
      seq = (seq + 1) >>> 0;
    }
    if (dir.nextSeq < 0) dir.nextSeq = seq;
    if (len > 0 && !dir.finished) this.deliver(dir, seq, buf.subarray(off, end), ctx.frame, ctx.time);
    if ((flags & FIN) !== 0 && !dir.finished && dir.ooo.length === 0 && seqDiff(dir.nextSeq, (seq + len) >>> 0) >= 0) {
      dir.finished = true;
      dir.app.end(ctx.frame);
      const conv = dir.conv;
      if (conv.a.finished && conv.b.finished) this.close(conv, ctx.frame);
    }
  }

  /** End of capture: deliver what waits behind gaps, then report unfinished messages. */
  finish(ctx: DecodeContext): void {
    for (const conv of this.convs) {
      for (const dir of [conv.a, conv.b]) {
        while (dir.ooo.length > 0) this.skipGap(dir);
        if (!dir.finished) dir.app.end(ctx.frame);
      }
    }
    this.convs.clear();
    this.dirs.clear();
  }

  private open(ctx: DecodeContext, key: string, srcPort: number, dstPort: number): Direction {
    if (this.convs.size >= MAX_CONVERSATIONS) {
      const oldest = this.convs.values().next().value as Conversation;
      ctx.findings.once('tcp-evict', ctx.frame, 'warning', `more than ${MAX_CONVERSATIONS} TCP connections; oldest closed early`);
      this.close(oldest, ctx.frame);
    }
    const src = ctx.srcEndpoint(srcPort);
    const dst = ctx.dstEndpoint(dstPort);
    const reverse = ctx.flowKey(dstPort, srcPort, true);
    const conv = new Conversation(key, reverse);
    const shared = new TcpConversation(srcPort, dstPort);
    const ab = new TcpApp(ctx, src, dst, `${endpointLabel(src)} -> ${endpointLabel(dst)}`, shared);
    const ba = new TcpApp(ctx, dst, src, `${endpointLabel(dst)} -> ${endpointLabel(src)}`, shared);
    ab.peer = ba;
    ba.peer = ab;
    conv.a = new Direction(ab, conv);
    conv.b = new Direction(ba, conv);
    this.convs.add(conv);
    this.dirs.set(key, conv.a);
    this.dirs.set(reverse, conv.b);
    return conv.a;
  }

  private close(conv: Conversation, frame: number): void {
    for (const dir of [conv.a, conv.b]) {
      dir.ooo = [];
      dir.oooBytes = 0;
      if (!dir.finished) dir.app.end(frame);
      dir.finished = true;
    }
    this.convs.delete(conv);
    this.forget(conv.keyA, conv.a);
    this.forget(conv.keyB, conv.b);
  }

  private forget(key: string, dir: Direction): void {
    if (this.dirs.get(key) !== dir) return;
    this.dirs.delete(key);
    if (dir.nextSeq < 0) return;
    if (this.closed.size >= MAX_CLOSED) this.closed.delete(this.closed.keys().next().value as string);
    this.closed.set(key, dir.nextSeq);
  }

  private deliver(dir: Direction, seq: number, data: Buffer, frame: number, time: number): void {
    const rel = seqDiff(seq, dir.nextSeq);
    if (rel <= 0) {
      if (rel + data.length <= 0) return; // retransmission of delivered bytes
      this.push(dir, rel < 0 ? data.subarray(-rel) : data, frame, time);
      this.drain(dir, frame, time);
      return;
    }
    const ctx = dir.app.ctx;
    if (rel > MAX_SEQ_JUMP) {
      ctx.findings.add(frame, 'warning', `TCP sequence jumps ${rel} bytes ahead on ${dir.app.label}; treated as lost data`);
      dir.app.gap(frame);
      dir.nextSeq = seq;
      this.push(dir, data, frame, time);
      return;
    }
    dir.ooo.push({ seq, data, frame, time });
    dir.oooBytes += data.length;
    if (dir.ooo.length > MAX_OOO_SEGMENTS || dir.oooBytes > ctx.maxReassemblyBytes) this.skipGap(dir);
  }

  private push(dir: Direction, data: Buffer, frame: number, time: number): void {
    dir.nextSeq = (dir.nextSeq + data.length) >>> 0;
    dir.app.data(data, frame, time);
  }

  /**
   * Delivers waiting segments that have become contiguous. Their bytes complete
   * messages in the frame that filled the gap, or in their own frame if that is later.
   */
  private drain(dir: Direction, frame: number, time: number): void {
    let progress = true;
    while (progress && dir.ooo.length > 0) {
      progress = false;
      for (let i = 0; i < dir.ooo.length; i++) {
        const seg = dir.ooo[i];
        const rel = seqDiff(seg.seq, dir.nextSeq);
        if (rel > 0) continue;
        dir.ooo.splice(i, 1);
        dir.oooBytes -= seg.data.length;
        if (rel + seg.data.length > 0) {
          const later = seg.frame > frame;
          this.push(dir, seg.data.subarray(-rel), later ? seg.frame : frame, later ? seg.time : time);
        }
        progress = true;
        break;
      }
    }
  }

  /** Gives up on the earliest gap: reports it and continues at the next segment held. */
  private skipGap(dir: Direction): void {
    let first = dir.ooo[0];
    for (const seg of dir.ooo) if (seqDiff(seg.seq, first.seq) < 0) first = seg;
    const lost = seqDiff(first.seq, dir.nextSeq);
    dir.app.ctx.findings.add(first.frame, 'warning', `TCP stream ${dir.app.label}: ${lost} bytes never captured; skipped`);
    dir.app.gap(first.frame);
    dir.nextSeq = first.seq;
    this.drain(dir, first.frame, first.time);
  }
}
