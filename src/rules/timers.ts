/**
 * TMR-*: transaction timers and retransmissions (RFC 3261 §17, §13.3.1.4, §16.6). Intervals are scaled by
 * ctx.t1/t2/t4 and compared with ctx.tolerance and ctx.slack; retransmission timing only exists on UDP.
 * Copies are compared at one hop (one transaction), so a proxy's relaying does not blur them.
 */
import type { Trace, TraceMessage, Transaction } from '../trace/trace.js';
import { canonicalIp, finalResponse, isRequest, late, legsFrom, near, requestLegs, sameEndpoint, secs, traceEnd } from './common.js';
import { ackFor } from './dialog.js';
import { cseqOf, memo, toTagOf } from './index-cache.js';
import { acrossCalls, finding, rule, type Finding, type Rule, type RuleContext } from './types.js';

const udp = (t: Transaction) => t.request.transport === 'udp';

/** Request copies of a client transaction (same sender; the first copy and its retransmissions). */
function requestCopies(t: Transaction): TraceMessage[] {
  return t.requests.filter((m) => sameEndpoint(m.src, t.request.src));
}

/** First gap between copies that is not the expected one, as text. */
function badGap(copies: TraceMessage[], expected: (k: number, prev: TraceMessage) => number, ctx: RuleContext): { at: TraceMessage; gap: number; want: number } | undefined {
  for (let k = 1; k < copies.length; k++) {
    const gap = copies[k].time - copies[k - 1].time;
    const want = expected(k - 1, copies[k - 1]);
    if (!near(gap, want, ctx)) return { at: copies[k], gap, want };
  }
  return undefined;
}

function gapsText(copies: TraceMessage[]): string {
  const g: string[] = [];
  for (let k = 1; k < copies.length; k++) g.push((copies[k].time - copies[k - 1].time).toFixed(2));
  return g.join(', ');
}

const tmr01 = rule('TMR-01', 'MUST', 'RFC 3261 §17.1.1.2', 'INVITE retransmissions (Timer A) at T1, 2T1, 4T1 … until a response', (trace, ctx) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !udp(t)) continue;
    const first = t.responses[0];
    const copies = requestCopies(t);
    // A copy may cross the response in flight; one sent T1 after the response was seen is a real one.
    const after = first && copies.find((c) => c.time > first.time + ctx.t1);
    if (after) out.push(finding(tmr01, `INVITE retransmitted ${secs(after.time - first.time)} after ${first.label} was received`, after.index, first.index));
    const before = copies.filter((c) => !first || c.index < first.index);
    const bad = badGap(before, (k) => ctx.t1 * 2 ** k, ctx);
    if (bad) out.push(finding(tmr01, `INVITE retransmission after ${secs(bad.gap)}, expected ${secs(bad.want)} (gaps ${gapsText(before)} s; Timer A doubles from T1 = ${ctx.t1} s)`, bad.at.index, t.request.index));
  }
  return out;
});

const tmr02 = rule('TMR-02', 'MUST', 'RFC 3261 §17.1.1.2', 'No INVITE retransmission after Timer B (64·T1)', (trace, ctx) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !udp(t)) continue;
    const c = requestCopies(t).find((x) => late(x.time - t.request.time, 64 * ctx.t1, ctx));
    if (c) out.push(finding(tmr02, `INVITE retransmitted ${secs(c.time - t.request.time)} after the first send, past Timer B (64·T1 = ${secs(64 * ctx.t1)})`, c.index, t.request.index));
  }
  return out;
});

const tmr03 = rule('TMR-03', 'MUST', 'RFC 3261 §17.1.1.2, §17.1.2.2', 'No retransmissions over reliable transports', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (!m.retransmission || m.transport === 'udp') continue;
    // The 2xx to INVITE, its ACK and reliable provisionals are retransmitted end to end, on any transport.
    if (m.method === 'ACK') continue;
    const cm = cseqOf(m)?.method;
    if (!isRequest(m) && ((cm === 'INVITE' && m.status! >= 200 && m.status! < 300) || m.message.rseq !== undefined)) continue;
    // A UAS may send the same provisional again on its own (RFC 3261 §13.3.1.1: a 180 now and then; a B2BUA whose
    // forwarded leg rings again): over TCP that is the TU speaking, not a transaction's retransmission.
    if (!isRequest(m) && m.status! < 200) continue;
    out.push(finding(tmr03, `${m.label} repeated over ${m.transport.toUpperCase()}: a reliable transport is not retransmitted on`, m.index));
  }
  return out;
});

