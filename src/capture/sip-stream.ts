import { CL_INVALID, CL_MISSING, contentLength, findHeaderEnd, findLf } from './sip-framing.js';
import { looksLikeSip } from './sip-heuristic.js';
import type { StreamBuffer } from './stream-buffer.js';
import type { StreamOwner } from './stream-owner.js';

const CR = 0x0d;
const LF = 0x0a;
/** A start line longer than this is not SIP; it bounds what resynchronisation keeps. */
const MAX_LINE = 64 * 1024;

/**
 * Cuts one direction of a byte stream into SIP messages: start line, headers up to
 * the empty line, then Content-Length bytes of body. Keep-alives (RFC 5626 CRLFCRLF
 * ping, CRLF pong) between messages are skipped; data that does not start with a SIP
 * start line (capture began mid-stream, garbage, a lost segment) is skipped up to
 * the next line that does.
 *
 * Every search resumes where the previous one stopped, so a message trickling in as
 * many tiny segments costs linear time.
 */
export class SipStream {
  private aligned = false;
  /** Bytes after sb.start already searched (for the line end, then the empty line). */
  private scanned = 0;
  private lineChecked = false;
  /** Header length (incl. empty line) and body length once known, else -1. */
  private hdrLen = -1;
  private bodyLen = -1;
  /** Body bytes of a refused oversized message still to be thrown away. */
  private discard = 0;
  private skipped = 0;
  private everAligned = false;

  constructor(private readonly owner: StreamOwner) {}

  /**
   * Parses what `sb` holds; `frame`/`time` are those of the segment that brought the
   * latest bytes, which start `segmentAt` bytes after sb.start.
   */
  process(sb: StreamBuffer, frame: number, time: number, segmentAt = 0): void {
    const ctx = this.owner.ctx;
    const max = ctx.maxReassemblyBytes;
    while (sb.length > 0) {
      if (this.discard > 0) {
        const n = Math.min(this.discard, sb.length);
        sb.consume(n);
        this.discard -= n;
        continue;
      }
      if (!this.aligned) {
        if (!this.resync(sb, frame, segmentAt)) return;
        continue;
      }
      const buf = sb.buf;
      const s = sb.start;
      const e = sb.end;
      if (this.hdrLen < 0) {
        if (!this.lineChecked) {
          if (buf[s] === CR || buf[s] === LF) {
            let i = s;
            while (i < e && (buf[i] === CR || buf[i] === LF)) i++;
            sb.consume(i - s);
            continue;
          }
          const lf = findLf(buf, s + this.scanned, e);
          if (lf < 0) {
            this.scanned = e - s;
            if (this.scanned > MAX_LINE) this.lose(sb, frame, `SIP start line longer than ${MAX_LINE} bytes`);
            return;
          }
          if (!looksLikeSip(buf, s, lf + 1, ctx.strict)) {
            ctx.findings.add(frame, 'warning', `non-SIP data between SIP messages on ${this.owner.label}; resynchronising`);
            this.reset(false);
            continue;
          }
          this.lineChecked = true;
          this.scanned = lf - s;
        }
        const hdrEnd = findHeaderEnd(buf, s + this.scanned, e);
        if (hdrEnd < 0) {
          // The empty line may straddle the end: resume a few bytes back.
          this.scanned = Math.max(this.scanned, e - s - 3);
          if (e - s > max) this.lose(sb, frame, `SIP header block exceeds ${max} bytes`);
          return;
        }
        this.hdrLen = hdrEnd - s;
        const cl = contentLength(buf, s, hdrEnd);
        if (cl === CL_MISSING || cl === CL_INVALID) {
          const why = cl === CL_MISSING ? 'without Content-Length' : 'with unparsable Content-Length';
          ctx.findings.add(frame, 'warning', `SIP message ${why} on stream ${this.owner.label}; body taken as empty`);
          this.bodyLen = 0;
        } else if (this.hdrLen + cl > max) {
          ctx.findings.add(
            frame,
            'error',
            `SIP message of ${this.hdrLen + cl} bytes exceeds the ${max}-byte reassembly limit on ${this.owner.label}; skipped`,
          );
          sb.consume(this.hdrLen);
          this.discard = cl;
          this.reset(true);
          continue;
        } else {
          this.bodyLen = cl;
        }
      }
      const total = this.hdrLen + this.bodyLen;
      if (sb.length < total) return;
      const bytes = sb.take(total);
      this.reset(true);
      ctx.emit(this.owner.transport ?? 'tcp', this.owner.src, this.owner.dst, bytes, frame, time);
    }
  }

