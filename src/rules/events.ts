/** EVT-*: SUBSCRIBE / NOTIFY (RFC 6665). */
import type { Trace, TraceMessage } from '../trace/trace.js';
import { finalResponse, isRequest, isResponse, late, requestKey, traceEnd } from './common.js';
import { callIdOf, cseqOf, findAfter, fromTagOf, groupBy, memo, requestsOfCall, toTagOf } from './index-cache.js';
import { finding, rule, ruleOnce, type Finding, type Rule } from './types.js';

/** The first copy of each request of a method, whatever the hop (shared by the rules: do not modify). */
function firstCopies(trace: Trace, method: string): readonly TraceMessage[] {
  return memo(trace, `evt:firstCopies:${method}`, () => {
    const seen = new Set<string>();
    return trace.messages.filter((m) => {
      if (m.method !== method || !isRequest(m) || m.retransmission || seen.has(requestKey(m))) return false;
      seen.add(requestKey(m));
      return true;
    });
  });
}

/** Subscriptions a subscriber holds: Call-ID + its tag → the (package, id) pairs it asked for. */
interface Sub { callId: string; tag: string; pkg: string; id?: string; at: TraceMessage }

function subscriptions(trace: Trace): Sub[] {
  const out: Sub[] = [];
  for (const m of firstCopies(trace, 'SUBSCRIBE')) {
    const e = m.message.event;
    if (e && fromTagOf(m)) out.push({ callId: callIdOf(m)!, tag: fromTagOf(m)!, pkg: e.package.toLowerCase(), id: e.id, at: m });
  }
  for (const m of firstCopies(trace, 'REFER')) {
    if (fromTagOf(m)) out.push({ callId: callIdOf(m)!, tag: fromTagOf(m)!, pkg: 'refer', id: String(cseqOf(m)?.seq), at: m });
  }
  return out;
}

/** Subscriptions by Call-ID and subscriber tag, each group in the order of `subs`. */
function subsIndex(subs: Sub[]): Map<string, Sub[]> {
  const out = new Map<string, Sub[]>();
  for (const s of subs) {
    const k = `${s.callId}\n${s.tag}`;
    const list = out.get(k);
    if (list) list.push(s);
    else out.set(k, [s]);
  }
  return out;
}

/** The subscriptions a NOTIFY can belong to: its dialog's, made before it. */
function subsFor(subs: Map<string, Sub[]>, n: TraceMessage): Sub[] {
  return (subs.get(`${callIdOf(n)}\n${toTagOf(n)}`) ?? []).filter((s) => s.callId === callIdOf(n) && s.tag === toTagOf(n) && s.at.index < n.index);
}

/** A SUBSCRIBE or REFER of the Call-ID strictly between the two indexes (a new subscription). */
function resubscribed(trace: Trace, callId: string | undefined, after: number, beforeIndex: number): boolean {
  const within = (x: TraceMessage) => x.index > after && x.index < beforeIndex;
  return findAfter(requestsOfCall(trace, 'SUBSCRIBE', callId), after, within) !== undefined || findAfter(requestsOfCall(trace, 'REFER', callId), after, within) !== undefined;
}

function notifyMatches(s: Sub, n: TraceMessage): boolean {
  const e = n.message.event;
  if (!e || e.package.toLowerCase() !== s.pkg) return false;
  // A single REFER's NOTIFYs may leave the id out (RFC 3515 §2.4.6).
  return s.pkg === 'refer' ? e.id === undefined || e.id === s.id : (e.id ?? '') === (s.id ?? '');
}

const evt01 = rule('EVT-01', 'MUST', 'RFC 6665 §8.2.1', 'SUBSCRIBE carries exactly one Event header naming one package', (trace) => {
  const out: Finding[] = [];
  for (const m of firstCopies(trace, 'SUBSCRIBE')) {
    const n = m.message.fieldsOf('event').length;
    if (n !== 1) out.push(finding(evt01, `SUBSCRIBE carries ${n} Event headers, expected one`, m.index));
    else if (!m.message.event) out.push(finding(evt01, `SUBSCRIBE Event "${m.message.get('event')}" does not name one event package`, m.index));
  }
  return out;
});

const evt02 = rule('EVT-02', 'SHOULD', 'RFC 6665 §4.1.2.1', 'SUBSCRIBE carries Expires', (trace) => {
  return firstCopies(trace, 'SUBSCRIBE').filter((m) => !m.message.has('expires')).map((m) => finding(evt02, `SUBSCRIBE (Event: ${m.message.get('event') ?? '?'}) has no Expires`, m.index));
});