const tmr04 = rule('TMR-04', 'MUST', 'RFC 3261 §17.1.1.2 (Timer D)', 'Each retransmitted non-2xx final is ACKed again', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !udp(t)) continue;
    const fin = finalResponse(t);
    if (!fin || fin.status! < 300) continue;
    const copies = t.responses.filter((r) => r.status === fin.status && sameEndpoint(r.src, fin.src) && r.time - fin.time <= 64 * ctx.t1);
    const acks = t.acks;
    let ai = 0;
    for (const c of copies) {
      while (ai < acks.length && acks[ai].index < c.index) ai++;
      if (ai < acks.length) { ai++; continue; }
      if (end - c.time < 2 * ctx.t1) break;
      out.push(finding(tmr04, `${c.label}${c.retransmission ? ' (retransmission)' : ''} was not ACKed; the client answers every copy for Timer D (32 s on UDP)`, t.request.index, c.index));
      break;
    }
  }
  return out;
});

const tmr05 = rule('TMR-05', 'MUST', 'RFC 3261 §17.1.2.2', 'Non-INVITE retransmissions (Timer E) start at T1, double, cap at T2; every T2 after a provisional', (trace, ctx) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method === 'INVITE' || t.method === 'ACK' || !udp(t)) continue;
    const copies = requestCopies(t);
    if (copies.length < 2) continue;
    const fin = finalResponse(t);
    const after = fin && copies.find((c) => c.time > fin.time + ctx.t1);
    if (after) out.push(finding(tmr05, `${t.method} retransmitted ${secs(after.time - fin.time)} after its final ${fin.label} was received`, after.index, fin.index));
    const live = copies.filter((c) => !fin || c.index < fin.index);
    const bad = badGap(live, (k, prev) => {
      const prov = t.responses.some((r) => r.status! < 200 && r.index < prev.index);
      return prov ? ctx.t2 : Math.min(ctx.t1 * 2 ** k, ctx.t2);
    }, ctx);
    if (bad) out.push(finding(tmr05, `${t.method} retransmission after ${secs(bad.gap)}, expected ${secs(bad.want)} (gaps ${gapsText(live)} s; Timer E = T1 doubling to T2 = ${ctx.t2} s)`, bad.at.index, t.request.index));
  }
  return out;
});

const tmr06 = rule('TMR-06', 'MUST', 'RFC 3261 §17.1.2.2', 'No non-INVITE retransmission after Timer F (64·T1)', (trace, ctx) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method === 'INVITE' || t.method === 'ACK' || !udp(t)) continue;
    const c = requestCopies(t).find((x) => late(x.time - t.request.time, 64 * ctx.t1, ctx));
    if (c) out.push(finding(tmr06, `${t.method} retransmitted ${secs(c.time - t.request.time)} after the first send, past Timer F (64·T1 = ${secs(64 * ctx.t1)})`, c.index, t.request.index));
  }
  return out;
});

/** Request→first-response times of one direction between two addresses, as rttBetween needs them. */
interface Rtts {
  /** The first two transactions in trace order, with their times (a NaN there is sticky, as in a running minimum). */
  first: Array<{ t: Transaction; d: number }>;
  /** The smallest time and the smallest among the other transactions (first seen wins ties). */
  best?: { t: Transaction; d: number };
  second?: { t: Transaction; d: number };
}

function rtts(trace: Trace): Map<string, Rtts> {
  return memo(trace, 'tmr:rtts', () => {
    const out = new Map<string, Rtts>();
    for (const t of trace.transactions) {
      if (!t.responses.length) continue;
      const k = JSON.stringify([canonicalIp(t.request.src.ip), canonicalIp(t.request.dst.ip)]);
      let e = out.get(k);
      if (!e) { e = { first: [] }; out.set(k, e); }
      const r = t.responses[0];
      const last = t.requests.filter((x) => x.index < r.index).pop() ?? t.request;
      const d = r.time - last.time;
      if (e.first.length < 2) e.first.push({ t, d });
      if (Number.isNaN(d)) continue;
      if (!e.best || d < e.best.d) { e.second = e.best; e.best = { t, d }; }
      else if (!e.second || d < e.second.d) e.second = { t, d };
    }
    return out;
  });
}

/** Shortest request→first-response time between two addresses: a floor for the round trip. */
function rttBetween(trace: Trace, a: string, b: string, except: Transaction): number | undefined {
  // The running minimum over the other transactions: undefined if none, NaN if the first one's time is NaN
  // (nothing is below NaN), else the least of the times that are numbers.
  const e = rtts(trace).get(JSON.stringify([a, b]));
  if (!e) return undefined;
  const head = e.first[0].t === except ? e.first[1] : e.first[0];
  if (!head) return undefined;
  if (Number.isNaN(head.d)) return head.d;
  return (e.best!.t === except ? e.second : e.best)!.d;
}