  /** Stream bytes were lost (gap, reset): whatever was pending is gone. */
  gap(sb: StreamBuffer, frame: number): void {
    if (this.aligned && this.discard === 0 && sb.length > 0) this.incomplete(sb, frame, 'cut by a gap in the TCP stream');
    sb.clear();
    this.discard = 0;
    this.reset(false);
  }

  /** End of stream (FIN, RST or end of capture). */
  end(sb: StreamBuffer, frame: number): void {
    if (this.aligned && this.discard === 0 && sb.length > 0) this.incomplete(sb, frame, 'incomplete at end of stream');
    sb.clear();
    this.discard = 0;
    this.reset(false);
  }

  private incomplete(sb: StreamBuffer, frame: number, why: string): void {
    // Only keep-alive bytes left is a normal end.
    for (let i = sb.start; i < sb.end; i++) {
      const c = sb.buf[i];
      if (c !== CR && c !== LF) {
        this.owner.ctx.findings.add(frame, 'error', `SIP message ${why} on ${this.owner.label} (${sb.length} bytes)`);
        return;
      }
    }
  }

  private lose(sb: StreamBuffer, frame: number, why: string): void {
    this.owner.ctx.findings.add(frame, 'error', `${why} on ${this.owner.label}; data dropped, resynchronising`);
    sb.clear();
    this.reset(false);
  }

  private reset(aligned: boolean): void {
    this.aligned = aligned;
    this.scanned = 0;
    this.lineChecked = false;
    this.hdrLen = -1;
    this.bodyLen = -1;
  }

  /**
   * Skips to the next SIP start line; false when more data is needed. A segment
   * boundary is tried first: like tshark, which looks for a start line at each
   * segment, we must not glue a skipped partial line to the start line after it.
   * While unaligned, sb holds at most one partial line, of which `scanned` bytes
   * are known to contain no line end.
   */
  private resync(sb: StreamBuffer, frame: number, segmentAt: number): boolean {
    const buf = sb.buf;
    const e = sb.end;
    const strict = this.owner.ctx.strict;
    const seg = sb.start + segmentAt;
    if (segmentAt > 0 && seg < e) {
      const lf = findLf(buf, seg, e);
      if (lf >= 0 && looksLikeSip(buf, seg, lf + 1, strict)) {
        this.skipped += countContent(buf, sb.start, seg);
        sb.consume(segmentAt);
        return this.markAligned(frame);
      }
    }
    let ls = sb.start;
    let from = sb.start + this.scanned;
    this.scanned = 0;
    while (ls < e) {
      const c = buf[ls];
      if (c === CR || c === LF) {
        ls++;
        from = Math.max(from, ls);
        continue;
      }
      const lf = findLf(buf, from, e);
      if (lf < 0) {
        if (e - ls > MAX_LINE) {
          // Too long to be a start line: drop it, remembering nothing.
          this.skipped += e - ls;
          ls = e;
        } else {
          this.scanned = e - ls;
        }
        break;
      }
      if (looksLikeSip(buf, ls, lf + 1, strict)) {
        sb.consume(ls - sb.start);
        return this.markAligned(frame);
      }
      this.skipped += lf + 1 - ls;
      ls = lf + 1;
      from = ls;
    }
    sb.consume(ls - sb.start);
    return false;
  }

  private markAligned(frame: number): true {
    if (this.skipped > 0) {
      const why = this.everAligned ? 'after non-SIP data' : 'not at the start of the stream (capture began mid-stream?)';
      this.owner.ctx.findings.add(frame, 'warning', `SIP resynchronised ${why} on ${this.owner.label}: ${this.skipped} bytes skipped`);
    }
    this.skipped = 0;
    this.everAligned = true;
    this.reset(true);
    return true;
  }
}

/** Bytes other than CR/LF: keep-alives before a message are not "skipped data". */
function countContent(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (buf[i] !== CR && buf[i] !== LF) n++;
  return n;
}
