/**
 * What several rule modules need to read a trace the way the catalogue's "how to check" column does:
 * hops, proxy legs, endpoints, timer arithmetic. A capture shows a request once per hop, each hop being its
 * own transaction, so most of this is about telling hops apart and pairing them.
 */
import type { Endpoint } from '../capture/types.js';
import type { Via } from '../sip/headers/via.js';
import type { NameAddr } from '../sip/name-addr.js';
import { uriEquals, type Uri } from '../sip/uri.js';
import type { Trace, TraceMessage, Transaction } from '../trace/trace.js';
import { finalResponse } from '../trace/transactions.js';
import { callIdOf, cseqOf, memo, toTagOf } from './index-cache.js';
import type { Finding, RuleContext } from './types.js';

export { finalResponse };

export const COOKIE = 'z9hG4bK';

export function isRequest(m: TraceMessage): boolean {
  return m.message.kind === 'request';
}

export function isResponse(m: TraceMessage): boolean {
  return m.message.kind === 'response';
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && canonicalIp(a.ip) === canonicalIp(b.ip);
}

export function epText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Both messages travel between the same two endpoints (either direction): the same hop. */
export function sameHop(a: TraceMessage, b: TraceMessage): boolean {
  return (sameEndpoint(a.src, b.src) && sameEndpoint(a.dst, b.dst)) || (sameEndpoint(a.src, b.dst) && sameEndpoint(a.dst, b.src));
}

const canonicalCache = new Map<string, string>();

/** Lower-case, IPv6 compressed the RFC 5952 way (URL does that), brackets removed. */
export function canonicalIp(ip: string): string {
  let c = canonicalCache.get(ip);
  if (c === undefined) {
    // Rules compare addresses pairwise all the time; a capture has few distinct ones.
    if (canonicalCache.size >= 100_000) canonicalCache.clear();
    c = canonicalize(ip);
    canonicalCache.set(ip, c);
  }
  return c;
}

