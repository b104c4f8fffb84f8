/** DLG-*: dialogs, INVITE, ACK, BYE and re-INVITE (RFC 3261 §12 to §15). */
import type { Endpoint } from '../capture/types.js';
import type { NameAddr } from '../sip/name-addr.js';
import type { Uri } from '../sip/uri.js';
import type { Dialog, Trace, TraceMessage, Transaction } from '../trace/trace.js';
import {
  canonicalIp, finalResponse, isRequest, isResponse, late, listText, lr, requestKey, sameEndpoint, sameUri,
  sameUriList, secs, traceEnd, uriText, wasForwarded,
} from './common.js';
import { before, callIdOf, cseqOf, findAfter, fromTagOf, memo, requestsOfCall, toTagOf } from './index-cache.js';
import { finding, rule, ruleOnce, type Finding, type Rule, type RuleContext } from './types.js';

// ---- where the two UAs of a dialog sit ---------------------------------------------------------

/** The caller's own hop: the copy of the dialog-creating request that has only the caller's Via. */
export function callerHop(d: Dialog): TraceMessage | undefined {
  return d.messages.find((m) => isRequest(m) && m.method === d.method && toTagOf(m) === undefined && m.message.vias.length === 1);
}

/** An endpoint is the UA named in a Contact when the Contact's host and port are that endpoint's. */
export function contactIs(m: TraceMessage, ep: Endpoint): boolean {
  const u = m.message.contacts[0]?.uri;
  if (u?.kind !== 'sip') return false;
  const port = u.port ?? (u.scheme === 'sips' ? 5061 : 5060);
  return canonicalIp(u.host) === canonicalIp(ep.ip) && port === ep.port;
}

/** The callee's own hop: a response of the dialog sent from the address its Contact names. */
export function calleeEndpoint(d: Dialog): Endpoint | undefined {
  const r = d.messages.find((m) => isResponse(m) && toTagOf(m) === d.calleeTag && cseqOf(m)?.method === d.method && m.status! > 100 && m.status! < 300 && contactIs(m, m.src));
  return r?.src;
}

function isCreating(d: Dialog, m: TraceMessage): boolean {
  return cseqOf(m)?.method === d.method && m.transaction !== undefined && toTagOf(m.transaction.request) === undefined;
}

/** ACK of a non-2xx: part of the INVITE transaction, not an in-dialog request. */
function isAckOfFailure(m: TraceMessage): boolean {
  return m.method === 'ACK' && m.transaction?.method === 'INVITE';
}

interface Side {
  ep: Endpoint;
  tag: string;
  peerTag: string;
  caller: boolean;
}

function sides(d: Dialog): Side[] {
  const out: Side[] = [];
  const c = callerHop(d);
  if (c) out.push({ ep: c.src, tag: d.callerTag, peerTag: d.calleeTag, caller: true });
  const e = calleeEndpoint(d);
  if (e) out.push({ ep: e, tag: d.calleeTag, peerTag: d.callerTag, caller: false });
  return out;
}

/** Route set and remote target a UA holds (RFC 3261 §12.1, §12.2.1.2, §13.2.2.4), as of the messages seen so far. */
interface HeldState { routeSet?: NameAddr[]; target?: NameAddr; targetFrom?: TraceMessage; routeFrom?: TraceMessage; confirmed: boolean }

/** The state after message x of the dialog (messages are taken in wire order). */
function learn(d: Dialog, side: Side, st: HeldState, x: TraceMessage): void {
  const msg = x.message;
  const toMe = sameEndpoint(x.dst, side.ep);
  if (side.caller) {
    if (isResponse(x) && toMe && isCreating(d, x) && msg.toTag === side.peerTag && x.status! > 100 && x.status! < 300) {
      const ok = x.status! >= 200;
      if (!st.confirmed && (ok || st.routeSet === undefined)) { st.routeSet = [...msg.recordRoutes].reverse(); st.routeFrom = x; }
      if (ok) st.confirmed = true;
    }
  } else if (isRequest(x) && toMe && isCreating(d, x) && st.routeSet === undefined) {
    st.routeSet = [...msg.recordRoutes];
    st.routeFrom = x;
  }
  // Remote target: the peer's Contact from the creating exchange and from later target refreshes.
  if (!toMe) return;
  const c = msg.contacts[0];
  if (!c) return;
  const refresh = isRequest(x) ? ['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER'].includes(x.method!) : ['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER'].includes(msg.cseq?.method ?? '') && x.status! < 300 && x.status! > 100;
  const peers = isRequest(x) ? msg.fromTag === side.peerTag : msg.toTag === side.peerTag;
  if (refresh && peers) { st.target = c; st.targetFrom = x; }
}

