/** UAS-*: response generation (RFC 3261 §8.2, §12.2.2, §21, §22). */
import type { Trace, TraceMessage } from '../trace/trace.js';
import { finalResponse, isRequest, isResponse, late, requestKey, sameEndpoint, sameUri, traceEnd, viaSame, wasForwarded } from './common.js';
import { callIdOf, cseqOf, fromTagOf, memo, toTagOf } from './index-cache.js';
import { finding, rule, type Finding, type Rule, type RuleContext } from './types.js';

/** First copies of the responses (shared by the rules: do not modify). */
function responses(trace: Trace): readonly TraceMessage[] {
  return memo(trace, 'uas:responses', () => trace.messages.filter((m) => isResponse(m) && !m.retransmission));
}

const uas01 = rule('UAS-01', 'MUST', 'RFC 3261 §8.2.6.2', 'Response From, Call-ID, CSeq and Via equal the request\'s (and To, when the request had a tag)', (trace) => {
  const out: Finding[] = [];
  for (const r of responses(trace)) {
    const req = r.transaction?.request;
    if (!req) continue;
    const a = req.message;
    const b = r.message;
    const diffs: string[] = [];
    if (callIdOf(req) !== callIdOf(r)) diffs.push(`Call-ID ${b.callId} (request: ${a.callId})`);
    if (fromTagOf(req) !== fromTagOf(r) || !sameUri(a.from?.uri, b.from?.uri)) diffs.push(`From ${b.get('from')} (request: ${a.get('from')})`);
    const ca = cseqOf(req);
    const cb = cseqOf(r);
    const reqCseqMethod = req.method === 'ACK' ? 'INVITE' : ca?.method;
    if (ca && cb && (ca.seq !== cb.seq || reqCseqMethod !== cb.method)) diffs.push(`CSeq ${cb.seq} ${cb.method} (request: ${ca.seq} ${ca.method})`);
    const reqTo = toTagOf(req);
    if (reqTo !== undefined && toTagOf(r) !== reqTo) diffs.push(`To tag ${b.toTag ?? '(none)'} (request: ${a.toTag})`);
    const va = a.vias;
    const vb = b.vias;
    if (va.length !== vb.length || va.some((v, i) => !viaSame(v, vb[i]))) {
      diffs.push(`Via ${vb.map((v) => v.raw).join(' | ')} (request: ${va.map((v) => v.raw).join(' | ')})`);
    }
    if (diffs.length) out.push(finding(uas01, `${r.label} to ${req.method} differs from the request: ${diffs.join('; ')}`, r.index, req.index));
  }
  return out;
});

const uas02 = rule('UAS-02', 'MUST', 'RFC 3261 §8.2.6.2', 'Every response except 100 carries a To tag', (trace) => {
  const out: Finding[] = [];
  for (const r of responses(trace)) {
    if (r.status! > 100 && r.message.to && toTagOf(r) === undefined) out.push(finding(uas02, `${r.label} (CSeq ${r.message.get('cseq')}) from ${r.from} has no To tag`, r.index));
  }
  return out;
});

const uas03 = rule('UAS-03', 'MUST', 'RFC 3261 §8.2.6.2', 'All responses of a UAS to one request use the same To tag', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    // A forking proxy relays several tags from one address; one UAS keeps its own Contact, so tags that
    // differ under the same Contact come from the same UAS.
    if (wasForwarded(trace, t)) continue;
    const seen = new Map<string, TraceMessage>();
    for (const r of t.responses) {
      const tag = toTagOf(r);
      if (r.status === 100 || tag === undefined || toTagOf(t.request) !== undefined) continue;
      const contact = r.message.contacts[0]?.uriText ?? '';
      const k = `${r.src.ip}|${r.src.port}|${contact}`;
      const prev = seen.get(k);
      if (!prev) { seen.set(k, r); continue; }
      if (toTagOf(prev) !== tag) {
        out.push(finding(uas03, `${r.label} to ${t.method} from ${r.from} has To tag ${tag}, but its earlier ${prev.label} (same Contact${contact ? ` <${contact}>` : ''}) used ${toTagOf(prev)}`, r.index, prev.index));
        seen.set(k, r);
      }
    }
  }
  return out;
});

function statusNeeds(id: string, rfc: string, title: string, status: number[], check: (r: TraceMessage) => string | undefined): Rule {
  const r = rule(id, 'MUST', rfc, title, (trace) => {
    const out: Finding[] = [];
    for (const m of responses(trace)) {
      if (!status.includes(m.status!)) continue;
      const msg = check(m);
      if (msg) out.push(finding(r, msg, m.index));
    }
    return out;
  });
  return r;
}

const uas04 = statusNeeds('UAS-04', 'RFC 3261 §8.2.1, §21.4.6', '405 Method Not Allowed includes Allow', [405],
  (r) => (r.message.has('allow') ? undefined : `${r.label} to ${cseqOf(r)?.method ?? '?'} has no Allow header`));

