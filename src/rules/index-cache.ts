/**
 * Per-trace indexes shared by the rules, built once per trace and kept in a WeakMap so a 200,000-message
 * capture is read in linear time rather than by scanning every message for every message.
 *
 * The lookups are coarse on purpose: a bucket holds every message a rule's own predicate could accept (and
 * perhaps others), in wire order, and the rule still applies its predicate. A rule therefore picks the same
 * message it would by scanning the whole trace, only sooner.
 */
import type { CSeq } from '../sip/headers/cseq.js';
import type { Trace, TraceMessage } from '../trace/trace.js';

const memos = new WeakMap<Trace, Map<string, unknown>>();

/** The value `build` gives for this trace, computed once per trace and `name`. */
export function memo<T>(trace: Trace, name: string, build: () => T): T {
  let m = memos.get(trace);
  if (!m) {
    m = new Map();
    memos.set(trace, m);
  }
  if (m.has(name)) return m.get(name) as T;
  const v = build();
  m.set(name, v);
  return v;
}

/** Messages grouped by a key, each group in wire order; messages the filter rejects are left out. */
export function groupBy<K>(items: Iterable<TraceMessage>, key: (m: TraceMessage) => K, filter?: (m: TraceMessage) => boolean): Map<K, TraceMessage[]> {
  const out = new Map<K, TraceMessage[]>();
  for (const m of items) {
    if (filter && !filter(m)) continue;
    const k = key(m);
    const list = out.get(k);
    if (list) list.push(m);
    else out.set(k, [m]);
  }
  return out;
}

/** A memoized groupBy over the trace's messages; `name` must identify the key and filter. */
export function bucketed<K>(trace: Trace, name: string, key: (m: TraceMessage) => K, filter?: (m: TraceMessage) => boolean): Map<K, TraceMessage[]> {
  return memo(trace, `bucket:${name}`, () => groupBy(trace.messages, key, filter));
}

const NONE: readonly TraceMessage[] = Object.freeze([]);

/** Every message of a Call-ID (undefined for messages without one), in wire order. */
export function messagesOfCall(trace: Trace, callId: string | undefined): readonly TraceMessage[] {
  return bucketed(trace, 'callId', (m) => m.message.callId).get(callId) ?? NONE;
}

/** Position of the first message of a wire-ordered list whose index is above `index`. */
export function firstAfter(list: readonly TraceMessage[], index: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].index <= index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first message of a wire-ordered list after `index` that passes the predicate. */
export function findAfter(list: readonly TraceMessage[], index: number, pred: (m: TraceMessage) => boolean): TraceMessage | undefined {
  for (let i = firstAfter(list, index); i < list.length; i++) if (pred(list[i])) return list[i];
  return undefined;
}

/** The last message of a wire-ordered list before `index` that passes the predicate. */
export function findLastBefore(list: readonly TraceMessage[], index: number, pred: (m: TraceMessage) => boolean): TraceMessage | undefined {
  for (let i = firstAfter(list, index - 1) - 1; i >= 0; i--) if (pred(list[i])) return list[i];
  return undefined;
}

/** The messages of a wire-ordered list before `index`. */
export function before(list: readonly TraceMessage[], index: number): readonly TraceMessage[] {
  return list.slice(0, firstAfter(list, index - 1));
}

/** Requests of one method (every copy) under a Call-ID, in wire order. */
export function requestsOfCall(trace: Trace, method: string, callId: string | undefined): readonly TraceMessage[] {
  return bucketed(trace, `method:${method}`, (m) => m.message.callId, (m) => m.message.kind === 'request' && m.method === method).get(callId) ?? NONE;
}

// The values nearly every rule reads. The message keeps them once read (SipMessage's plain fields), so these
// are plain reads; they stay as the rules' vocabulary.

/** m.message.callId */
export function callIdOf(m: TraceMessage): string | undefined {
  return m.message.callId;
}

/** m.message.fromTag */
export function fromTagOf(m: TraceMessage): string | undefined {
  return m.message.fromTag;
}

/** m.message.toTag */
export function toTagOf(m: TraceMessage): string | undefined {
  return m.message.toTag;
}

/** m.message.cseq */
export function cseqOf(m: TraceMessage): CSeq | undefined {
  return m.message.cseq;
}