/** In-dialog requests a UA sent from its own hop, with the state it held (from the dialog's earlier messages). */
function* sentBy(d: Dialog, side: Side): Generator<Sent> {
  const st: HeldState = { confirmed: false };
  // d.messages is in wire order, so the state before m is what its predecessors in the list taught.
  for (const m of d.messages) {
    if (isRequest(m) && !m.retransmission && sameEndpoint(m.src, side.ep) && fromTagOf(m) === side.tag && toTagOf(m) === side.peerTag
      && !(m.method === 'CANCEL' || m.method === 'PRACK' || isAckOfFailure(m))) {
      yield { m, routeSet: st.routeSet, target: st.target, targetFrom: st.targetFrom, routeFrom: st.routeFrom };
    }
    learn(d, side, st, m);
  }
}

type Sent = { m: TraceMessage; routeSet?: NameAddr[]; target?: NameAddr; targetFrom?: TraceMessage; routeFrom?: TraceMessage };

/** sentBy for every side of every dialog, in dialog order (shared by DLG-03 and DLG-04: do not modify). */
function sentBySides(trace: Trace): ReadonlyArray<{ side: Side; sent: readonly Sent[] }> {
  return memo(trace, 'dlg:sentBySides', () => {
    const out: Array<{ side: Side; sent: Sent[] }> = [];
    for (const d of trace.dialogs) for (const side of sides(d)) out.push({ side, sent: [...sentBy(d, side)] });
    return out;
  });
}

/** An IPv6 address written without [ ] leaves host and port ambiguous (SYN-11 reports it). */
function malformedHost(u: Uri | undefined): boolean {
  if (u?.kind !== 'sip') return false;
  const hostPart = u.raw.replace(/^sips?:/i, '').replace(/^[^@]*@/, '').split(/[;?>]/)[0];
  return !hostPart.startsWith('[') && (hostPart.match(/:/g)?.length ?? 0) > 1;
}

// ---- rules ---------------------------------------------------------------------------------------

const dlg01 = rule('DLG-01', 'MUST', 'RFC 3261 §12.1.1', 'A dialog-creating response contains a Contact', (trace) => {
  const out: Finding[] = [];
  for (const r of trace.messages) {
    if (!isResponse(r) || r.retransmission || r.status! <= 100 || r.status! >= 300 || toTagOf(r) === undefined) continue;
    const method = cseqOf(r)?.method;
    // SUBSCRIBE is EVT-12's.
    if (method !== 'INVITE' && method !== 'REFER') continue;
    if (r.transaction?.request.message.toTag !== undefined) continue;
    if (!r.message.has('contact')) out.push(finding(dlg01, `${r.label} to ${method} creates a dialog (To tag ${toTagOf(r)}) but has no Contact`, r.index));
  }
  return out;
});

const dlg02 = rule('DLG-02', 'MUST', 'RFC 3261 §12.1.1', 'The dialog-creating response copies the request\'s Record-Route', (trace) => {
  const out: Finding[] = [];
  for (const r of trace.messages) {
    if (!isResponse(r) || r.retransmission || r.status! <= 100 || r.status! >= 300 || toTagOf(r) === undefined) continue;
    const req = r.transaction?.request;
    if (!req || !['INVITE', 'SUBSCRIBE', 'REFER'].includes(req.method!) || toTagOf(req) !== undefined) continue;
    const rr = req.message.recordRoutes;
    const got = r.message.recordRoutes;
    // Proxies further downstream add their own entries on top, so the request's list is a suffix.
    const tail = got.slice(got.length - rr.length);
    if (got.length < rr.length || !sameUriList(tail, rr)) {
      out.push(finding(dlg02, `${r.label} has Record-Route ${listText(got)}, but the ${req.method} carried ${listText(rr)}, which it must copy in order`, r.index, req.index));
    }
  }
  return out;
});

