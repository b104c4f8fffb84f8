/** REF-*: REFER (RFC 3515, RFC 4488) and RPL-*: Replaces (RFC 3891). */
import { parseHeaderParams } from '../sip/params.js';
import { unescape } from '../sip/uri.js';
import type { Dialog, Trace, TraceMessage } from '../trace/trace.js';
import { canonicalIp, finalResponse, isRequest, late, requestKey, traceEnd } from './common.js';
import { bucketed, callIdOf, cseqOf, findAfter, fromTagOf, groupBy, memo, requestsOfCall, toTagOf } from './index-cache.js';
import { acrossCalls, finding, rule, ruleOnce, type Finding, type Rule } from './types.js';

/** The first copy of each REFER, whatever the hop (shared by the rules: do not modify). */
function refers(trace: Trace): readonly TraceMessage[] {
  return memo(trace, 'ref:refers', () => {
    const seen = new Set<string>();
    return trace.messages.filter((m) => {
      if (m.method !== 'REFER' || !isRequest(m) || m.retransmission || seen.has(requestKey(m))) return false;
      seen.add(requestKey(m));
      return true;
    });
  });
}

/** NOTIFYs of refer subscriptions in the trace, and by Call-ID (shared: do not modify). */
function referNotifyIndex(trace: Trace): { all: TraceMessage[]; byCall: Map<string | undefined, TraceMessage[]> } {
  return memo(trace, 'ref:notifies', () => {
    const all = trace.messages.filter((m) => m.method === 'NOTIFY' && !m.retransmission && m.message.event?.package.toLowerCase() === 'refer');
    return { all, byCall: groupBy(all, (m) => callIdOf(m)) };
  });
}

function referNotifies(trace: Trace): readonly TraceMessage[] {
  return referNotifyIndex(trace).all;
}

function referNotifiesOfCall(trace: Trace, callId: string | undefined): readonly TraceMessage[] {
  return referNotifyIndex(trace).byCall.get(callId) ?? [];
}

/** NOTIFYs of the implicit subscription a REFER created: same Call-ID, from the REFER's recipient. */
function notifiesOf(trace: Trace, refer: TraceMessage): TraceMessage[] {
  return referNotifiesOfCall(trace, callIdOf(refer)).filter((n) => n.index > refer.index && callIdOf(n) === callIdOf(refer) && toTagOf(n) === fromTagOf(refer)
    && (n.message.event?.id === undefined || n.message.event.id === String(cseqOf(refer)?.seq)));
}

const refSub = (m: TraceMessage) => m.message.get('refer-sub')?.trim().toLowerCase();

const ref01 = rule('REF-01', 'MUST', 'RFC 3515 §2.4.1', 'A REFER carries exactly one Refer-To', (trace) => {
  const out: Finding[] = [];
  for (const m of refers(trace)) {
    const n = m.message.fieldsOf('refer-to').length;
    if (n === 1) continue;
    const fin = m.transaction && finalResponse(m.transaction);
    const tail = fin && fin.status! < 300 ? `, and it was accepted (${fin.label}) instead of rejected with 400` : '';
    out.push(finding(ref01, `REFER carries ${n} Refer-To headers${tail}`, m.index));
  }
  return out;
});

const ref02 = rule('REF-02', 'MUST', 'RFC 3515 §2.4.2', 'An accepted REFER is answered 2xx', (trace) => {
  const out: Finding[] = [];
  for (const m of refers(trace)) {
    const fin = m.transaction && finalResponse(m.transaction);
    if (!fin || fin.status! < 300) continue;
    const n = notifiesOf(trace, m)[0];
    if (n) out.push(finding(ref02, `REFER was answered ${fin.label} yet its recipient reports on the referral (NOTIFY #${n.index}); an accepted REFER gets 2xx`, fin.index, n.index));
  }
  return out;
});

