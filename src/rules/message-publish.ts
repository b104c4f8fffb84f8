/** MSG-*: MESSAGE (RFC 3428) and PUB-*: PUBLISH (RFC 3903). */
import type { Trace, TraceMessage } from '../trace/trace.js';
import { canonicalIp, finalResponse, isRequest, isResponse, requestKey } from './common.js';
import { cseqOf, memo } from './index-cache.js';
import { acrossCalls, finding, rule, ruleOnce, type Finding, type Rule } from './types.js';

/** The first copy of each request of a method, whatever the hop (shared by the rules: do not modify). */
function firstCopies(trace: Trace, method: string): readonly TraceMessage[] {
  return memo(trace, `msg:firstCopies:${method}`, () => {
    const seen = new Set<string>();
    return trace.messages.filter((m) => {
      if (m.method !== method || !isRequest(m) || m.retransmission || seen.has(requestKey(m))) return false;
      seen.add(requestKey(m));
      return true;
    });
  });
}

const msg01 = rule('MSG-01', 'MUST', 'RFC 3428 §4', 'A MESSAGE request has no Contact', (trace) => {
  return firstCopies(trace, 'MESSAGE').filter((m) => m.message.has('contact')).map((m) => finding(msg01, `MESSAGE (CSeq ${cseqOf(m)?.seq}) carries Contact ${m.message.get('contact')}; MESSAGE creates no dialog`, m.index));
});

const msg02 = rule('MSG-02', 'MUST', 'RFC 3428 §4, RFC 3261 §7.4.1', 'MESSAGE carries a body with Content-Type', (trace) => {
  const out: Finding[] = [];
  for (const m of firstCopies(trace, 'MESSAGE')) {
    if (m.message.body.length === 0) out.push(finding(msg02, `MESSAGE (CSeq ${cseqOf(m)?.seq}) has no body: nothing is sent`, m.index));
    else if (!m.message.has('content-type')) out.push(finding(msg02, `MESSAGE (CSeq ${cseqOf(m)?.seq}) has a ${m.message.body.length}-byte body without Content-Type`, m.index));
  }
  return out;
});

const msg03 = ruleOnce('MSG-03', 'SHOULD', 'RFC 3428 §7', '2xx to MESSAGE carries no body', (trace) => {
  return trace.messages.filter((m) => isResponse(m) && !m.retransmission && m.status! >= 200 && m.status! < 300 && cseqOf(m)?.method === 'MESSAGE' && m.message.body.length > 0)
    .map((m) => finding(msg03, `${m.label} to MESSAGE (CSeq ${cseqOf(m)?.seq}) carries a ${m.message.body.length}-byte body`, m.index));
});

const msg04 = rule('MSG-04', 'MUST', 'RFC 3428 §7', '415 to MESSAGE lists Accept', (trace) => {
  return trace.messages.filter((m) => m.status === 415 && !m.retransmission && cseqOf(m)?.method === 'MESSAGE' && !m.message.has('accept'))
    .map((m) => finding(msg04, `${m.label} to MESSAGE has no Accept header naming the acceptable types`, m.index));
});

const msg05 = rule('MSG-05', 'SHOULD', 'RFC 3428 §9', 'A pager-mode MESSAGE over UDP stays under 1300 bytes', (trace) => {
  return trace.messages.filter((m) => m.method === 'MESSAGE' && !m.retransmission && m.transport === 'udp' && m.message.wireLength > 1300)
    .map((m) => finding(msg05, `MESSAGE of ${m.message.wireLength} bytes sent over UDP; above 1300 bytes it belongs on a congestion-controlled transport`, m.index));
});

const pub01 = rule('PUB-01', 'MUST', 'RFC 3903 §4', 'PUBLISH carries an Event header', (trace) => {
  return firstCopies(trace, 'PUBLISH').filter((m) => !m.message.has('event')).map((m) => finding(pub01, `PUBLISH (CSeq ${cseqOf(m)?.seq}) has no Event header`, m.index));
});

const hasIfMatch = (m: TraceMessage) => m.message.has('sip-if-match');

const pub02 = rule('PUB-02', 'MUST', 'RFC 3903 §4.1', 'An initial PUBLISH (no SIP-If-Match) has a body', (trace) => {
  return firstCopies(trace, 'PUBLISH').filter((m) => !hasIfMatch(m) && m.message.body.length === 0)
    .map((m) => finding(pub02, `PUBLISH (CSeq ${cseqOf(m)?.seq}) without SIP-If-Match is an initial publication but has no body`, m.index));
});

