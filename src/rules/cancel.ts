/** CAN-*: CANCEL (RFC 3261 §9, §16.10). */
import type { Trace, TraceMessage, Transaction } from '../trace/trace.js';
import { finalResponse, late, legsFrom, listText, sameEndpoint, sameUri, sameUriList, traceEnd, wasForwarded } from './common.js';
import { callIdOf, cseqOf, findLastBefore, fromTagOf, memo, requestsOfCall, toTagOf } from './index-cache.js';
import { acrossCalls, finding, rule, type Finding, type Rule } from './types.js';

/** CANCEL transactions with the INVITE they cancel (matched by branch and sent-by). */
function pairs(trace: Trace): Array<{ cancel: TraceMessage; inv: Transaction; t: Transaction }> {
  const out: Array<{ cancel: TraceMessage; inv: Transaction; t: Transaction }> = [];
  for (const t of trace.transactions) if (t.method === 'CANCEL' && t.cancels) out.push({ cancel: t.request, inv: t.cancels, t });
  return out;
}

const can01 = rule('CAN-01', 'MUST', 'RFC 3261 §9.1', 'CANCEL has the INVITE\'s Request-URI, Call-ID, To, From and CSeq number', (trace) => {
  const out: Finding[] = [];
  for (const { cancel, inv } of pairs(trace)) {
    const c = cancel.message;
    const i = inv.request.message;
    const diffs: string[] = [];
    if (c.kind === 'request' && i.kind === 'request' && !sameUri(c.uri, i.uri)) diffs.push(`Request-URI ${c.uriText} (INVITE: ${i.uriText})`);
    if (c.callId !== i.callId) diffs.push(`Call-ID ${c.callId} (INVITE: ${i.callId})`);
    if (c.fromTag !== i.fromTag || !sameUri(c.from?.uri, i.from?.uri)) diffs.push(`From ${c.get('from')} (INVITE: ${i.get('from')})`);
    if (c.toTag !== i.toTag || !sameUri(c.to?.uri, i.to?.uri)) diffs.push(`To ${c.get('to')} (INVITE: ${i.get('to')})`);
    if (c.cseq?.seq !== i.cseq?.seq) diffs.push(`CSeq ${c.cseq?.seq} (INVITE: ${i.cseq?.seq})`);
    if (diffs.length) out.push(finding(can01, `CANCEL differs from the INVITE it cancels: ${diffs.join('; ')}`, cancel.index, inv.request.index));
  }
  return out;
});

const can02 = rule('CAN-02', 'MUST', 'RFC 3261 §9.1', 'CANCEL has one Via, the INVITE\'s top Via', (trace) => {
  const out: Finding[] = [];
  for (const { cancel, inv } of pairs(trace)) {
    const vc = cancel.message.vias;
    const vi = inv.request.message.vias;
    const stateless = vc.length === vi.length && vc.length > 1 && vc.every((v, k) => v.branch === vi[k].branch);
    if (!stateless && vc.length !== 1) out.push(finding(can02, `CANCEL has ${vc.length} Via values (${vc.map((v) => v.raw).join(' | ')}), expected only the INVITE's top Via`, cancel.index, inv.request.index));
  }
  // A CANCEL on another branch matches no INVITE at its server; look for the INVITE it meant.
  for (const t of trace.transactions) {
    if (t.method !== 'CANCEL' || t.cancels) continue;
    const c = t.request;
    const inv = findLastBefore(requestsOfCall(trace, 'INVITE', callIdOf(c)), c.index, (m) => m.index < c.index && m.method === 'INVITE' && !m.retransmission && sameEndpoint(m.src, c.src) && sameEndpoint(m.dst, c.dst)
      && callIdOf(m) === callIdOf(c) && cseqOf(m)?.seq === cseqOf(c)?.seq && fromTagOf(m) === fromTagOf(c));
    if (inv) out.push(finding(can02, `CANCEL has branch ${c.message.branch}, but the INVITE it cancels (CSeq ${cseqOf(inv)?.seq}) was sent with branch ${inv.message.branch}`, c.index, inv.index));
  }
  return out;
});

const can03 = rule('CAN-03', 'MUST', 'RFC 3261 §9.1', 'CANCEL has the INVITE\'s Route values', (trace) => {
  const out: Finding[] = [];
  for (const { cancel, inv } of pairs(trace)) {
    const a = cancel.message.routes;
    const b = inv.request.message.routes;
    if (!sameUriList(a, b)) out.push(finding(can03, `CANCEL Route is ${listText(a)}, the INVITE's is ${listText(b)}`, cancel.index, inv.request.index));
  }
  return out;
});

const can04 = rule('CAN-04', 'MUST', 'RFC 3261 §9.1', 'No CANCEL before a provisional response', (trace) => {
  const out: Finding[] = [];
  for (const { cancel, inv } of pairs(trace)) {
    // After a final response the CANCEL is a no-op that §9.1 only advises against (SHOULD NOT): a forking
    // proxy may cancel a branch whose 2xx crossed the CANCEL it decided on. The MUST NOT is for an INVITE
    // that has had no answer at all yet.
    const answered = inv.responses.some((r) => r.index < cancel.index);
    if (!answered) out.push(finding(can04, `CANCEL sent ${(cancel.time - inv.request.time).toFixed(2)} s after the INVITE, before any provisional response to it`, cancel.index, inv.request.index));
  }
  return out;
});