const ref03 = ruleOnce('REF-03', 'MUST', 'RFC 3515 §2.4.4, §2.4.5', 'Refer NOTIFYs carry a message/sipfrag body starting with a status line', (trace) => {
  const out: Finding[] = [];
  for (const n of referNotifies(trace)) {
    const ct = n.message.contentType?.toLowerCase();
    if (ct !== 'message/sipfrag') out.push(finding(ref03, `NOTIFY (Event: refer) has Content-Type ${ct ?? '(none)'}, expected message/sipfrag`, n.index));
    else if (!/^SIP\/2\.0 \d{3} /.test(n.message.bodyText)) out.push(finding(ref03, `NOTIFY (Event: refer) sipfrag body starts "${n.message.bodyText.split(/\r?\n/)[0].slice(0, 40)}", not a SIP status line`, n.index));
  }
  return out;
});

const ref04 = rule('REF-04', 'MUST', 'RFC 3515 §2.4.4', 'A NOTIFY follows the REFER\'s 2xx promptly', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const m of refers(trace)) {
    const ok = m.transaction?.responses.find((r) => r.status! >= 200 && r.status! < 300);
    if (!ok || refSub(ok) === 'false') continue;
    const n = notifiesOf(trace, m)[0];
    const limit = 64 * ctx.t1;
    if (n ? n.time - ok.time > limit : late(end - ok.time, limit, ctx)) {
      out.push(finding(ref04, `REFER accepted (${ok.label}) but ${n ? `the first NOTIFY came ${Math.round(n.time - ok.time)} s later` : 'no NOTIFY followed'}; the initial NOTIFY is due right away`, ok.index, m.index));
    }
  }
  return out;
});

const ref05 = ruleOnce('REF-05', 'MUST', 'RFC 3515 §2.4.7, RFC 6665 §4.1.3', 'The NOTIFY with the final result terminates the subscription', (trace) => {
  const out: Finding[] = [];
  for (const n of referNotifies(trace)) {
    const code = /^SIP\/2\.0 (\d{3}) /.exec(n.message.bodyText)?.[1];
    const state = n.message.subscriptionState?.state;
    if (code && Number(code) >= 200 && state !== 'terminated') out.push(finding(ref05, `NOTIFY reports the final status ${code} but has Subscription-State ${state ?? '(none)'}, expected terminated`, n.index));
  }
  return out;
});

const ref06 = ruleOnce('REF-06', 'MUST', 'RFC 3515 §2.4.6', 'With several REFERs in a dialog, NOTIFYs carry id=<REFER CSeq>', (trace) => {
  const out: Finding[] = [];
  const byDialog = new Map<string, TraceMessage[]>();
  for (const m of refers(trace)) {
    if (toTagOf(m) === undefined) continue;
    const k = `${callIdOf(m)}|${fromTagOf(m)}`;
    const list = byDialog.get(k);
    if (list) list.push(m);
    else byDialog.set(k, [m]);
  }
  for (const list of byDialog.values()) {
    if (list.length < 2) continue;
    const ids = list.map((r) => String(cseqOf(r)?.seq));
    for (const n of referNotifiesOfCall(trace, callIdOf(list[0]))) {
      if (n.index < list[1].index || callIdOf(n) !== callIdOf(list[0]) || toTagOf(n) !== fromTagOf(list[0])) continue;
      const id = n.message.event?.id;
      if (id === undefined || !ids.includes(id)) out.push(finding(ref06, `NOTIFY has Event: refer${id === undefined ? ' without id' : `;id=${id}`} in a dialog with REFERs of CSeq ${ids.join(', ')}`, n.index, list[1].index));
    }
  }
  return out;
});

const ref07 = rule('REF-07', 'MUST', 'RFC 4488 §4', 'A REFER accepted with Refer-Sub: false creates no subscription', (trace) => {
  const out: Finding[] = [];
  for (const m of refers(trace)) {
    if (refSub(m) !== 'false') continue;
    const ok = m.transaction?.responses.find((r) => r.status! >= 200 && r.status! < 300);
    if (!ok || refSub(ok) !== 'false') continue;
    const n = notifiesOf(trace, m)[0];
    if (n) out.push(finding(ref07, `REFER accepted with Refer-Sub: false, yet NOTIFY (Event: refer) followed`, n.index, ok.index));
  }
  return out;
});