const dlg03 = ruleOnce('DLG-03', 'MUST', 'RFC 3261 §12.2.1.1, §12.1.2', 'In-dialog requests use the route set', (trace) => {
  const out: Finding[] = [];
  for (const { side, sent } of sentBySides(trace)) {
    for (const { m, routeSet, routeFrom } of sent) {
      if (!routeSet || !routeFrom || routeSet.some((r) => !lr(r))) continue; // strict routing reorders the Request-URI
      const got = m.message.routes;
      if (!sameUriList(got, routeSet)) {
        const how = side.caller ? `the Record-Route of ${routeFrom.label} reversed` : `the Record-Route of the ${routeFrom.method}`;
        out.push(finding(dlg03, `${m.method} from the ${side.caller ? 'caller' : 'callee'} has Route ${listText(got)}, expected ${listText(routeSet)} (${how})`, m.index, routeFrom.index));
      }
    }
  }
  return out;
});

const dlg04 = ruleOnce('DLG-04', 'MUST', 'RFC 3261 §12.2.1.1', 'In-dialog requests are sent to the remote target', (trace) => {
  const out: Finding[] = [];
  for (const { sent } of sentBySides(trace)) {
    for (const { m, routeSet, target, targetFrom } of sent) {
      if (!target || !targetFrom || (routeSet && routeSet.length && !lr(routeSet[0]))) continue;
      const uri = m.message.kind === 'request' ? m.message.uri : undefined;
      if (malformedHost(uri) || malformedHost(target.uri)) continue; // SYN-11 reports unbracketed IPv6
      if (!sameUri(uri, target.uri)) {
        out.push(finding(dlg04, `${m.method} Request-URI is ${uriText(uri, m.message.kind === 'request' ? m.message.uriText : '?')}, but the remote target is <${target.uriText}> (Contact of ${targetFrom.label})`, m.index, targetFrom.index));
      }
    }
  }
  return out;
});

const dlg05 = rule('DLG-05', 'MUST', 'RFC 3261 §12.2.1.1', 'In-dialog requests put the local tag in From and the remote tag in To', (trace) => {
  const out: Finding[] = [];
  for (const d of trace.dialogs) {
    const c = callerHop(d);
    if (!c) continue;
    for (const m of d.messages) {
      if (!isRequest(m) || m.retransmission || toTagOf(m) === undefined || isAckOfFailure(m) || m.method === 'CANCEL') continue;
      // At the caller's hop the direction of a request tells who sent it.
      const fromCaller = sameEndpoint(m.src, c.src);
      const toCaller = sameEndpoint(m.dst, c.src);
      if (!fromCaller && !toCaller) continue;
      // The caller's tag is the one it sent (a response with a mangled From tag must not redefine it).
      const callerTag = fromTagOf(c) ?? d.callerTag;
      const wantFrom = fromCaller ? callerTag : d.calleeTag;
      const wantTo = fromCaller ? d.calleeTag : callerTag;
      if (fromTagOf(m) !== wantFrom || toTagOf(m) !== wantTo) {
        out.push(finding(dlg05, `${m.method} sent by the ${fromCaller ? 'caller' : 'callee'} has From tag ${fromTagOf(m)} and To tag ${toTagOf(m)}, expected From tag ${wantFrom} and To tag ${wantTo}`, m.index));
      }
    }
  }
  return out;
});