function canonicalize(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '').toLowerCase();
  if (!bare.includes(':')) return bare;
  try {
    return new URL(`http://[${bare}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return bare;
  }
}

export function isIpLiteral(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || (h.includes(':') && /^[0-9a-f:.]+$/i.test(h));
}

/** The same Via value for matching purposes: branch, sent-by and transport (received/rport may be added). */
export function viaSame(a: Via | undefined, b: Via | undefined): boolean {
  if (!a || !b) return false;
  return a.branch === b.branch && a.host.toLowerCase() === b.host.toLowerCase() && (a.port ?? 5060) === (b.port ?? 5060) && a.transport === b.transport;
}

export function viaText(v: Via): string {
  return v.raw;
}

export function viaSentBy(v: Via): string {
  const h = v.host.includes(':') ? `[${v.host}]` : v.host;
  return v.port !== undefined ? `${h}:${v.port}` : h;
}

export function uriText(u: Uri | undefined, fallback = '?'): string {
  return u ? u.raw : fallback;
}

export function sameUri(a: Uri | undefined, b: Uri | undefined): boolean {
  if (!a || !b) return a === b;
  return uriEquals(a, b);
}

export function sameUriList(a: NameAddr[], b: NameAddr[]): boolean {
  return a.length === b.length && a.every((x, i) => sameUri(x.uri, b[i].uri));
}

export function listText(l: NameAddr[]): string {
  return l.length ? l.map((r) => `<${r.uriText}>`).join(', ') : '(none)';
}

export function cseqText(m: TraceMessage): string {
  const c = cseqOf(m);
  return c ? `${c.seq} ${c.method}` : '?';
}

export function lr(n: NameAddr): boolean {
  return n.uri?.kind === 'sip' && n.uri.params.has('lr');
}

/** Option tags of Require and Supported (either says the sender knows the extension). */
export function hasTag(m: TraceMessage, header: 'require' | 'supported' | 'proxy-require', tag: string): boolean {
  try {
    return m.message.optionTags(header).includes(tag);
  } catch {
    return false;
  }
}

// ---- time --------------------------------------------------------------------------------------

/** |actual - expected| within the context's relative tolerance plus slack. */
export function near(actual: number, expected: number, ctx: RuleContext): boolean {
  return Math.abs(actual - expected) <= expected * ctx.tolerance + ctx.slack;
}

export function late(actual: number, limit: number, ctx: RuleContext): boolean {
  return actual > limit * (1 + ctx.tolerance) + ctx.slack;
}

export function secs(x: number): string {
  return `${x.toFixed(x < 10 ? 2 : 1)} s`;
}

/**
 * Timestamps good enough for timer rules: no step back of more than a second and no gap of more than a day
 * between consecutive messages (some published captures carry rewritten or random times).
 */
export function timesTrusted(part: Trace): boolean {
  const trace = part.whole;
  return memo(trace, 'timesTrusted', () => {
    const ms = trace.messages;
    for (let i = 1; i < ms.length; i++) {
      const d = ms[i].time - ms[i - 1].time;
      if (d < -1 || d > 86400) return false;
    }
    return true;
  });
}

/** The time of the capture's last message (of the whole trace when given a part). */
export function traceEnd(part: Trace): number {
  const ms = part.whole.messages;
  return ms.length ? ms[ms.length - 1].time : 0;
}

// ---- hops and proxy legs -------------------------------------------------------------------------

export interface Leg {
  /** The transaction on the upstream side of the proxy (request arriving at it). */
  in: Transaction;
  /** The transaction the proxy created by forwarding it. */
  out: Transaction;
}

const legCache = new WeakMap<Trace, Leg[]>();

/**
 * Proxy legs: a forwarded request has one more Via than the request the proxy received, its second Via being
 * that request's top Via, with the same Call-ID, CSeq and method. B2BUAs start a new Via stack and so are not
 * legs (their two sides are separate transactions with nothing to compare).
 */
export function requestLegs(trace: Trace): Leg[] {
  const cached = legCache.get(trace);
  if (cached) return cached;
  const byTop = new Map<string, Transaction[]>();
  const key = (t: Transaction, v: Via) => `${callIdOf(t.request)}|${cseqOf(t.request)?.seq}|${t.method}|${v.branch}|${v.host.toLowerCase()}|${v.port ?? 5060}`;
  for (const t of trace.transactions) {
    const top = t.request.message.topVia;
    if (!top || !cseqOf(t.request)) continue;
    const k = key(t, top);
    const list = byTop.get(k) ?? [];
    list.push(t);
    byTop.set(k, list);
  }
  const out: Leg[] = [];
  for (const t of trace.transactions) {
    const vias = t.request.message.vias;
    if (vias.length < 2 || !cseqOf(t.request)) continue;
    const cands = byTop.get(key(t, vias[1])) ?? [];
    const inT = cands.filter((c) => c !== t && c.request.index < t.request.index && c.request.message.vias.length === vias.length - 1).pop();
    if (inT) out.push({ in: inT, out: t });
  }
  legCache.set(trace, out);
  return out;
}

/**
 * The whole trace's legs put together from its parts', so rules reading across calls do not pair every
 * transaction of a large capture again. A leg never leaves its call (the key above holds the Call-ID), and so
 * never its part; requestLegs lists legs in the order of their out-transaction, which is that of its request.
 */
export function legsOfParts(whole: Trace): { add(part: Trace): void; done(): void } {
  const lists: Leg[][] = [];
  let complete = true;
  return {
    add(part) {
      const legs = legCache.get(part);
      if (legs) lists.push(legs);
      else complete = false;
    },
    done() {
      if (complete && !legCache.has(whole)) legCache.set(whole, lists.flat().sort((a, b) => a.out.request.index - b.out.request.index));
    },
  };
}

interface LegIndex {
  /** Legs by in-transaction, in the order of requestLegs. */
  from: Map<Transaction, Leg[]>;
  /** The first leg by out-transaction. */
  into: Map<Transaction, Leg>;
}

function legIndex(trace: Trace): LegIndex {
  return memo(trace, 'legIndex', () => {
    const from = new Map<Transaction, Leg[]>();
    const into = new Map<Transaction, Leg>();
    for (const l of requestLegs(trace)) {
      const list = from.get(l.in);
      if (list) list.push(l);
      else from.set(l.in, [l]);
      if (!into.has(l.out)) into.set(l.out, l);
    }
    return { from, into };
  });
}

const NO_LEGS: readonly Leg[] = Object.freeze([]);

/** Legs whose in-transaction is `t`, in the order of requestLegs (shared: do not modify). */
export function legsFrom(trace: Trace, t: Transaction): readonly Leg[] {
  return legIndex(trace).from.get(t) ?? NO_LEGS;
}

export function legInto(trace: Trace, t: Transaction): Leg | undefined {
  return legIndex(trace).into.get(t);
}

/** The element that received `t`'s request passed it on (so it is not the UAS of that request). */
export function wasForwarded(trace: Trace, t: Transaction): boolean {
  return legIndex(trace).from.has(t);
}

export interface ResponseLeg {
  /** Response the proxy received from downstream. */
  in: TraceMessage;
  /** The copy it sent upstream. */
  out: TraceMessage;
  leg: Leg;
}

const responseLegCache = new WeakMap<Trace, { pairs: ResponseLeg[]; unmatched: Array<{ in: TraceMessage; leg: Leg }> }>();

/**
 * Responses relayed by proxies, paired in order by status (a To tag match preferred, so a rewritten tag still
 * pairs and can be reported). 100 Trying is hop-by-hop and never paired.
 */
export function responseLegs(trace: Trace): { pairs: ResponseLeg[]; unmatched: Array<{ in: TraceMessage; leg: Leg }> } {
  const cached = responseLegCache.get(trace);
  if (cached) return cached;
  const pairs: ResponseLeg[] = [];
  const unmatched: Array<{ in: TraceMessage; leg: Leg }> = [];
  const used = new Set<TraceMessage>();
  const downs = requestLegs(trace).flatMap((leg) => leg.out.responses.filter((r) => r.status !== 100).map((down) => ({ down, leg })));
  const candidates = (x: { down: TraceMessage; leg: Leg }) => x.leg.in.responses.filter((u) => u.status !== 100 && !used.has(u) && u.status === x.down.status && u.index > x.down.index);
  // Copies with the same To tag first, across every branch: a forking proxy relays one of its branches' 487s,
  // and the branch looked at first must not take the relayed copy of another branch's on status alone.
  const picked = new Map<TraceMessage, TraceMessage>();
  for (const x of downs) {
    const same = candidates(x).find((u) => toTagOf(u) === toTagOf(x.down));
    if (same) {
      used.add(same);
      picked.set(x.down, same);
    }
  }
  for (const x of downs) {
    const pick = picked.get(x.down) ?? candidates(x)[0];
    if (pick) {
      used.add(pick);
      pairs.push({ in: x.down, out: pick, leg: x.leg });
    } else unmatched.push({ in: x.down, leg: x.leg });
  }
  const r = { pairs, unmatched };
  responseLegCache.set(trace, r);
  return r;
}

/** The request at the UAC: its only Via is the UAC's own. */
export function fromOriginator(m: TraceMessage): boolean {
  return m.message.kind === 'request' && m.message.vias.length === 1;
}

/** Copies of the same request at other hops share Call-ID, CSeq and method: one key for all of them. */
export function requestKey(m: TraceMessage): string {
  const c = cseqOf(m);
  return `${callIdOf(m)}|${c?.seq}|${c?.method ?? m.method}`;
}

/** Expiry a REGISTER asks for a Contact: its expires parameter, else the Expires header. */
export function contactExpiry(m: TraceMessage, c: NameAddr): number | undefined {
  const p = c.params.get('expires');
  if (p !== undefined && /^\d+$/.test(p)) return Number(p);
  return m.message.expires;
}

export function statusText(m: TraceMessage): string {
  return m.label.replace(/ \(SDP\)$/, '');
}