const ref08 = rule('REF-08', 'MUST', 'RFC 3261 §8.1.1.8, RFC 3515 §2.4', 'REFER carries a Contact', (trace) => {
  return refers(trace).filter((m) => !m.message.has('contact')).map((m) => finding(ref08, `REFER${toTagOf(m) ? '' : ' (outside a dialog)'} has no Contact`, m.index));
});

interface Replaces { callId: string; toTag?: string; fromTag?: string; earlyOnly: boolean }

function parseReplaces(v: string): Replaces {
  const semi = v.indexOf(';');
  const callId = (semi < 0 ? v : v.slice(0, semi)).trim();
  const p = semi < 0 ? undefined : parseHeaderParams(v.slice(semi + 1), 0, undefined, 'replaces');
  return { callId, toTag: p?.get('to-tag'), fromTag: p?.get('from-tag'), earlyOnly: p?.has('early-only') ?? false };
}

const ref09 = rule('REF-09', 'SHOULD', 'RFC 3515 §2.1, RFC 3891 §4', 'Refer-To ?Replaces= becomes the Replaces of the transferee\'s INVITE', (trace) => {
  const out: Finding[] = [];
  for (const m of refers(trace)) {
    const u = m.message.referTo?.uri;
    if (u?.kind !== 'sip') continue;
    const h = u.headers.find((x) => x.name.toLowerCase() === 'replaces');
    if (!h) continue;
    const want = parseReplaces(unescape(h.value));
    const invites = bucketed(trace, 'ref:invitesBySource', (x) => canonicalIp(x.src.ip), (x) => x.method === 'INVITE' && isRequest(x)).get(canonicalIp(m.dst.ip)) ?? [];
    const inv = findAfter(invites, m.index, (x) => x.index > m.index && x.method === 'INVITE' && !x.retransmission && toTagOf(x) === undefined
      && canonicalIp(x.src.ip) === canonicalIp(m.dst.ip) && x.message.kind === 'request' && x.message.uri?.kind === 'sip' && x.message.uri.user === u.user);
    if (!inv) continue;
    const got = inv.message.get('replaces');
    const g = got !== undefined ? parseReplaces(got) : undefined;
    if (!g || g.callId !== want.callId || g.toTag !== want.toTag || g.fromTag !== want.fromTag) {
      out.push(finding(ref09, `INVITE sent for the transfer has ${got === undefined ? 'no Replaces' : `Replaces ${got}`}, the Refer-To asked for ${unescape(h.value)}`, inv.index, m.index));
    }
  }
  return out;
});

function replacingInvites(trace: Trace): Array<{ m: TraceMessage; r: Replaces }> {
  const seen = new Set<string>();
  return trace.messages.filter((m) => m.method === 'INVITE' && !m.retransmission && m.message.has('replaces') && !seen.has(requestKey(m)) && seen.add(requestKey(m)))
    .map((m) => ({ m, r: parseReplaces(m.message.get('replaces')!) }));
}

const rpl01 = rule('RPL-01', 'MUST', 'RFC 3891 §6.1', 'Replaces is call-id;to-tag=…;from-tag=…', (trace) => {
  return replacingInvites(trace).filter(({ r }) => !r.callId || r.toTag === undefined || r.fromTag === undefined)
    .map(({ m, r }) => finding(rpl01, `Replaces "${m.message.get('replaces')}" lacks ${!r.callId ? 'the Call-ID' : r.toTag === undefined ? 'to-tag' : 'from-tag'}`, m.index));
});

const rpl02 = rule('RPL-02', 'MUST', 'RFC 3891 §3', 'An INVITE carries at most one Replaces', (trace) => {
  const out: Finding[] = [];
  for (const { m } of replacingInvites(trace)) {
    const n = m.message.fieldsOf('replaces').length;
    if (n < 2) continue;
    const fin = m.transaction && finalResponse(m.transaction);
    out.push(finding(rpl02, `INVITE carries ${n} Replaces headers${fin && fin.status !== 400 ? ` and was answered ${fin.label} instead of 400` : ''}`, m.index));
  }
  return out;
});