const dlg06 = ruleOnce('DLG-06', 'MUST', 'RFC 3261 §12.2.1.1', 'In-dialog CSeq grows by one per new request in each direction', (trace) => {
  const out: Finding[] = [];
  for (const d of trace.dialogs) {
    const last = new Map<string, TraceMessage>();
    const seen = new Set<string>();
    for (const m of d.messages) {
      if (!isRequest(m) || m.retransmission || m.method === 'ACK' || m.method === 'CANCEL') continue;
      const k = requestKey(m);
      if (seen.has(k)) continue; // the same request at another hop
      seen.add(k);
      const dir = fromTagOf(m) ?? '';
      const seq = cseqOf(m)?.seq;
      if (seq === undefined) continue;
      const prev = last.get(dir);
      last.set(dir, m);
      if (!prev) continue;
      const p = cseqOf(prev)!.seq;
      if (seq <= p) out.push(finding(dlg06, `${m.method} has CSeq ${seq} after ${prev.method} with CSeq ${p} from the same side of the dialog; it must be ${p + 1}`, m.index, prev.index));
      // A gap may be a request the capture missed, or a counter shared by forked early dialogs.
      else if (seq !== p + 1) out.push({ ...finding(dlg06, `${m.method} has CSeq ${seq} after ${prev.method} with CSeq ${p} from the same side of the dialog; expected ${p + 1}`, m.index, prev.index), level: 'SHOULD' });
    }
  }
  return out;
});

/** The INVITEs a sender issued under a Call-ID. */
function invitesFrom(trace: Trace, ack: TraceMessage): TraceMessage[] {
  return before(requestsOfCall(trace, 'INVITE', callIdOf(ack)), ack.index)
    .filter((x) => x.index < ack.index && isRequest(x) && x.method === 'INVITE' && !x.retransmission && callIdOf(x) === callIdOf(ack) && sameEndpoint(x.src, ack.src));
}

const dlg07 = rule('DLG-07', 'MUST', 'RFC 3261 §13.2.2.4', 'The ACK of a 2xx has the INVITE\'s CSeq number and a new branch', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (m.method !== 'ACK' || m.retransmission || m.transaction?.method !== 'ACK') continue;
    const invites = invitesFrom(trace, m);
    if (!invites.length) continue;
    const seq = cseqOf(m)?.seq;
    const same = invites.filter((i) => cseqOf(i)?.seq === seq);
    if (!same.length) {
      const lastInv = invites[invites.length - 1];
      out.push(finding(dlg07, `ACK has CSeq ${seq} ACK, but the INVITE it acknowledges has CSeq ${cseqOf(lastInv)?.seq}`, m.index, lastInv.index));
      continue;
    }
    const inv = same[same.length - 1];
    const fin = inv.transaction && finalResponse(inv.transaction);
    if (fin && fin.status! >= 300) continue; // then it is the ACK of a failure: DLG-08
    if (inv.message.branch !== undefined && inv.message.branch === m.message.branch) {
      out.push(finding(dlg07, `ACK of the 2xx reuses the INVITE's branch ${m.message.branch}; it is a new transaction and needs a new branch`, m.index, inv.index));
    }
  }
  return out;
});

const dlg08 = rule('DLG-08', 'MUST', 'RFC 3261 §17.1.1.3', 'The ACK of a non-2xx final copies the INVITE and the response\'s To', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !t.acks.length) continue;
    const inv = t.request;
    const fin = finalResponse(t);
    if (!fin) continue;
    for (const ack of t.acks) {
      if (ack.retransmission) continue;
      const a = ack.message;
      const i = inv.message;
      const diffs: string[] = [];
      if (a.kind === 'request' && i.kind === 'request' && !sameUri(a.uri, i.uri)) diffs.push(`Request-URI ${a.uriText} (INVITE: ${i.uriText})`);
      if (a.callId !== i.callId) diffs.push(`Call-ID ${a.callId} (INVITE: ${i.callId})`);
      if (a.fromTag !== i.fromTag || !sameUri(a.from?.uri, i.from?.uri)) diffs.push(`From ${a.get('from')} (INVITE: ${i.get('from')})`);
      if (a.cseq?.seq !== i.cseq?.seq) diffs.push(`CSeq ${a.cseq?.seq} (INVITE: ${i.cseq?.seq})`);
      if (a.toTag !== toTagOf(fin) || !sameUri(a.to?.uri, fin.message.to?.uri)) diffs.push(`To ${a.get('to')} (${fin.label}: ${fin.message.get('to')})`);
      // A stateless relay passes the whole Via stack; otherwise the ACK has just the INVITE's top Via.
      const stateless = a.vias.length === i.vias.length && a.vias.length > 1;
      if (!stateless && (a.vias.length !== 1 || a.vias[0].branch !== i.vias[0]?.branch)) diffs.push(`${a.vias.length} Via value(s) ${a.vias.map((v) => v.raw).join(' | ')} (INVITE top Via: ${i.vias[0]?.raw})`);
      if (!sameUriList(a.routes, i.routes)) diffs.push(`Route ${listText(a.routes)} (INVITE: ${listText(i.routes)})`);
      if (diffs.length) out.push(finding(dlg08, `ACK of ${fin.label} differs: ${diffs.join('; ')}`, ack.index, inv.index, fin.index));
    }
  }
  return out;
});