const tmr07 = rule('TMR-07', 'MUST', 'RFC 3261 §17.2.1', 'An INVITE not answered within 200 ms gets 100 Trying', (trace, ctx) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !udp(t) || !t.responses.length) continue;
    const first = t.responses[0];
    const last = t.requests.filter((x) => x.index < first.index).pop() ?? t.request;
    const delay = first.time - last.time;
    // The capture may sit at the client: allow a round trip, measured on other transactions or taken as T1.
    const rtt = rttBetween(trace, canonicalIp(t.request.src.ip), canonicalIp(t.request.dst.ip), t) ?? ctx.t1;
    if (late(delay, 0.2, ctx) && delay > 0.2 * (1 + ctx.tolerance) + ctx.slack + rtt) {
      out.push(finding(tmr07, `first response to the INVITE (${first.label}) came ${secs(delay)} after it${t.requests.length > 1 ? ' (last copy)' : ''}; 100 Trying is due within 200 ms (round trip allowance ${secs(rtt)})`, first.index, last.index));
    }
  }
  return out;
});

const tmr08 = rule('TMR-08', 'MUST', 'RFC 3261 §17.2.1', 'A retransmitted INVITE gets the last provisional again, not a new one', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !udp(t)) continue;
    for (const c of t.requests) {
      if (!c.retransmission) continue;
      const before = t.responses.filter((r) => r.index < c.index);
      if (before.some((r) => r.status! >= 200)) break;
      const lastProv = before.filter((r) => r.status! > 100).pop();
      const next = t.responses.find((r) => r.index > c.index && sameEndpoint(r.src, c.dst));
      if (!lastProv || !next || next.status! >= 200) continue;
      if (next.status !== lastProv.status || toTagOf(next) !== toTagOf(lastProv)) {
        out.push(finding(tmr08, `after the INVITE retransmission the server sent ${next.label}${toTagOf(next) ? ` (tag ${toTagOf(next)})` : ''} instead of repeating ${lastProv.label}${toTagOf(lastProv) ? ` (tag ${toTagOf(lastProv)})` : ''}`, next.index, c.index, lastProv.index));
        break;
      }
    }
  }
  return out;
});

/** Copies of a final response sent by the server of t with the status of its first final. */
function finalCopies(t: Transaction, fin: TraceMessage): TraceMessage[] {
  return t.responses.filter((r) => r.status === fin.status && toTagOf(r) === toTagOf(fin) && sameEndpoint(r.src, fin.src));
}

const tmr09 = rule('TMR-09', 'MUST', 'RFC 3261 §17.2.1 (Timer G)', 'A non-2xx final to INVITE is retransmitted at T1 doubling to T2 until the ACK', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !udp(t)) continue;
    const fin = finalResponse(t);
    if (!fin || fin.status! < 300) continue;
    const copies = finalCopies(t, fin);
    const ack = t.acks[0];
    const due = fin.time + ctx.t1 * (1 + ctx.tolerance) + ctx.slack;
    if (copies.length === 1 && (!ack || ack.time > due) && end > due) {
      out.push(finding(tmr09, `${fin.label} to INVITE was not retransmitted although no ACK arrived within T1 (${secs(ctx.t1)})`, fin.index));
    }
    const afterAck = ack && copies.find((c) => c.time > ack.time + ctx.slack);
    if (afterAck) out.push(finding(tmr09, `${fin.label} retransmitted ${secs(afterAck.time - ack!.time)} after the ACK arrived`, afterAck.index, ack!.index));
    const live = copies.filter((c) => !ack || c.index < ack.index);
    const bad = badGap(live, (k) => Math.min(ctx.t1 * 2 ** k, ctx.t2), ctx);
    if (bad) out.push(finding(tmr09, `${fin.label} retransmitted after ${secs(bad.gap)}, expected ${secs(bad.want)} (gaps ${gapsText(live)} s; Timer G doubles from T1 to T2)`, bad.at.index, fin.index));
  }
  return out;
});

const tmr10 = rule('TMR-10', 'MUST', 'RFC 3261 §17.2.1 (Timer H)', 'No retransmission of a non-2xx final after 64·T1', (trace, ctx) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !udp(t)) continue;
    const fin = finalResponse(t);
    if (!fin || fin.status! < 300) continue;
    const c = finalCopies(t, fin).find((x) => late(x.time - fin.time, 64 * ctx.t1, ctx));
    if (c) out.push(finding(tmr10, `${fin.label} retransmitted ${secs(c.time - fin.time)} after the first, past Timer H (64·T1 = ${secs(64 * ctx.t1)})`, c.index, fin.index));
  }
  return out;
});