const uas05 = rule('UAS-05', 'MUST', 'RFC 3261 §8.2.2.3, §21.4.15', '420 Bad Extension lists the unsupported option tags in Unsupported', (trace) => {
  const out: Finding[] = [];
  for (const r of responses(trace)) {
    if (r.status !== 420) continue;
    const unsupported = r.message.optionTags('unsupported');
    if (!r.message.has('unsupported')) { out.push(finding(uas05, `${r.label} to ${cseqOf(r)?.method ?? '?'} has no Unsupported header`, r.index)); continue; }
    const req = r.transaction?.request;
    if (!req) continue;
    const asked = new Set([...req.message.optionTags('require'), ...req.message.optionTags('proxy-require')]);
    const extra = unsupported.filter((t) => !asked.has(t));
    if (extra.length) out.push(finding(uas05, `${r.label} lists Unsupported: ${extra.join(', ')}, which the request did not require (Require/Proxy-Require: ${[...asked].join(', ') || 'none'})`, r.index, req.index));
  }
  return out;
});

const uas06 = statusNeeds('UAS-06', 'RFC 3261 §8.2.3, §21.4.13', '415 Unsupported Media Type lists what is acceptable', [415],
  (r) => (['accept', 'accept-encoding', 'accept-language'].some((h) => r.message.has(h)) ? undefined : `${r.label} has none of Accept, Accept-Encoding, Accept-Language`));

const uas07 = statusNeeds('UAS-07', 'RFC 3261 §21.4.2, §22.1', '401 carries WWW-Authenticate', [401],
  (r) => (r.message.has('www-authenticate') ? undefined : `${r.label} to ${cseqOf(r)?.method ?? '?'} has no WWW-Authenticate`));

const uas08 = statusNeeds('UAS-08', 'RFC 3261 §21.4.8, §22.3', '407 carries Proxy-Authenticate', [407],
  (r) => (r.message.has('proxy-authenticate') ? undefined : `${r.label} to ${cseqOf(r)?.method ?? '?'} has no Proxy-Authenticate`));

const uas09 = statusNeeds('UAS-09', 'RFC 3261 §10.3, §21.4.17', '423 Interval Too Brief carries Min-Expires', [423],
  (r) => (r.message.has('min-expires') ? undefined : `${r.label} to ${cseqOf(r)?.method ?? '?'} has no Min-Expires`));

const uas10 = rule('UAS-10', 'SHOULD', 'RFC 3261 §8.2.6.1, §16.2', 'No provisional response to a non-INVITE request', (trace) => {
  const out: Finding[] = [];
  for (const r of responses(trace)) {
    const method = cseqOf(r)?.method;
    if (r.status! < 200 && method && method !== 'INVITE') out.push(finding(uas10, `${r.label} sent to a ${method}; provisional responses are for INVITE`, r.index));
  }
  return out;
});

const uas11 = rule('UAS-11', 'SHOULD', 'RFC 3261 §8.2.2.2', 'A merged request is answered 482', (trace) => {
  const out: Finding[] = [];
  const first = new Map<string, TraceMessage>();
  for (const m of trace.messages) {
    if (!isRequest(m) || m.retransmission || m.method === 'ACK' || m.method === 'CANCEL' || toTagOf(m) !== undefined || !m.transaction) continue;
    const k = `${m.dst.ip}|${m.dst.port}|${fromTagOf(m)}|${requestKey(m)}`;
    const prev = first.get(k);
    if (!prev) { first.set(k, m); continue; }
    if (prev.message.branch === m.message.branch) continue;
    // An element that forwarded either copy is a proxy, for which a spiral is legitimate.
    if (wasForwarded(trace, m.transaction) || (prev.transaction && wasForwarded(trace, prev.transaction))) continue;
    const fin = finalResponse(m.transaction);
    if (fin && fin.status !== 482) out.push(finding(uas11, `${m.method} arrived at ${m.to} a second time on another branch (merged with #${prev.index}) and was answered ${fin.label}, not 482`, fin.index, m.index, prev.index));
  }
  return out;
});

/** Call-IDs whose dialog-creating request was captured: only for those can "no such dialog" be known. */
function callStarts(trace: Trace): Map<string, TraceMessage> {
  const calls = new Map<string, TraceMessage>();
  for (const m of trace.messages) {
    const callId = callIdOf(m);
    if (callId && isRequest(m) && ['INVITE', 'SUBSCRIBE', 'REFER'].includes(m.method!) && toTagOf(m) === undefined && !calls.has(callId)) calls.set(callId, m);
  }
  return calls;
}

/**
 * Per Call-ID, where each tag first became known: the first response giving it as To tag or the first
 * message using it as From tag.
 */