const dlg09 = rule('DLG-09', 'MUST', 'RFC 3261 §13.2.2.4', 'The UAC ACKs every 2xx it receives, retransmissions and forks included', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || t.request.message.vias.length !== 1) continue;
    const uac = t.request.src;
    const oks = t.responses.filter((r) => r.status! >= 200 && r.status! < 300 && sameEndpoint(r.dst, uac));
    const byTag = new Map<string, TraceMessage[]>();
    for (const r of oks) byTag.set(toTagOf(r) ?? '', [...(byTag.get(toTagOf(r) ?? '') ?? []), r]);
    for (const [tag, copies] of byTag) {
      // The ACK goes to the first Record-Route hop or the Contact; only when that is the element the 2xx came
      // from can the capture be expected to show it (a Contact of 127.0.0.1 sends it nowhere we see).
      const rr = copies[0].message.recordRoutes;
      const next = rr.length ? rr[rr.length - 1].uri : copies[0].message.contacts[0]?.uri;
      if (next?.kind !== 'sip' || canonicalIp(next.host) !== canonicalIp(copies[0].src.ip)) continue;
      const acks = requestsOfCall(trace, 'ACK', callIdOf(t.request)).filter((m) => m.method === 'ACK' && m.index > copies[0].index && canonicalIp(m.src.ip) === canonicalIp(uac.ip)
        && callIdOf(m) === callIdOf(t.request) && cseqOf(m)?.seq === cseqOf(t.request)?.seq && (toTagOf(m) ?? '') === tag);
      let ai = 0;
      let missed = 0;
      let firstMissed: TraceMessage | undefined;
      for (const c of copies) {
        while (ai < acks.length && acks[ai].index < c.index) ai++;
        if (ai < acks.length) { ai++; continue; }
        if (end - c.time < 2 * ctx.t1) continue; // the capture stopped before an ACK could be seen
        missed++;
        firstMissed ??= c;
      }
      if (missed && firstMissed) {
        const what = acks.length === 0 ? 'no ACK was sent at all' : `only ${acks.length} ACK(s) followed`;
        // The UAC's INVITE first: a finding is laid at the door of the sender of its first message, and the
        // one at fault is the UAC, not the UAS whose 2xx went unanswered.
        out.push(finding(dlg09, `${copies.length} copies of ${copies[0].label} (To tag ${tag}) reached the UAC but ${what} (the first unACKed: #${firstMissed.index}); each 2xx needs its ACK`, t.request.index, firstMissed.index));
      }
    }
  }
  return out;
});

/** 2xx copies of an INVITE sent by the UAS itself, grouped by To tag. */
function uas2xx(trace: Trace, t: Transaction): Map<string, TraceMessage[]> {
  const byTag = new Map<string, TraceMessage[]>();
  // Direct from a UAC (one Via), not forwarded, no Record-Route: nothing but the UAS can have answered.
  const direct = t.request.message.vias.length === 1 && !wasForwarded(trace, t);
  for (const r of t.responses) {
    if (r.status! < 200 || r.status! >= 300 || r.transport !== 'udp' || !sameEndpoint(r.src, t.request.dst)) continue;
    if (!contactIs(r, r.src) && !(direct && r.message.recordRoutes.length === 0)) continue;
    const k = `${toTagOf(r)}`;
    byTag.set(k, [...(byTag.get(k) ?? []), r]);
  }
  return byTag;
}

