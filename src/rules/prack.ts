/** REL-*: reliable provisional responses and PRACK (RFC 3262). */
import type { Trace, TraceMessage, Transaction } from '../trace/trace.js';
import { finalResponse, hasTag, isRequest, isResponse, late, listText, lr, near, requestKey, sameEndpoint, sameUri, sameUriList, secs, traceEnd, wasForwarded } from './common.js';
import { before, bucketed, callIdOf, cseqOf, findLastBefore, fromTagOf, groupBy, memo, toTagOf } from './index-cache.js';
import { acrossCalls, finding, rule, ruleOnce, type Finding, type Rule } from './types.js';

const isReliable = (m: TraceMessage) => isResponse(m) && m.status! > 100 && m.status! < 200 && m.message.rseq !== undefined;

/** Reliable provisionals of an INVITE transaction grouped by To tag (each early dialog its own RSeq space). */
function reliableByTag(t: Transaction): Map<string, TraceMessage[]> {
  const out = new Map<string, TraceMessage[]>();
  for (const r of t.responses) {
    if (!isReliable(r)) continue;
    const list = out.get(toTagOf(r) ?? '');
    if (list) list.push(r);
    else out.set(toTagOf(r) ?? '', [r]);
  }
  return out;
}

/** PRACKs (first copy at each hop) of the trace, and by Call-ID. */
function prackIndex(trace: Trace): { all: TraceMessage[]; byCall: Map<string | undefined, TraceMessage[]> } {
  return memo(trace, 'rel:pracks', () => {
    const all = trace.messages.filter((m) => m.method === 'PRACK' && isRequest(m) && !m.retransmission);
    return { all, byCall: groupBy(all, (m) => callIdOf(m)) };
  });
}

const NONE: readonly TraceMessage[] = [];

/** PRACKs of a Call-ID, or of the whole trace without one (first copy at each hop; shared: do not modify). */
function pracks(trace: Trace, callId?: string): readonly TraceMessage[] {
  const ix = prackIndex(trace);
  return callId === undefined ? ix.all : ix.byCall.get(callId) ?? NONE;
}

/** Reliable provisionals (every copy) by Call-ID, in wire order. */
function reliablesOfCall(trace: Trace, callId: string | undefined): readonly TraceMessage[] {
  return bucketed(trace, 'rel:reliableByCall', (m) => callIdOf(m), isReliable).get(callId) ?? NONE;
}

/** Reliable provisionals (every copy) by To tag and RSeq, in wire order. */
function reliablesByTagRseq(trace: Trace, toTag: string | undefined, rseq: number | undefined): readonly TraceMessage[] {
  return bucketed(trace, 'rel:reliableByTagRseq', (m) => `${toTagOf(m)}\n${m.message.rseq}`, isReliable).get(`${toTag}\n${rseq}`) ?? NONE;
}

function matches(prack: TraceMessage, r: TraceMessage): boolean {
  const ra = prack.message.rack;
  return !!ra && ra.rseq === r.message.rseq && ra.cseq === cseqOf(r)?.seq && ra.method.toUpperCase() === 'INVITE' && toTagOf(prack) === toTagOf(r);
}

const rel01 = rule('REL-01', 'MUST', 'RFC 3262 §3', 'A reliable 1xx carries Require: 100rel and RSeq (and vice versa)', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (!isResponse(m) || m.retransmission || m.status! <= 100 || m.status! >= 200) continue;
    const rseq = m.message.rseq !== undefined;
    const req = hasTag(m, 'require', '100rel');
    if (rseq && !req) out.push(finding(rel01, `${m.label} has RSeq ${m.message.rseq} but no Require: 100rel`, m.index));
    if (!rseq && req) out.push(finding(rel01, `${m.label} has Require: 100rel but no RSeq`, m.index));
  }
  return out;
});