const evt03 = ruleOnce('EVT-03', 'MUST', 'RFC 6665 §4.2.1.1', 'A 2xx to SUBSCRIBE carries Expires, not above the requested one', (trace) => {
  const out: Finding[] = [];
  for (const r of trace.messages) {
    if (!isResponse(r) || r.retransmission || r.status! < 200 || r.status! >= 300 || cseqOf(r)?.method !== 'SUBSCRIBE') continue;
    const asked = r.transaction?.request.message.expires;
    const got = r.message.expires;
    if (got === undefined) out.push(finding(evt03, `${r.label} to SUBSCRIBE has no Expires`, r.index));
    else if (asked !== undefined && got > asked) out.push(finding(evt03, `${r.label} to SUBSCRIBE grants Expires ${got}, more than the ${asked} requested`, r.index, r.transaction!.request.index));
  }
  return out;
});

const evt04 = rule('EVT-04', 'MUST', 'RFC 6665 §4.2.1.2', 'An accepted or refreshed subscription is followed by a NOTIFY', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const m of firstCopies(trace, 'SUBSCRIBE')) {
    const ok = m.transaction?.responses.find((r) => r.status! >= 200 && r.status! < 300);
    if (!ok || !late(end - ok.time, 64 * ctx.t1, ctx)) continue;
    const pkg = m.message.event?.package.toLowerCase();
    const n = findAfter(requestsOfCall(trace, 'NOTIFY', callIdOf(m)), m.index, (x) => x.method === 'NOTIFY' && x.index > m.index && x.time <= ok.time + 64 * ctx.t1 && callIdOf(x) === callIdOf(m)
      && toTagOf(x) === fromTagOf(m) && x.message.event?.package.toLowerCase() === pkg);
    if (!n) out.push(finding(evt04, `SUBSCRIBE (Event: ${pkg}) was accepted (${ok.label}) but no NOTIFY followed`, ok.index, m.index));
  }
  return out;
});

const evt05 = rule('EVT-05', 'MUST', 'RFC 6665 §8.2.3, §4.1.3', 'Every NOTIFY carries Subscription-State', (trace) => {
  const out: Finding[] = [];
  for (const n of firstCopies(trace, 'NOTIFY')) {
    const s = n.message.subscriptionState;
    if (!n.message.has('subscription-state')) out.push(finding(evt05, `NOTIFY (Event: ${n.message.get('event') ?? '?'}) has no Subscription-State`, n.index));
    else if (!s || !['active', 'pending', 'terminated'].includes(s.state)) out.push(finding(evt05, `NOTIFY Subscription-State "${n.message.get('subscription-state')}" is not active, pending or terminated`, n.index));
  }
  return out;
});

const evt06 = rule('EVT-06', 'MUST', 'RFC 6665 §8.2.1', 'NOTIFY\'s Event equals the subscription\'s package and id', (trace) => {
  const out: Finding[] = [];
  const subs = subsIndex(subscriptions(trace));
  for (const n of firstCopies(trace, 'NOTIFY')) {
    const mine = subsFor(subs, n);
    if (!mine.length || mine.some((s) => notifyMatches(s, n))) continue;
    out.push(finding(evt06, `NOTIFY has Event: ${n.message.get('event') ?? '(none)'}, but the subscription(s) of this dialog are for ${mine.map((s) => s.pkg + (s.id && s.pkg !== 'refer' ? `;id=${s.id}` : '')).join(', ')}`, n.index, mine[0].at.index));
  }
  return out;
});

const evt07 = rule('EVT-07', 'MUST', 'RFC 6665 §4.1.2.3, §4.2.1.4', 'SUBSCRIBE with Expires: 0 gets a final NOTIFY with terminated', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const m of firstCopies(trace, 'SUBSCRIBE')) {
    if (m.message.expires !== 0) continue;
    const ok = m.transaction?.responses.find((r) => r.status! >= 200 && r.status! < 300);
    if (!ok) continue;
    const pkg = m.message.event?.package.toLowerCase();
    const n = findAfter(requestsOfCall(trace, 'NOTIFY', callIdOf(m)), m.index, (x) => x.method === 'NOTIFY' && !x.retransmission && x.index > m.index && callIdOf(x) === callIdOf(m) && toTagOf(x) === fromTagOf(m) && x.message.event?.package.toLowerCase() === pkg);
    if (n && n.message.subscriptionState?.state !== 'terminated') out.push(finding(evt07, `NOTIFY after an unsubscribe (Expires: 0) has Subscription-State ${n.message.subscriptionState?.state ?? '(none)'}, expected terminated`, n.index, m.index));
    else if (!n && late(end - ok.time, 64 * ctx.t1, ctx)) out.push(finding(evt07, `unsubscribe (Expires: 0) was accepted (${ok.label}) but no final NOTIFY followed`, ok.index, m.index));
  }
  return out;
});