function tagsKnownAt(trace: Trace): Map<string | undefined, Map<string, number>> {
  return memo(trace, 'uas:tagsKnownAt', () => {
    const out = new Map<string | undefined, Map<string, number>>();
    for (const x of trace.messages) {
      const callId = callIdOf(x);
      let tags = out.get(callId);
      if (!tags) { tags = new Map(); out.set(callId, tags); }
      const toTag = isResponse(x) ? toTagOf(x) : undefined;
      if (toTag !== undefined && !tags.has(toTag)) tags.set(toTag, x.index);
      const fromTag = fromTagOf(x);
      if (fromTag !== undefined && !tags.has(fromTag)) tags.set(fromTag, x.index);
    }
    return out;
  });
}

const uas12 = rule('UAS-12', 'MUST', 'RFC 3261 §12.2.2', 'A request whose To tag matches no dialog is answered 481', (trace) => {
  const out: Finding[] = [];
  const calls = callStarts(trace);
  const reported = new Set<string>();
  for (const m of trace.messages) {
    if (!isRequest(m) || m.retransmission || m.method === 'ACK' || m.method === 'CANCEL') continue;
    const tag = toTagOf(m);
    const start = calls.get(callIdOf(m) ?? '');
    if (tag === undefined || !start || start.index > m.index) continue;
    // The tag is known once a response gave it as To tag or anyone used it as From tag.
    const knownAt = tagsKnownAt(trace).get(callIdOf(m))?.get(tag);
    if (knownAt !== undefined && knownAt < m.index) continue;
    const fin = m.transaction && finalResponse(m.transaction);
    if (!fin || fin.status! >= 300) continue;
    const k = requestKey(m);
    if (reported.has(k)) continue;
    reported.add(k);
    out.push(finding(uas12, `${m.method} with To tag ${tag} matches no dialog of Call-ID ${callIdOf(m)} (the call began at #${start.index} and no response used that tag), yet was answered ${fin.label} instead of 481`, fin.index, m.index));
  }
  return out;
});

const uas13 = rule('UAS-13', 'MUST', 'RFC 3261 §12.2.2', 'An in-dialog request with a lower CSeq than the last one is rejected 500', (trace) => {
  const out: Finding[] = [];
  for (const d of trace.dialogs) {
    const last = new Map<string, TraceMessage>();
    const reported = new Set<string>();
    for (const m of d.messages) {
      if (!isRequest(m) || m.retransmission || m.method === 'ACK' || m.method === 'CANCEL') continue;
      const tag = fromTagOf(m) ?? '';
      const seq = cseqOf(m)?.seq;
      if (seq === undefined) continue;
      const prev = last.get(tag);
      if (prev && seq < cseqOf(prev)!.seq && !reported.has(requestKey(m))) {
        const fin = m.transaction && finalResponse(m.transaction);
        if (fin && fin.status! < 300) {
          reported.add(requestKey(m));
          out.push(finding(uas13, `${m.method} with CSeq ${seq} arrived after ${prev.method} with CSeq ${cseqOf(prev)!.seq} in the same direction and was answered ${fin.label} instead of 500`, fin.index, m.index, prev.index));
        }
      }
      if (!prev || seq > cseqOf(prev)!.seq) last.set(tag, m);
    }
  }
  return out;
});

const uas14 = statusNeeds('UAS-14', 'RFC 3261 §21.3', '3xx responses carry Contact with alternative targets', [300, 301, 302],
  (r) => (r.message.has('contact') ? undefined : `${r.label} has no Contact: the redirect names no target`));

const uas15 = rule('UAS-15', 'MUST', 'RFC 3261 §8.2.6, §17.2.1', 'No provisional after the final response; every INVITE gets a final response', (trace, ctx: RuleContext) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    const fin = finalResponse(t);
    if (fin) {
      for (const r of t.responses) {
        if (r.index > fin.index && r.status! < 200 && !r.retransmission && sameEndpoint(r.src, fin.src)) {
          out.push(finding(uas15, `${r.label} to ${t.method} sent after the final ${fin.label} of the same transaction`, r.index, fin.index));
        }
      }
      continue;
    }
    if (t.method !== 'INVITE' || t.cancel || t.responses.length === 0) continue;
    // A ringing INVITE outliving a proxy's Timer C (> 3 min) plus Timer B has been abandoned.
    const lastProv = t.responses[t.responses.length - 1];
    if (late(end - lastProv.time, 180 + 64 * ctx.t1, ctx)) {
      out.push({ ...finding(uas15, `INVITE answered ${lastProv.label} got no final response in the ${Math.round(end - lastProv.time)} s the capture went on`, lastProv.index, t.request.index), level: 'SHOULD' });
    }
  }
  return out;
});

export const UAS_RULES: Rule[] = [uas01, uas02, uas03, uas04, uas05, uas06, uas07, uas08, uas09, uas10, uas11, uas12, uas13, uas14, uas15];