const rel02 = rule('REL-02', 'MUST', 'RFC 3262 §3', 'Reliable 1xx only when the INVITE supports 100rel', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || hasTag(t.request, 'supported', '100rel') || hasTag(t.request, 'require', '100rel')) continue;
    const r = t.responses.find(isReliable);
    if (r) out.push(finding(rel02, `${r.label} sent reliably (RSeq ${r.message.rseq}) to an INVITE with neither Supported nor Require: 100rel`, r.index, t.request.index));
  }
  return out;
});

const rel03 = rule('REL-03', 'MUST', 'RFC 3262 §3', '100 Trying is never reliable', (trace) => {
  return trace.messages.filter((m) => m.status === 100 && !m.retransmission && (m.message.rseq !== undefined || hasTag(m, 'require', '100rel')))
    .map((m) => finding(rel03, `100 Trying carries ${m.message.rseq !== undefined ? `RSeq ${m.message.rseq}` : 'Require: 100rel'}; it is never sent reliably`, m.index));
});

const rel04 = ruleOnce('REL-04', 'MUST', 'RFC 3262 §3, §7.1', 'RSeq starts in 1..2^31-1 and each new reliable 1xx adds one', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE') continue;
    for (const [tag, list] of reliableByTag(t)) {
      const values: number[] = [];
      for (const r of list) if (!values.includes(r.message.rseq!)) {
        const v = r.message.rseq!;
        const prev = values[values.length - 1];
        if (prev === undefined && (v < 1 || v > 2 ** 31 - 1)) out.push(finding(rel04, `first RSeq ${v} (To tag ${tag}) is outside 1 to 2^31-1`, r.index));
        if (prev !== undefined && v !== prev + 1) out.push(finding(rel04, `${r.label} has RSeq ${v} after RSeq ${prev} in the same early dialog (To tag ${tag}); expected ${prev + 1}`, r.index));
        values.push(v);
      }
    }
  }
  return out;
});

const rel05 = ruleOnce('REL-05', 'MUST', 'RFC 3262 §3', 'A reliable 1xx is retransmitted from T1, doubling, until its PRACK', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || t.request.transport !== 'udp') continue;
    for (const list of reliableByTag(t).values()) {
      const byRseq = new Map<number, TraceMessage[]>();
      for (const r of list) {
        const copies = byRseq.get(r.message.rseq!);
        if (copies) copies.push(r);
        else byRseq.set(r.message.rseq!, [r]);
      }
      for (const copies of byRseq.values()) {
        const first = copies[0];
        // Any PRACK naming this RSeq in the dialog stops it (a wrong CSeq in its RAck is REL-09's).
        const prack = pracks(trace, callIdOf(first)).find((p) => p.index > first.index && p.message.rack?.rseq === first.message.rseq && toTagOf(p) === toTagOf(first) && sameHopAs(p, first));
        const fin = finalResponse(t);
        const stop = Math.min(prack?.time ?? Infinity, fin?.time ?? Infinity);
        const due = first.time + ctx.t1 * (1 + ctx.tolerance) + ctx.slack;
        if (copies.length === 1 && stop > due && end > due) out.push(finding(rel05, `${first.label} (RSeq ${first.message.rseq}) was not retransmitted although no PRACK arrived within T1`, first.index));
        const after = prack && copies.find((c) => c.time > prack.time + ctx.slack);
        if (after) out.push(finding(rel05, `${first.label} (RSeq ${first.message.rseq}) retransmitted ${secs(after.time - prack!.time)} after its PRACK arrived`, after.index, prack!.index));
        for (let k = 1; k < copies.length; k++) {
          const gap = copies[k].time - copies[k - 1].time;
          const want = ctx.t1 * 2 ** (k - 1);
          if (!near(gap, want, ctx)) { out.push(finding(rel05, `${first.label} (RSeq ${first.message.rseq}) retransmitted after ${secs(gap)}, expected ${secs(want)}`, copies[k].index, first.index)); break; }
        }
      }
    }
  }
  return out;
});