export function ackFor(trace: Trace, ok: TraceMessage): TraceMessage | undefined {
  return findAfter(requestsOfCall(trace, 'ACK', callIdOf(ok)), ok.index, (m) => m.method === 'ACK' && m.index > ok.index && canonicalIp(m.dst.ip) === canonicalIp(ok.src.ip)
    && callIdOf(m) === callIdOf(ok) && cseqOf(m)?.seq === cseqOf(ok)?.seq && toTagOf(m) === toTagOf(ok));
}

const dlg10 = rule('DLG-10', 'MUST', 'RFC 3261 §13.3.1.4', 'The UAS retransmits its 2xx until the ACK, and ends the call after 64·T1 without one', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE') continue;
    for (const copies of uas2xx(trace, t).values()) {
      const first = copies[0];
      const ack = ackFor(trace, first);
      const rtxDue = first.time + ctx.t1 * (1 + ctx.tolerance) + ctx.slack;
      if (copies.length === 1 && (!ack || ack.time > rtxDue) && end > rtxDue) {
        out.push(finding(dlg10, `${first.label} was sent once and not retransmitted although no ACK arrived within ${secs(ctx.t1)} (T1)${ack ? `; the ACK came ${secs(ack.time - first.time)} later` : ''}`, first.index));
      }
      if (ack) {
        const after = copies.find((c) => c.time > ack.time + ctx.slack);
        if (after) out.push(finding(dlg10, `${after.label} retransmitted ${secs(after.time - ack.time)} after its ACK arrived`, after.index, ack.index));
        continue;
      }
      const deadline = first.time + 64 * ctx.t1;
      // A SHOULD with a grace of 4·T1 past 64·T1: the BYE is due when the retransmissions stop.
      if (end - first.time > 68 * ctx.t1 + ctx.slack) {
        const bye = findAfter(requestsOfCall(trace, 'BYE', callIdOf(first)), first.index, (m) => m.method === 'BYE' && m.index > first.index && callIdOf(m) === callIdOf(first) && fromTagOf(m) === toTagOf(first));
        if (!bye) out.push({ ...finding(dlg10, `no ACK for ${first.label} within 64·T1 (${secs(64 * ctx.t1)}) and the UAS did not end the session with BYE (the capture runs ${secs(end - deadline)} past the deadline)`, first.index), level: 'SHOULD' });
      }
    }
  }
  return out;
});

const dlg11 = rule('DLG-11', 'MUST', 'RFC 3261 §15', 'The callee never sends BYE on an early dialog', (trace) => {
  const out: Finding[] = [];
  for (const d of trace.dialogs) {
    if (d.method !== 'INVITE') continue;
    for (const m of d.messages) {
      if (m.method !== 'BYE' || m.retransmission || fromTagOf(m) !== d.calleeTag || d.callerTag === d.calleeTag) continue;
      const ok = d.messages.find((x) => x.index < m.index && isResponse(x) && isCreating(d, x) && x.status! >= 200 && x.status! < 300 && toTagOf(x) === d.calleeTag);
      if (!ok) out.push(finding(dlg11, `the callee (tag ${d.calleeTag}) sent BYE before any 2xx confirmed the dialog`, m.index, d.creator.request.index));
      break;
    }
  }
  return out;
});

const dlg12 = rule('DLG-12', 'MUST', 'RFC 3261 §15.1.2', 'BYE is answered 2xx when the dialog exists; pending requests then get a final response (487)', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const d of trace.dialogs) {
    if (d.method !== 'INVITE') continue;
    const byes = d.messages.filter((m) => m.method === 'BYE' && !m.retransmission);
    for (const bye of byes) {
      const fin = bye.transaction && finalResponse(bye.transaction);
      if (!fin) continue;
      const confirmed = d.messages.some((x) => x.index < bye.index && isResponse(x) && isCreating(d, x) && x.status! >= 200 && x.status! < 300 && toTagOf(x) === d.calleeTag);
      const earlierBye = byes.some((b) => b.index < bye.index && requestKey(b) !== requestKey(bye));
      if (fin.status === 481 && confirmed && !earlierBye) {
        out.push(finding(dlg12, `BYE on a confirmed dialog (Call-ID ${d.callId}) was answered 481 although nothing ended the dialog before`, fin.index, bye.index));
      }
      if (fin.status! < 200 || fin.status! >= 300) continue;
      // Requests of this dialog the BYE's receiver had not answered yet must still get a final response.
      for (const t of new Set(d.messages.filter((x) => isRequest(x) && x.method === 'INVITE' && sameEndpoint(x.src, bye.src) && sameEndpoint(x.dst, bye.dst)).map((x) => x.transaction!))) {
        const f = finalResponse(t);
        if (f && f.index < fin.index) continue;
        if (t.request.index > bye.index) continue;
        if (!f) {
          if (late(end - fin.time, 64 * ctx.t1, ctx)) out.push(finding(dlg12, `INVITE (CSeq ${cseqOf(t.request)?.seq}) was still pending when the BYE was accepted and never got a final response`, fin.index, t.request.index));
        } else if (f.status !== 487) {
          out.push({ ...finding(dlg12, `INVITE pending when the BYE was accepted was answered ${f.label}, expected 487 Request Terminated`, f.index, fin.index), level: 'SHOULD' });
        }
      }
    }
  }
  return out;
});