const pub03 = rule('PUB-03', 'MUST', 'RFC 3903 §4.2-4.4', 'Refresh, modify and remove carry SIP-If-Match', (trace) => {
  return firstCopies(trace, 'PUBLISH').filter((m) => m.message.expires === 0 && !hasIfMatch(m))
    .map((m) => finding(pub03, `PUBLISH with Expires: 0 (a removal) has no SIP-If-Match naming the entity to remove`, m.index));
});

const pub04 = rule('PUB-04', 'MUST', 'RFC 3903 §6', '2xx to PUBLISH carries SIP-ETag and Expires', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (!isResponse(m) || m.retransmission || m.status! < 200 || m.status! >= 300 || cseqOf(m)?.method !== 'PUBLISH') continue;
    const missing = ['sip-etag', 'expires'].filter((h) => !m.message.has(h)).map((h) => (h === 'sip-etag' ? 'SIP-ETag' : 'Expires'));
    if (missing.length) out.push(finding(pub04, `${m.label} to PUBLISH (CSeq ${cseqOf(m)?.seq}) has no ${missing.join(' and no ')}`, m.index));
  }
  return out;
});

/** Publications per entity (publisher address, Request-URI, event package), in order. */
function entities(trace: Trace): TraceMessage[][] {
  const by = new Map<string, TraceMessage[]>();
  for (const m of firstCopies(trace, 'PUBLISH')) {
    const k = `${canonicalIp(m.src.ip)}|${m.message.kind === 'request' ? m.message.uriText : ''}|${m.message.event?.package ?? ''}`;
    const list = by.get(k);
    if (list) list.push(m);
    else by.set(k, [m]);
  }
  return [...by.values()];
}

const pub05 = rule('PUB-05', 'MUST', 'RFC 3903 §6', 'An unknown entity-tag in SIP-If-Match is answered 412', (trace) => {
  const out: Finding[] = [];
  for (const list of entities(trace)) {
    if (hasIfMatch(list[0])) continue; // the entity was created before the capture: its tags are unknown
    const issued = new Set<string>();
    for (const m of list) {
      const fin = m.transaction && finalResponse(m.transaction);
      const tag = m.message.get('sip-if-match');
      if (tag !== undefined && !issued.has(tag) && fin && fin.status! < 300) out.push(finding(pub05, `PUBLISH with SIP-If-Match ${tag}, an entity-tag never issued (issued: ${[...issued].join(', ') || 'none'}), was answered ${fin.label} instead of 412`, fin.index, m.index));
      const etag = fin?.message.get('sip-etag');
      if (etag && fin!.status! < 300) issued.add(etag);
    }
  }
  return out;
});

const pub06 = rule('PUB-06', 'MUST', 'RFC 3903 §6', 'An initial PUBLISH without body is rejected 400', (trace) => {
  const out: Finding[] = [];
  for (const m of firstCopies(trace, 'PUBLISH')) {
    if (hasIfMatch(m) || m.message.body.length > 0) continue;
    const fin = m.transaction && finalResponse(m.transaction);
    if (fin && fin.status! < 300) out.push(finding(pub06, `initial PUBLISH without a body was answered ${fin.label} instead of 400`, fin.index, m.index));
  }
  return out;
});

const pub07 = rule('PUB-07', 'MUST', 'RFC 3903 §4', 'A later PUBLISH uses the SIP-ETag of the latest 2xx', (trace) => {
  const out: Finding[] = [];
  for (const list of entities(trace)) {
    let latest: { tag: string; at: TraceMessage } | undefined;
    for (const m of list) {
      const tag = m.message.get('sip-if-match');
      if (tag !== undefined && latest && tag !== latest.tag) out.push(finding(pub07, `PUBLISH uses SIP-If-Match ${tag}, but the latest 2xx issued SIP-ETag ${latest.tag}`, m.index, latest.at.index));
      const fin = m.transaction && finalResponse(m.transaction);
      const etag = fin?.message.get('sip-etag');
      if (fin && fin.status! < 300 && etag) latest = { tag: etag, at: fin };
    }
  }
  return out;
});

export const MESSAGE_PUBLISH_RULES: Rule[] = [msg01, msg02, msg03, msg04, msg05, pub01, pub02, pub03, pub04, pub05, pub06, pub07].map((r) => acrossCalls(r, 'a PUBLISH refresh or an instant message may come in a new call'));
