import type { Findings } from './findings.js';

interface Fragment {
  /** TSN for DATA, FSN for I-DATA. */
  n: number;
  first: boolean;
  last: boolean;
  data: Buffer;
}

interface Pending {
  frags: Map<number, Fragment>;
  bytes: number;
}

/** Streams with fragments waiting at once; the oldest is dropped beyond this. */
const MAX_PENDING = 4096;
/** Fragments per stream: completion is checked by walking them, so their number must stay small. */
const MAX_FRAGMENTS = 1024;

/**
 * SCTP user-message reassembly (RFC 9260 §6.9, RFC 8260 for I-DATA): fragments of
 * one message carry consecutive numbers from a B-flagged to an E-flagged one.
 */
export class SctpReassembler {
  private readonly pending = new Map<string, Pending>();

  /** Returns the whole user message once this fragment completes it. */
  add(key: string, frag: Fragment, max: number, findings: Findings, frame: number): Buffer | undefined {
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= MAX_PENDING) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
        findings.once('sctp-evict', frame, 'warning', 'too many incomplete SCTP messages; oldest dropped');
      }
      p = { frags: new Map(), bytes: 0 };
      this.pending.set(key, p);
    }
    if (p.frags.has(frag.n)) return undefined; // retransmission
    if (p.bytes + frag.data.length > max || p.frags.size >= MAX_FRAGMENTS) {
      findings.add(frame, 'error', `SCTP message exceeds ${max} bytes or ${MAX_FRAGMENTS} fragments; dropped`);
      this.pending.delete(key);
      return undefined;
    }
    p.frags.set(frag.n, frag);
    p.bytes += frag.data.length;

    let lo = frag.n;
    while (!p.frags.get(lo)!.first) {
      lo = (lo - 1) >>> 0;
      if (!p.frags.has(lo)) return undefined;
    }
    let hi = frag.n;
    while (!p.frags.get(hi)!.last) {
      hi = (hi + 1) >>> 0;
      if (!p.frags.has(hi)) return undefined;
    }
    const parts: Buffer[] = [];
    let size = 0;
    for (let n = lo; ; n = (n + 1) >>> 0) {
      const f = p.frags.get(n)!;
      parts.push(f.data);
      size += f.data.length;
      p.frags.delete(n);
      if (n === hi) break;
    }
    p.bytes -= size;
    if (p.frags.size === 0) this.pending.delete(key);
    return Buffer.concat(parts, size);
  }

  finish(findings: Findings, frame: number): void {
    if (this.pending.size > 0) {
      findings.add(frame, 'warning', `${this.pending.size} SCTP stream(s) with an incomplete fragmented message at end of capture`);
    }
    this.pending.clear();
  }
}