/** INVITE transactions of a dialog seen at endpoint ep (sent or received there), first copies. */
function invitesAt(d: Dialog, ep: Endpoint): Transaction[] {
  const ts = new Set<Transaction>();
  for (const m of d.messages) if (isRequest(m) && m.method === 'INVITE' && m.transaction && (sameEndpoint(m.src, ep) || sameEndpoint(m.dst, ep))) ts.add(m.transaction);
  return [...ts];
}

function finalBefore(t: Transaction, index: number): TraceMessage | undefined {
  return t.responses.find((r) => r.status! >= 200 && r.index < index);
}

const dlg13 = ruleOnce('DLG-13', 'MUST', 'RFC 3261 §14.1', 'No re-INVITE while another INVITE transaction of the dialog is in progress', (trace) => {
  const out: Finding[] = [];
  for (const d of trace.dialogs) {
    if (d.method !== 'INVITE') continue;
    for (const r2 of d.messages) {
      if (r2.method !== 'INVITE' || r2.retransmission || toTagOf(r2) === undefined) continue;
      for (const t1 of invitesAt(d, r2.src)) {
        const r1 = t1.request;
        if (r1.index >= r2.index || requestKey(r1) === requestKey(r2)) continue;
        if (finalBefore(t1, r2.index)) continue;
        // Glare is a race only if the sender could not have seen the other INVITE yet.
        const own = sameEndpoint(r1.src, r2.src);
        out.push(finding(dlg13, `re-INVITE (CSeq ${cseqOf(r2)?.seq}) sent while ${own ? 'its own' : 'the received'} INVITE (CSeq ${cseqOf(r1)?.seq}, #${r1.index}) had no final response yet`, r2.index, r1.index));
        break;
      }
    }
  }
  return out;
});

const dlg14 = ruleOnce('DLG-14', 'MUST', 'RFC 3261 §14.2', 'A re-INVITE during a pending INVITE is answered 491 (own pending) or 500 with Retry-After (received pending)', (trace) => {
  const out: Finding[] = [];
  for (const d of trace.dialogs) {
    if (d.method !== 'INVITE') continue;
    for (const r2 of d.messages) {
      if (r2.method !== 'INVITE' || r2.retransmission || toTagOf(r2) === undefined || !r2.transaction) continue;
      const fin = r2.transaction.responses.find((r) => r.status! >= 200 && sameEndpoint(r.src, r2.dst));
      if (!fin) continue;
      for (const t1 of invitesAt(d, r2.dst)) {
        const r1 = t1.request;
        if (r1.index >= r2.index || requestKey(r1) === requestKey(r2) || finalBefore(t1, r2.index)) continue;
        if (sameEndpoint(r1.src, r2.dst)) {
          if (fin.status !== 491) out.push(finding(dlg14, `re-INVITE (CSeq ${cseqOf(r2)?.seq}) arrived while the receiver's own INVITE (CSeq ${cseqOf(r1)?.seq}) was pending and was answered ${fin.label}, expected 491`, fin.index, r2.index, r1.index));
        } else if (sameEndpoint(r1.dst, r2.dst)) {
          const ra = fin.message.get('retry-after');
          const secsRa = ra !== undefined ? Number(/^\s*(\d+)/.exec(ra)?.[1]) : NaN;
          if (fin.status !== 500) out.push(finding(dlg14, `re-INVITE (CSeq ${cseqOf(r2)?.seq}) arrived while the INVITE (CSeq ${cseqOf(r1)?.seq}) was still unanswered and was answered ${fin.label}, expected 500`, fin.index, r2.index, r1.index));
          else if (!(secsRa >= 0 && secsRa <= 10)) out.push(finding(dlg14, `500 to an overlapping re-INVITE has ${ra === undefined ? 'no Retry-After' : `Retry-After ${ra}`}, expected 0 to 10 s`, fin.index, r2.index));
        }
        break;
      }
    }
  }
  return out;
});

