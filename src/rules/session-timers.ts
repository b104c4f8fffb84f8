/** SES-*: session timers (RFC 4028). */
import type { Trace, TraceMessage, Transaction } from '../trace/trace.js';
import { finalResponse, hasTag, isRequest, isResponse, legInto, requestKey, traceEnd } from './common.js';
import { callIdOf, cseqOf, findAfter, firstAfter, fromTagOf, memo, messagesOfCall, requestsOfCall, toTagOf } from './index-cache.js';
import { finding, rule, ruleOnce, type Finding, type Rule } from './types.js';

const REFRESH = new Set(['INVITE', 'UPDATE']);

const ses01 = ruleOnce('SES-01', 'MUST', 'RFC 4028 §4, §5', 'Session-Expires and Min-SE are at least 90 s', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (m.retransmission) continue;
    const se = m.message.sessionExpires?.seconds;
    const min = m.message.minSE;
    if (se !== undefined && se < 90) out.push(finding(ses01, `${m.label} has Session-Expires ${se}, below the 90 s minimum`, m.index));
    if (min !== undefined && min < 90) out.push(finding(ses01, `${m.label} has Min-SE ${min}, below the 90 s minimum`, m.index));
  }
  return out;
});

const ses02 = ruleOnce('SES-02', 'MUST', 'RFC 4028 §7.1', 'A request\'s Session-Expires is not below its Min-SE', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (!isRequest(m) || m.retransmission) continue;
    const se = m.message.sessionExpires?.seconds;
    const min = m.message.minSE;
    if (se !== undefined && min !== undefined && se < min) out.push(finding(ses02, `${m.method} has Session-Expires ${se} below its own Min-SE ${min}`, m.index));
  }
  return out;
});

const ses03 = rule('SES-03', 'MUST', 'RFC 4028 §6', '422 carries Min-SE', (trace) => {
  return trace.messages.filter((m) => m.status === 422 && !m.retransmission && m.message.minSE === undefined).map((m) => finding(ses03, `${m.label} has no Min-SE header`, m.index));
});

const ses04 = rule('SES-04', 'MUST', 'RFC 4028 §7.4', 'After 422 the retry has Session-Expires and Min-SE at least the received Min-SE', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    const r = t.responses.find((x) => x.status === 422 && !x.retransmission);
    const min = r?.message.minSE;
    if (!r || min === undefined) continue;
    const next = findAfter(requestsOfCall(trace, t.method, callIdOf(t.request)), r.index, (m) => m.index > r.index && isRequest(m) && !m.retransmission && m.method === t.method && m.transaction !== t
      && callIdOf(m) === callIdOf(t.request) && m.src.ip === t.request.src.ip);
    if (!next) continue;
    const se = next.message.sessionExpires?.seconds;
    const nmin = next.message.minSE;
    if (se !== undefined && se < min) out.push(finding(ses04, `${next.method} after 422 (Min-SE ${min}) asks Session-Expires ${se}`, next.index, r.index));
    if (nmin === undefined || nmin < min) out.push(finding(ses04, `${next.method} after 422 (Min-SE ${min}) has ${nmin === undefined ? 'no Min-SE' : `Min-SE ${nmin}`}; it must carry the largest Min-SE received`, next.index, r.index));
  }
  return out;
});

const ses05 = rule('SES-05', 'MUST', 'RFC 4028 §8', 'A proxy may lower Session-Expires (not below Min-SE) but never raise it', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (!isRequest(m) || m.retransmission || !m.transaction) continue;
    const leg = legInto(trace, m.transaction);
    if (!leg) continue;
    const a = leg.in.request.message.sessionExpires?.seconds;
    const b = m.message.sessionExpires?.seconds;
    if (a === undefined || b === undefined) continue;
    const floor = Math.max(90, leg.in.request.message.minSE ?? 90);
    if (b > a) out.push(finding(ses05, `proxy ${m.from} raised Session-Expires from ${a} to ${b}`, m.index, leg.in.request.index));
    else if (b < floor) out.push(finding(ses05, `proxy ${m.from} lowered Session-Expires to ${b}, below the request's Min-SE ${floor}`, m.index, leg.in.request.index));
  }
  return out;
});

/** First copies of 2xx to INVITE and UPDATE (shared by the rules: do not modify). */
function oks(trace: Trace): readonly TraceMessage[] {
  return memo(trace, 'ses:oks', () => trace.messages.filter((m) => isResponse(m) && !m.retransmission && m.status! >= 200 && m.status! < 300 && REFRESH.has(cseqOf(m)?.method ?? '') && m.transaction));
}

const ses06 = ruleOnce('SES-06', 'MUST', 'RFC 4028 §9', 'A 2xx with Session-Expires names the refresher', (trace) => {
  return oks(trace).filter((r) => r.message.sessionExpires && r.message.sessionExpires.refresher === undefined)
    .map((r) => finding(ses06, `${r.label} to ${cseqOf(r)?.method} has Session-Expires ${r.message.sessionExpires!.seconds} without refresher=uac|uas`, r.index));
});

const ses07 = ruleOnce('SES-07', 'MUST', 'RFC 4028 §9', 'refresher=uac in a 2xx comes with Require: timer', (trace) => {
  return oks(trace).filter((r) => r.message.sessionExpires?.refresher === 'uac' && !hasTag(r, 'require', 'timer'))
    .map((r) => finding(ses07, `${r.label} sets refresher=uac but has no Require: timer`, r.index));
});

