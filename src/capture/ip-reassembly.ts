import type { Findings } from './findings.js';

interface Part {
  off: number;
  data: Buffer;
}

interface Datagram {
  parts: Part[];
  /** Payload length, known once the last fragment (MF clear) has arrived; -1 before. */
  total: number;
  bytes: number;
  firstFrame: number;
  firstTime: number;
}

export interface ReassemblyLimits {
  /** Datagrams waiting for fragments at once; the oldest is dropped beyond this. */
  maxPending: number;
  /** Bytes held in fragments over all pending datagrams. */
  maxBytes: number;
  /** Capture seconds after which an incomplete datagram is abandoned (RFC 791 suggests 15-120 s). */
  timeout: number;
}

const DEFAULT_LIMITS: ReassemblyLimits = { maxPending: 4096, maxBytes: 64 * 1024 * 1024, timeout: 60 };
const MAX_DATAGRAM = 65535;
/** Real fragments are hundreds of bytes; thousands of tiny ones are an attack on our sorting. */
const MAX_PARTS = 1024;

/**
 * IP fragment reassembly (shared by IPv4 and IPv6). Fragments are kept as views on
 * the capture buffer; only a completed datagram is copied. Overlaps keep the bytes
 * that arrived first, so a retransmitted or malicious fragment cannot rewrite data.
 */
export class FragmentReassembler {
  private readonly pending = new Map<string, Datagram>();
  private bytes = 0;

  constructor(
    private readonly findings: Findings,
    private readonly label: string,
    private readonly limits: ReassemblyLimits = DEFAULT_LIMITS,
  ) {}

  /** Returns the datagram payload when this fragment completes it. */
  add(key: string, fragOff: number, more: boolean, data: Buffer, frame: number, time: number): Buffer | undefined {
    this.expire(frame, time);
    const endOff = fragOff + data.length;
    if (endOff > MAX_DATAGRAM) {
      this.findings.add(frame, 'error', `${this.label} fragment ends at ${endOff}, beyond the maximum datagram size; dropped`);
      return undefined;
    }
    let dg = this.pending.get(key);
    if (!dg) {
      dg = { parts: [], total: -1, bytes: 0, firstFrame: frame, firstTime: time };
      this.pending.set(key, dg);
      this.evict(frame);
    }
    if (!more) {
      if (dg.total >= 0 && dg.total !== endOff) {
        return this.abandon(key, dg, frame, `${this.label} fragments disagree on the datagram length (${dg.total} vs ${endOff})`);
      }
      dg.total = endOff;
    }
    if (dg.total >= 0 && endOff > dg.total) {
      return this.abandon(key, dg, frame, `${this.label} fragment extends beyond the last fragment`);
    }
    if (dg.parts.length >= MAX_PARTS) {
      return this.abandon(key, dg, frame, `${this.label} datagram in more than ${MAX_PARTS} fragments`);
    }
    if (data.length > 0) {
      dg.parts.push({ off: fragOff, data });
      dg.bytes += data.length;
      this.bytes += data.length;
    }
    if (dg.total < 0 || !covered(dg)) return undefined;

    this.pending.delete(key);
    this.bytes -= dg.bytes;
    return assemble(dg);
  }

  /** Reports datagrams still incomplete at the end of the capture. */
  finish(): void {
    for (const dg of this.pending.values()) {
      this.findings.add(dg.firstFrame, 'warning', `incomplete fragmented ${this.label} datagram at end of capture`);
    }
    this.pending.clear();
    this.bytes = 0;
  }

  private abandon(key: string, dg: Datagram, frame: number, why: string): undefined {
    this.findings.add(frame, 'error', `${why}; datagram dropped`);
    this.pending.delete(key);
    this.bytes -= dg.bytes;
    return undefined;
  }

  private expire(frame: number, time: number): void {
    for (const [key, dg] of this.pending) {
      if (time - dg.firstTime <= this.limits.timeout) break;
      this.findings.add(dg.firstFrame, 'warning', `fragmented ${this.label} datagram never completed (timed out at frame ${frame})`);
      this.pending.delete(key);
      this.bytes -= dg.bytes;
    }
  }

  private evict(frame: number): void {
    while (this.pending.size > this.limits.maxPending || this.bytes > this.limits.maxBytes) {
      const oldest = this.pending.entries().next();
      if (oldest.done) return;
      const [key, dg] = oldest.value;
      this.findings.add(dg.firstFrame, 'warning', `fragmented ${this.label} datagram dropped: too many pending at frame ${frame}`);
      this.pending.delete(key);
      this.bytes -= dg.bytes;
    }
  }
}

function covered(dg: Datagram): boolean {
  const sorted = dg.parts.slice().sort((a, b) => a.off - b.off);
  let reach = 0;
  for (const p of sorted) {
    if (p.off > reach) return false;
    reach = Math.max(reach, p.off + p.data.length);
  }
  return reach >= dg.total;
}

function assemble(dg: Datagram): Buffer {
  const out = Buffer.allocUnsafe(dg.total);
  // Latest first, so the earliest copy of any overlapped byte is written last and wins.
  for (let i = dg.parts.length - 1; i >= 0; i--) {
    const p = dg.parts[i];
    p.data.copy(out, p.off);
  }
  return out;
}