function sameHopAs(a: TraceMessage, b: TraceMessage): boolean {
  return (sameEndpoint(a.src, b.dst) && sameEndpoint(a.dst, b.src)) || (sameEndpoint(a.src, b.src) && sameEndpoint(a.dst, b.dst));
}

const rel06 = rule('REL-06', 'MUST', 'RFC 3262 §3', 'No second reliable 1xx before the first is PRACKed', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE') continue;
    for (const list of reliableByTag(t).values()) {
      const firsts = list.filter((r, i) => list.findIndex((x) => x.message.rseq === r.message.rseq) === i);
      for (let k = 1; k < firsts.length; k++) {
        const prev = firsts[k - 1];
        const acked = pracks(trace, callIdOf(prev)).some((p) => p.index < firsts[k].index && matches(p, prev) && sameHopAs(p, prev));
        if (!acked) out.push(finding(rel06, `${firsts[k].label} (RSeq ${firsts[k].message.rseq}) sent before the PRACK of RSeq ${prev.message.rseq}`, firsts[k].index, prev.index));
      }
    }
  }
  return out;
});

const rel07 = ruleOnce('REL-07', 'MUST', 'RFC 3262 §3', 'No 2xx to INVITE while a reliable 1xx with SDP is un-PRACKed', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE') continue;
    const ok = t.responses.find((r) => r.status! >= 200 && r.status! < 300);
    // Judged where the UAS itself sent the 2xx: a relaying element is not the one that waits for PRACKs.
    if (!ok || wasForwarded(trace, t)) continue;
    for (const r of t.responses) {
      if (!isReliable(r) || r.index > ok.index || r.message.body.length === 0 || toTagOf(r) !== toTagOf(ok)) continue;
      const acked = pracks(trace, callIdOf(r)).some((p) => p.index < ok.index && p.message.rack?.rseq === r.message.rseq && toTagOf(p) === toTagOf(r));
      if (!acked) { out.push(finding(rel07, `${ok.label} sent while ${r.label} (RSeq ${r.message.rseq}, with a session description) was still un-PRACKed`, ok.index, r.index)); break; }
    }
  }
  return out;
});

const rel08 = rule('REL-08', 'SHOULD', 'RFC 3262 §3', 'Without PRACK for 64·T1 the UAS rejects the INVITE with 5xx', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE') continue;
    const r = t.responses.find(isReliable);
    if (!r || pracks(trace, callIdOf(r)).some((p) => matches(p, r)) || !late(end - r.time, 64 * ctx.t1 + 1, ctx)) continue;
    const fin = finalResponse(t);
    if (!fin || (fin.status! < 500 && fin.time - r.time > 64 * ctx.t1)) out.push(finding(rel08, `${r.label} (RSeq ${r.message.rseq}) was never PRACKed and the INVITE ${fin ? `ended with ${fin.label}` : 'got no final response'}, not a 5xx after 64·T1`, r.index));
  }
  return out;
});

/** The reliable 1xx a PRACK answers: same Call-ID and RSeq, any To tag (REL-10 checks the tag). */
function targetOf(trace: Trace, p: TraceMessage): TraceMessage | undefined {
  const ra = p.message.rack;
  if (!ra) return undefined;
  const cands = before(reliablesOfCall(trace, callIdOf(p)), p.index).filter((m) => m.index < p.index && isReliable(m) && callIdOf(m) === callIdOf(p) && m.message.rseq === ra.rseq);
  return cands.filter((m) => toTagOf(m) === toTagOf(p)).pop() ?? cands.pop();
}