const dlg15 = rule('DLG-15', 'SHOULD', 'RFC 3261 §14.1', 'After 491 the retry waits 2.1-4 s (Call-ID owner) or 0-2 s', (trace, ctx: RuleContext) => {
  const out: Finding[] = [];
  for (const d of trace.dialogs) {
    if (d.method !== 'INVITE') continue;
    for (const r of d.messages) {
      if (r.status !== 491 || r.retransmission || cseqOf(r)?.method !== 'INVITE') continue;
      const req = r.transaction?.request;
      if (!req || !sameEndpoint(r.dst, req.src)) continue;
      const next = d.messages.find((m) => m.index > r.index && m.method === 'INVITE' && !m.retransmission && sameEndpoint(m.src, req.src) && requestKey(m) !== requestKey(req));
      if (!next) continue;
      const gap = next.time - r.time;
      const owner = fromTagOf(req) === d.callerTag;
      const [lo, hi] = owner ? [2.1, 4] : [0, 2];
      const low = lo * (1 - ctx.tolerance) - ctx.slack;
      if (gap < low || late(gap, hi, ctx)) {
        out.push(finding(dlg15, `the ${owner ? 'caller (owner of the Call-ID)' : 'callee'} retried the re-INVITE ${secs(gap)} after 491, expected ${lo}-${hi} s`, next.index, r.index));
      }
    }
  }
  return out;
});

function credentials(m: TraceMessage): string[] {
  const out: string[] = [];
  for (const h of ['authorization', 'proxy-authorization']) {
    for (const v of m.message.getAll(h)) {
      // A whole parameter name: "nonce" must not be read out of "cnonce", which a UA changes per request.
      const p = (n: string) => new RegExp(`(?:^|[\\s,])${n}\\s*=\\s*"?([^",]*)"?`, 'i').exec(v)?.[1] ?? '';
      out.push(`${h}:${p('realm')}:${p('username')}:${p('nonce')}`);
    }
  }
  return out.sort();
}

const dlg16 = rule('DLG-16', 'MUST', 'RFC 3261 §13.2.2.4', 'The ACK of a 2xx carries the INVITE\'s credentials', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (m.method !== 'ACK' || m.retransmission || m.transaction?.method !== 'ACK' || m.message.vias.length !== 1) continue;
    const inv = invitesFrom(trace, m).filter((i) => cseqOf(i)?.seq === cseqOf(m)?.seq && i.message.vias.length === 1).pop();
    if (!inv) continue;
    const want = credentials(inv);
    if (!want.length) continue;
    const got = credentials(m);
    if (want.join('|') !== got.join('|')) {
      const names = (l: string[]) => l.map((x) => x.split(':')[0].replace('authorization', 'Authorization').replace('proxy-Authorization', 'Proxy-Authorization')).join(', ') || 'none';
      out.push(finding(dlg16, `ACK carries credentials ${names(got)}${got.length ? ` (${got.map((x) => x.split(':').slice(1).join('/')).join(', ')})` : ''}, the INVITE carried ${names(want)} (${want.map((x) => x.split(':').slice(1).join('/')).join(', ')})`, m.index, inv.index));
    }
  }
  return out;
});

export const DIALOG_RULES: Rule[] = [dlg01, dlg02, dlg03, dlg04, dlg05, dlg06, dlg07, dlg08, dlg09, dlg10, dlg11, dlg12, dlg13, dlg14, dlg15, dlg16];