/** Transactions by branch and top Via host, in trace order. */
function byBranchAndHost(trace: Trace): Map<string, Transaction[]> {
  return memo(trace, 'can:byBranchAndHost', () => {
    const out = new Map<string, Transaction[]>();
    for (const x of trace.transactions) {
      const k = `${x.branch}\n${x.request.message.topVia?.host}`;
      const list = out.get(k);
      if (list) list.push(x);
      else out.set(k, [x]);
    }
    return out;
  });
}

const can05 = rule('CAN-05', 'SHOULD', 'RFC 3261 §9.1', 'CANCEL is only used for INVITE', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'CANCEL' || t.cancels) continue;
    const target = byBranchAndHost(trace).get(`${t.branch}\n${t.request.message.topVia?.host}`)?.find((x) => x !== t && x.branch === t.branch && x.method !== 'CANCEL' && x.method !== 'INVITE' && x.request.index < t.request.index
      && x.request.message.topVia?.host === t.request.message.topVia?.host);
    if (target) out.push(finding(can05, `CANCEL aimed at a ${target.method} (branch ${t.branch}); only INVITE is meant to be cancelled`, t.request.index, target.request.index));
  }
  return out;
});

const can06 = rule('CAN-06', 'MUST', 'RFC 3261 §9.2', 'CANCEL of a pending INVITE is answered 200 and the INVITE 487', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const { cancel, inv, t } of pairs(trace)) {
    const cf = finalResponse(t);
    const invFinBefore = inv.responses.find((r) => r.status! >= 200 && r.index < cancel.index);
    if (cf && cf.status !== 200 && !invFinBefore) {
      out.push(finding(can06, `CANCEL of a pending INVITE (no final response yet) was answered ${cf.label}, expected 200`, cf.index, cancel.index));
    }
    if (!cf || cf.status !== 200 || invFinBefore) continue;
    const invFin = finalResponse(inv);
    if (!invFin) {
      if (late(end - cf.time, 64 * ctx.t1, ctx)) out.push(finding(can06, `CANCEL was accepted (200) but the INVITE never got a final response (capture runs ${Math.round(end - cf.time)} s on)`, cf.index, inv.request.index));
    } else if (invFin.status !== 487 && invFin.status! >= 300) {
      out.push({ ...finding(can06, `INVITE cancelled while pending was answered ${invFin.label}, expected 487 Request Terminated`, invFin.index, cancel.index), level: 'SHOULD' });
    }
  }
  return out;
});

const can07 = rule('CAN-07', 'SHOULD', 'RFC 3261 §9.2', 'The 200 to CANCEL has the To tag of the INVITE\'s responses', (trace) => {
  const out: Finding[] = [];
  for (const { cancel, inv, t } of pairs(trace)) {
    if (wasForwarded(trace, inv)) continue; // a proxy answers CANCEL with its own tag
    const ok = t.responses.find((r) => r.status === 200);
    const tagged = inv.responses.find((r) => toTagOf(r) !== undefined && sameEndpoint(r.src, ok?.src ?? r.src));
    if (!ok || !tagged || toTagOf(ok) === toTagOf(tagged)) continue;
    out.push(finding(can07, `200 to CANCEL has To tag ${toTagOf(ok) ?? '(none)'}, the INVITE's ${tagged.label} used ${toTagOf(tagged)}`, ok.index, tagged.index, cancel.index));
  }
  return out;
});

const can08 = rule('CAN-08', 'MUST', 'RFC 3261 §16.10', 'A stateful proxy answers CANCEL itself and cancels every pending branch', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const { cancel, inv, t } of pairs(trace)) {
    const legs = legsFrom(trace, inv);
    if (!legs.length) continue;
    if (!t.responses.some((r) => r.status === 200) && late(end - cancel.time, 64 * ctx.t1, ctx)) {
      out.push(finding(can08, `proxy ${cancel.to} forwarded the INVITE but never answered its CANCEL with 200`, legs[0].out.request.index, cancel.index));
    }
    for (const leg of legs) {
      const pending = leg.out.responses.some((r) => r.status! < 200 && r.index < cancel.index) && !leg.out.responses.some((r) => r.status! >= 200 && r.index < cancel.index);
      if (!pending || leg.out.cancel) continue;
      // A final response racing the CANCEL downstream closes the branch without one.
      const fin = finalResponse(leg.out);
      if (fin && fin.time < cancel.time + 2 * ctx.t1) continue;
      if (end - cancel.time < 2 * ctx.t1) continue;
      out.push(finding(can08, `proxy ${cancel.to} got CANCEL but sent none on its pending branch to ${leg.out.server} (INVITE #${leg.out.request.index}, answered provisionally)`, leg.out.request.index, cancel.index));
    }
  }
  return out;
});

export const CANCEL_RULES: Rule[] = [can01, can02, can03, can04, acrossCalls(can05, 'a CANCEL is matched to any earlier request with its branch, whatever the call'), can06, can07, can08];