const rel09 = ruleOnce('REL-09', 'MUST', 'RFC 3262 §4, §7.2', 'PRACK\'s RAck is the 1xx\'s RSeq, the INVITE\'s CSeq number and INVITE', (trace) => {
  const out: Finding[] = [];
  for (const p of pracks(trace)) {
    const ra = p.message.rack;
    if (!ra) { out.push(finding(rel09, 'PRACK has no (valid) RAck header', p.index)); continue; }
    const r = targetOf(trace, p);
    if (!r) {
      const any = before(reliablesOfCall(trace, callIdOf(p)), p.index).some((m) => m.index < p.index && isReliable(m) && callIdOf(m) === callIdOf(p));
      if (any) out.push(finding(rel09, `PRACK RAck ${ra.rseq} ${ra.cseq} ${ra.method}, but no reliable provisional with RSeq ${ra.rseq} was sent in this call`, p.index));
      continue;
    }
    const inv = cseqOf(r)!;
    if (ra.cseq !== inv.seq || ra.method.toUpperCase() !== 'INVITE') {
      out.push(finding(rel09, `PRACK RAck ${ra.rseq} ${ra.cseq} ${ra.method}, but the INVITE's CSeq is ${inv.seq} (expected RAck ${r.message.rseq} ${inv.seq} INVITE)`, p.index, r.index));
    }
  }
  return out;
});

const rel10 = ruleOnce('REL-10', 'MUST', 'RFC 3262 §4', 'PRACK is sent in the early dialog of its 1xx, with a new CSeq', (trace) => {
  const out: Finding[] = [];
  for (const p of pracks(trace)) {
    const r = targetOf(trace, p);
    if (!r) continue;
    const diffs: string[] = [];
    if (toTagOf(p) !== toTagOf(r)) diffs.push(`To tag ${toTagOf(p) ?? '(none)'} (1xx: ${toTagOf(r)})`);
    if (fromTagOf(p) !== fromTagOf(r)) diffs.push(`From tag ${fromTagOf(p)} (1xx: ${fromTagOf(r)})`);
    if ((cseqOf(p)?.seq ?? 0) <= cseqOf(r)!.seq) diffs.push(`CSeq ${cseqOf(p)?.seq}, not above the INVITE's ${cseqOf(r)!.seq}`);
    // Request-URI and Route are the UAC's own choices: check them where the UAC sent the PRACK.
    if (p.message.vias.length === 1) {
      const atUac = findLastBefore(reliablesByTagRseq(trace, toTagOf(r), r.message.rseq), p.index, (m) => m.index < p.index && isReliable(m) && toTagOf(m) === toTagOf(r) && m.message.rseq === r.message.rseq && sameEndpoint(m.dst, p.src));
      if (atUac) {
        const c = atUac.message.contacts[0];
        const uri = p.message.kind === 'request' ? p.message.uri : undefined;
        if (c && !sameUri(uri, c.uri)) diffs.push(`Request-URI ${uri?.raw} (1xx Contact: <${c.uriText}>)`);
        const rs = [...atUac.message.recordRoutes].reverse();
        if (rs.every(lr) && !sameUriList(p.message.routes, rs)) diffs.push(`Route ${listText(p.message.routes)} (from the 1xx's Record-Route: ${listText(rs)})`);
      }
    }
    if (diffs.length) out.push(finding(rel10, `PRACK for ${r.label} (RSeq ${r.message.rseq}) is not in its early dialog: ${diffs.join('; ')}`, p.index, r.index));
  }
  return out;
});

const rel11 = rule('REL-11', 'MUST', 'RFC 3262 §4', 'PRACKs acknowledge RSeq values in order, each once', (trace) => {
  const out: Finding[] = [];
  const byDialog = new Map<string, TraceMessage[]>();
  const seen = new Set<string>();
  for (const p of pracks(trace)) {
    if (seen.has(requestKey(p)) || !p.message.rack) continue; // other hops' copies
    seen.add(requestKey(p));
    const k = `${callIdOf(p)}|${fromTagOf(p)}|${toTagOf(p)}`;
    const list = byDialog.get(k);
    if (list) list.push(p);
    else byDialog.set(k, [p]);
  }
  for (const list of byDialog.values()) {
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1].message.rack!;
      const b = list[i].message.rack!;
      if (b.rseq === a.rseq) out.push(finding(rel11, `second PRACK (CSeq ${cseqOf(list[i])?.seq}) for RSeq ${b.rseq}, already acknowledged by CSeq ${list[i - 1].message.cseq?.seq}`, list[i].index, list[i - 1].index));
      else if (b.rseq !== a.rseq + 1) out.push(finding(rel11, `PRACK for RSeq ${b.rseq} after the one for RSeq ${a.rseq}; only RSeq ${a.rseq + 1} may be acknowledged next`, list[i].index, list[i - 1].index));
    }
  }
  return out;
});