const evt08 = rule('EVT-08', 'MUST', 'RFC 6665 §4.1.3', 'No NOTIFY after the one with terminated', (trace) => {
  const out: Finding[] = [];
  const notifies = firstCopies(trace, 'NOTIFY');
  const byCall = groupBy(notifies, (x) => callIdOf(x));
  for (const t of notifies) {
    if (t.message.subscriptionState?.state !== 'terminated') continue;
    const e = t.message.event;
    const same = (x: TraceMessage) => callIdOf(x) === callIdOf(t) && fromTagOf(x) === fromTagOf(t) && toTagOf(x) === toTagOf(t)
      && x.message.event?.package.toLowerCase() === e?.package.toLowerCase() && (x.message.event?.id ?? '') === (e?.id ?? '');
    const later = findAfter(byCall.get(callIdOf(t)) ?? [], t.index, (x) => x.index > t.index && same(x));
    if (!later) continue;
    const resub = resubscribed(trace, callIdOf(t), t.index, later.index);
    if (!resub) out.push(finding(evt08, `NOTIFY (CSeq ${cseqOf(later)?.seq}) sent after the subscription was terminated by NOTIFY CSeq ${cseqOf(t)?.seq}`, later.index, t.index));
  }
  return out;
});

const evt09 = rule('EVT-09', 'MUST', 'RFC 6665 §8.3.2', '489 Bad Event includes Allow-Events', (trace) => {
  return trace.messages.filter((m) => m.status === 489 && !m.retransmission && !m.message.has('allow-events')).map((m) => finding(evt09, `${m.label} has no Allow-Events`, m.index));
});

const evt10 = rule('EVT-10', 'MUST', 'RFC 6665 §4.1.2.4', 'A NOTIFY matching no subscription gets 481; after a 481 no more NOTIFYs', (trace) => {
  const out: Finding[] = [];
  const subs = subsIndex(subscriptions(trace));
  const notifies = firstCopies(trace, 'NOTIFY');
  const byCall = groupBy(notifies, (x) => callIdOf(x));
  for (const n of notifies) {
    const fin = n.transaction && finalResponse(n.transaction);
    if (!fin) continue;
    const mine = subsFor(subs, n);
    if (mine.length && !mine.some((s) => notifyMatches(s, n)) && fin.status! < 300) out.push(finding(evt10, `NOTIFY (Event: ${n.message.get('event') ?? '?'}) matches no subscription of the dialog, yet was answered ${fin.label} instead of 481`, fin.index, n.index));
    if (fin.status === 481) {
      const later = findAfter(byCall.get(callIdOf(n)) ?? [], fin.index, (x) => x.index > fin.index && callIdOf(x) === callIdOf(n) && fromTagOf(x) === fromTagOf(n) && x.message.event?.package === n.message.event?.package);
      const resub = later && resubscribed(trace, callIdOf(n), fin.index, later.index);
      if (later && !resub) out.push(finding(evt10, `NOTIFY sent again after the subscriber answered 481, which terminated the subscription`, later.index, fin.index));
    }
  }
  return out;
});

const evt11 = ruleOnce('EVT-11', 'SHOULD', 'RFC 6665 §8.3.1', 'SUBSCRIBE is answered 200, not 202', (trace) => {
  return trace.messages.filter((m) => m.status === 202 && !m.retransmission && cseqOf(m)?.method === 'SUBSCRIBE').map((m) => finding(evt11, `${m.label} to SUBSCRIBE; RFC 6665 deprecates 202 for SUBSCRIBE, use 200`, m.index));
});

const evt12 = ruleOnce('EVT-12', 'MUST', 'RFC 6665 §4.1.2.1, §8.2; RFC 3261 §12.1.1', 'SUBSCRIBE, its 2xx and NOTIFY carry Contact', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (m.retransmission || m.message.has('contact')) continue;
    if (m.method === 'SUBSCRIBE' || m.method === 'NOTIFY') {
      if (isRequest(m)) out.push(finding(evt12, `${m.method} (CSeq ${cseqOf(m)?.seq}, Event: ${m.message.get('event') ?? '?'}) has no Contact`, m.index));
    } else if (isResponse(m) && m.status! >= 200 && m.status! < 300 && cseqOf(m)?.method === 'SUBSCRIBE') {
      out.push(finding(evt12, `${m.label} to SUBSCRIBE (CSeq ${cseqOf(m)?.seq}) has no Contact`, m.index));
    }
  }
  return out;
});

export const EVENT_RULES: Rule[] = [evt01, evt02, evt03, evt04, evt05, evt06, evt07, evt08, evt09, evt10, evt11, evt12];