/** Dialogs of the trace under a Call-ID with both tags (either orientation). */
function replacedDialog(trace: Trace, r: Replaces) {
  const byCall = memo(trace, 'rpl:dialogsByCall', () => {
    const out = new Map<string, Dialog[]>();
    for (const d of trace.dialogs) {
      const list = out.get(d.callId);
      if (list) list.push(d);
      else out.set(d.callId, [d]);
    }
    return out;
  });
  return byCall.get(r.callId)?.find((d) => d.callId === r.callId && ((d.callerTag === r.fromTag && d.calleeTag === r.toTag) || (d.callerTag === r.toTag && d.calleeTag === r.fromTag)));
}

const rpl03 = rule('RPL-03', 'MUST', 'RFC 3891 §3', 'A Replaces matching no dialog is answered 481', (trace) => {
  const out: Finding[] = [];
  for (const { m, r } of replacingInvites(trace)) {
    const fin = m.transaction && finalResponse(m.transaction);
    if (!fin || fin.status! >= 300 || replacedDialog(trace, r)) continue;
    // Only when the replaced call began inside the capture can "no such dialog" be known.
    const began = requestsOfCall(trace, 'INVITE', r.callId).some((x) => x.index < m.index && callIdOf(x) === r.callId && x.method === 'INVITE' && toTagOf(x) === undefined);
    if (began) out.push(finding(rpl03, `INVITE with Replaces ${m.message.get('replaces')} matches no dialog of that call, yet was answered ${fin.label} instead of 481`, fin.index, m.index));
  }
  return out;
});

const rpl04 = rule('RPL-04', 'MUST', 'RFC 3891 §3', 'Replaces of an early dialog the recipient did not start ⇒ 481; early-only on a confirmed dialog ⇒ 486', (trace) => {
  const out: Finding[] = [];
  for (const { m, r } of replacingInvites(trace)) {
    const fin = m.transaction && finalResponse(m.transaction);
    const d = replacedDialog(trace, r);
    if (!fin || fin.status! >= 300 || !d) continue;
    const confirmed = d.confirmedAt !== undefined && d.confirmedAt <= m.time;
    const initiator = d.messages.find((x) => x.method === d.method && toTagOf(x) === undefined && x.message.vias.length === 1);
    if (confirmed && r.earlyOnly) out.push(finding(rpl04, `INVITE with Replaces;early-only names a confirmed dialog and was answered ${fin.label} instead of 486`, fin.index, m.index));
    else if (!confirmed && initiator && canonicalIp(initiator.src.ip) !== canonicalIp(m.dst.ip)) out.push(finding(rpl04, `INVITE with Replaces names an early dialog its recipient did not initiate and was answered ${fin.label} instead of 481`, fin.index, m.index));
  }
  return out;
});

const rpl05 = rule('RPL-05', 'MUST', 'RFC 3891 §3', 'After accepting the replacement the recipient ends the replaced dialog', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const { m, r } of replacingInvites(trace)) {
    const ok = m.transaction?.responses.find((x) => x.status! >= 200 && x.status! < 300);
    const d = replacedDialog(trace, r);
    if (!ok || !d || d.state === 'terminated' && !d.messages.some((x) => x.index > ok.index) || !late(end - ok.time, 64 * ctx.t1, ctx)) continue;
    const ended = d.messages.some((x) => x.index > ok.index && (x.method === 'BYE' || x.method === 'CANCEL' || x.status === 487));
    const endedBefore = d.messages.some((x) => x.index < ok.index && x.method === 'BYE');
    if (!ended && !endedBefore) out.push(finding(rpl05, `the replacing INVITE was accepted (${ok.label}) but the replaced dialog ${r.callId} was not ended with BYE/CANCEL`, ok.index, m.index));
  }
  return out;
});

export const REFER_RULES: Rule[] = [ref01, ref02, ref03, ref04, ref05, ref06, ref07, ref08, acrossCalls(ref09, 'the transferee\'s INVITE opens a new call'), rpl01, rpl02, rpl03, rpl04, rpl05];