const rel12 = ruleOnce('REL-12', 'MUST', 'RFC 3262 §3', 'A PRACK matching no unacknowledged reliable 1xx is answered 481', (trace) => {
  const out: Finding[] = [];
  for (const p of pracks(trace)) {
    const fin = p.transaction && finalResponse(p.transaction);
    if (!fin || fin.status! >= 300 || !p.message.rack) continue;
    const reliables = before(reliablesOfCall(trace, callIdOf(p)), p.index).filter((m) => m.index < p.index && isReliable(m) && callIdOf(m) === callIdOf(p));
    if (!reliables.length) continue; // the 1xx was not captured
    const target = reliables.find((r) => matches(p, r));
    const ra = p.message.rack;
    if (!target) {
      out.push(finding(rel12, `PRACK RAck ${ra.rseq} ${ra.cseq} ${ra.method} (To tag ${toTagOf(p)}) matches no reliable provisional, yet was answered ${fin.label} instead of 481`, fin.index, p.index));
      continue;
    }
    const earlier = pracks(trace, callIdOf(p)).find((q) => q.index < p.index && requestKey(q) !== requestKey(p) && matches(q, target) && sameHopAs(q, p)
      && q.transaction && finalResponse(q.transaction)?.status! < 300);
    if (earlier) out.push(finding(rel12, `PRACK (CSeq ${cseqOf(p)?.seq}) for RSeq ${ra.rseq}, already acknowledged by the PRACK with CSeq ${cseqOf(earlier)?.seq}, was answered ${fin.label} instead of 481`, fin.index, p.index, earlier.index));
  }
  return out;
});

const rel13 = ruleOnce('REL-13', 'MUST', 'RFC 3262 §4', 'Each early dialog gets its own PRACKs', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE') continue;
    const tags = reliableByTag(t);
    if (tags.size < 2) continue;
    for (const [tag, list] of tags) {
      const r = list[0];
      if (end - r.time < 2 * ctx.t1) continue;
      const own = pracks(trace, callIdOf(r)).some((p) => toTagOf(p) === tag && p.message.rack?.rseq === r.message.rseq);
      const other = pracks(trace, callIdOf(r)).find((p) => toTagOf(p) !== tag && p.index > r.index && p.message.rack?.rseq === r.message.rseq);
      if (!own && other) out.push(finding(rel13, `${r.label} of early dialog ${tag} (RSeq ${r.message.rseq}) was acknowledged only by a PRACK of early dialog ${toTagOf(other)}`, other.index, r.index));
    }
  }
  return out;
});

const rel14 = rule('REL-14', 'MUST', 'RFC 3262 §3', 'If the INVITE requires 100rel every provisional (but 100) is reliable', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'INVITE' || !hasTag(t.request, 'require', '100rel')) continue;
    const r = t.responses.find((x) => x.status! > 100 && x.status! < 200 && x.message.rseq === undefined);
    if (r) out.push(finding(rel14, `${r.label} has no RSeq although the INVITE has Require: 100rel`, r.index, t.request.index));
  }
  return out;
});

export const PRACK_RULES: Rule[] = [rel01, rel02, rel03, rel04, rel05, rel06, rel07, rel08, rel09, acrossCalls(rel10, 'the reliable provisional a PRACK answers is found by To tag and RSeq, whatever the call'), rel11, rel12, rel13, rel14];