const tmr11 = rule('TMR-11', 'SHOULD', 'RFC 3261 §17.2.1 (Timer I)', 'ACKs are absorbed: no response to an ACK', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (m.message.kind === 'response' && cseqOf(m)?.method === 'ACK' && !m.retransmission) out.push(finding(tmr11, `${m.label} sent in response to an ACK; ACK is never answered`, m.index));
  }
  return out;
});

const tmr12 = rule('TMR-12', 'MUST', 'RFC 3261 §17.2.2', 'A retransmitted non-INVITE request gets the last response again', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method === 'INVITE' || t.method === 'ACK' || !udp(t)) continue;
    for (const c of t.requests) {
      if (!c.retransmission) continue;
      const lastFin = t.responses.filter((r) => r.index < c.index && r.status! >= 200).pop();
      if (!lastFin) continue;
      const next = t.responses.find((r) => r.index > c.index && sameEndpoint(r.src, c.dst));
      if (next && (next.status !== lastFin.status || toTagOf(next) !== toTagOf(lastFin))) {
        out.push(finding(tmr12, `retransmitted ${t.method} was answered ${next.label}, but the transaction had already answered ${lastFin.label}; the same response must be re-sent`, next.index, c.index, lastFin.index));
        break;
      }
    }
  }
  return out;
});

const tmr13 = rule('TMR-13', 'MUST', 'RFC 3261 §13.3.1.4', '2xx retransmissions start at T1, double, cap at T2, stop at the ACK or after 64·T1', (trace, ctx) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE') continue;
    const byTag = new Map<string, TraceMessage[]>();
    for (const r of t.responses) {
      if (r.status! < 200 || r.status! >= 300 || r.transport !== 'udp') continue;
      const k = `${r.src.ip}|${r.src.port}|${toTagOf(r)}`;
      byTag.set(k, [...(byTag.get(k) ?? []), r]);
    }
    for (const copies of byTag.values()) {
      const first = copies[0];
      const ack = ackFor(trace, first);
      const live = copies.filter((c) => !ack || c.time <= ack.time + ctx.slack);
      const bad = badGap(live, (k) => Math.min(ctx.t1 * 2 ** k, ctx.t2), ctx);
      if (bad) out.push(finding(tmr13, `${first.label} retransmitted after ${secs(bad.gap)}, expected ${secs(bad.want)} (gaps ${gapsText(live)} s; T1 doubling to T2 = ${ctx.t2} s)`, bad.at.index, first.index));
      const tooLate = live.find((c) => late(c.time - first.time, 64 * ctx.t1, ctx));
      if (tooLate) out.push(finding(tmr13, `${first.label} still retransmitted ${secs(tooLate.time - first.time)} after the first, past 64·T1 (${secs(64 * ctx.t1)})`, tooLate.index, first.index));
    }
  }
  return out;
});

const tmr14 = rule('TMR-14', 'MUST', 'RFC 3261 §16.6 item 11, §16.8', 'A proxy\'s Timer C exceeds 3 minutes', (trace, ctx) => {
  const out: Finding[] = [];
  for (const leg of requestLegs(trace)) {
    if (leg.in.method !== 'INVITE') continue;
    const cancel = leg.out.cancel?.request;
    const provs = leg.out.responses.filter((r) => r.status! > 100 && r.status! < 200);
    if (!cancel || !provs.length || leg.out.responses.some((r) => r.status! >= 200 && r.index < cancel.index)) continue;
    if (leg.in.cancel && leg.in.cancel.request.index < cancel.index) continue; // the caller cancelled
    // Another branch answering 2xx or 6xx also makes the proxy cancel.
    const siblings = legsFrom(trace, leg.in).filter((l) => l !== leg);
    if (siblings.some((l) => l.out.responses.some((r) => (r.status! < 300 && r.status! >= 200 || r.status! >= 600) && r.index < cancel.index))) continue;
    const lastProv = provs.filter((r) => r.index < cancel.index).pop();
    if (!lastProv) continue;
    const wait = cancel.time - lastProv.time;
    if (wait < 180 - ctx.slack) out.push(finding(tmr14, `proxy ${cancel.from} cancelled the branch ${secs(wait)} after its last provisional (${lastProv.label}) with no CANCEL from upstream; Timer C must exceed 3 minutes`, cancel.index, lastProv.index));
  }
  return out;
});

export const TIMER_RULES: Rule[] = [tmr01, tmr02, tmr03, tmr04, tmr05, tmr06, acrossCalls(tmr07, 'the round-trip allowance is measured on other transactions between the same two hosts'), tmr08, tmr09, tmr10, tmr11, tmr12, tmr13, tmr14];