const ses08 = ruleOnce('SES-08', 'MUST', 'RFC 4028 §9', 'The 2xx Session-Expires is not above the request\'s nor below its Min-SE', (trace) => {
  const out: Finding[] = [];
  for (const r of oks(trace)) {
    const req = r.transaction!.request;
    const got = r.message.sessionExpires?.seconds;
    if (got === undefined) continue;
    const asked = req.message.sessionExpires?.seconds;
    const min = req.message.minSE;
    if (asked !== undefined && got > asked) out.push(finding(ses08, `${r.label} has Session-Expires ${got}, above the ${asked} the ${req.method} asked`, r.index, req.index));
    if (min !== undefined && got < min) out.push(finding(ses08, `${r.label} has Session-Expires ${got}, below the request's Min-SE ${min}`, r.index, req.index));
  }
  return out;
});

const ses09 = ruleOnce('SES-09', 'MUST', 'RFC 4028 §9', 'No refresher=uac or Require: timer unless the UAC supports timer', (trace) => {
  const out: Finding[] = [];
  for (const r of oks(trace)) {
    const req = r.transaction!.request;
    if (hasTag(req, 'supported', 'timer') || hasTag(req, 'require', 'timer')) continue;
    const what = r.message.sessionExpires?.refresher === 'uac' ? 'refresher=uac' : hasTag(r, 'require', 'timer') ? 'Require: timer' : undefined;
    if (what) out.push(finding(ses09, `${r.label} sets ${what}, but the ${req.method} did not announce Supported: timer`, r.index, req.index));
  }
  return out;
});

interface Negotiated { ok: TraceMessage; t: Transaction; seconds: number; refresherIsUac: boolean }

/** Session intervals agreed per dialog, in order (each 2xx to INVITE/UPDATE with Session-Expires). */
function negotiated(trace: Trace): Map<string, Negotiated[]> {
  const out = new Map<string, Negotiated[]>();
  const seen = new Set<string>();
  for (const r of oks(trace)) {
    const se = r.message.sessionExpires;
    if (!se || !se.refresher || seen.has(requestKey(r))) continue;
    seen.add(requestKey(r));
    const k = `${callIdOf(r)}|${[fromTagOf(r), toTagOf(r)].sort().join('|')}`;
    const n: Negotiated = { ok: r, t: r.transaction!, seconds: se.seconds, refresherIsUac: se.refresher === 'uac' };
    const list = out.get(k);
    if (list) list.push(n);
    else out.set(k, [n]);
  }
  return out;
}

function byeAfter(trace: Trace, n: Negotiated): TraceMessage | undefined {
  return findAfter(requestsOfCall(trace, 'BYE', callIdOf(n.ok)), n.ok.index, (m) => m.method === 'BYE' && m.index > n.ok.index && callIdOf(m) === callIdOf(n.ok));
}

const ses10 = rule('SES-10', 'SHOULD', 'RFC 4028 §10', 'The refresher refreshes before the session expires', (trace) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const list of negotiated(trace).values()) {
    const last = list[list.length - 1];
    for (let i = 0; i < list.length - 1; i++) {
      const gap = list[i + 1].ok.time - list[i].ok.time;
      if (gap > list[i].seconds) out.push(finding(ses10, `session refreshed ${Math.round(gap)} s after ${list[i].ok.label}, past its Session-Expires of ${list[i].seconds} s`, list[i + 1].t.request.index, list[i].ok.index));
    }
    const bye = byeAfter(trace, last);
    const deadline = last.ok.time + last.seconds;
    if (!bye && end > deadline + 1) {
      const who = last.refresherIsUac ? `the ${last.t.method}'s sender (refresher=uac)` : `the ${last.t.method}'s answerer (refresher=uas)`;
      out.push(finding(ses10, `no refresh within Session-Expires ${last.seconds} s of ${last.ok.label}: ${who} should have refreshed (capture runs ${Math.round(end - last.ok.time)} s)`, last.refresherIsUac ? last.t.request.index : last.ok.index));
    }
  }
  return out;
});

const ses11 = rule('SES-11', 'SHOULD', 'RFC 4028 §10', 'Without a refresh the other side sends BYE before the session expires', (trace) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const list of negotiated(trace).values()) {
    const last = list[list.length - 1];
    const bye = byeAfter(trace, last);
    if (!bye && end > last.ok.time + last.seconds + 1) out.push(finding(ses11, `the session expired (${last.seconds} s after ${last.ok.label}) without refresh and the non-refresher sent no BYE`, last.refresherIsUac ? last.ok.index : last.t.request.index));
  }
  return out;
});

const ses12 = ruleOnce('SES-12', 'SHOULD', 'RFC 4028 §7.4, §9', 'Refreshes and their 2xx repeat Session-Expires', (trace) => {
  const out: Finding[] = [];
  for (const list of negotiated(trace).values()) {
    const first = list[0];
    const dlg = (m: TraceMessage) => callIdOf(m) === callIdOf(first.ok) && toTagOf(m) !== undefined;
    const call = messagesOfCall(trace, callIdOf(first.ok));
    for (let i = firstAfter(call, first.ok.index); i < call.length; i++) {
      const m = call[i];
      if (m.index <= first.ok.index || !isRequest(m) || m.retransmission || !REFRESH.has(m.method!) || !dlg(m) || !m.transaction) continue;
      const fin = finalResponse(m.transaction);
      if (!m.message.sessionExpires) out.push(finding(ses12, `${m.method} refreshing a session with timer (${first.seconds} s) has no Session-Expires`, m.index, first.ok.index));
      else if (fin && fin.status! < 300 && !fin.message.sessionExpires) out.push(finding(ses12, `${fin.label} to a session refresh has no Session-Expires`, fin.index, m.index));
    }
  }
  return out;
});

export const SESSION_TIMER_RULES: Rule[] = [ses01, ses02, ses03, ses04, ses05, ses06, ses07, ses08, ses09, ses10, ses11, ses12];
