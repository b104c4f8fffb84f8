/** UAC-*: request construction by a UAC (RFC 3261 §8.1, §19.3, §22). */
import { parseChallenge, parseCredentials, type ParsedChallenge, type ParsedCredentials } from '../sip/digest.js';
import type { Trace, TraceMessage } from '../trace/trace.js';
import { COOKIE, cseqText, epText, finalResponse, fromOriginator, isRequest, sameEndpoint } from './common.js';
import { callIdOf, cseqOf, findAfter, fromTagOf, memo, requestsOfCall, toTagOf } from './index-cache.js';
import { acrossCalls, finding, rule, type Finding, type Rule } from './types.js';

/** First copy of each request at each hop (retransmissions say nothing new). */
function requests(trace: Trace): readonly TraceMessage[] {
  return memo(trace, 'uac:requests', () => trace.messages.filter((m) => isRequest(m) && !m.retransmission));
}

const uac01 = rule('UAC-01', 'MUST', 'RFC 3261 §8.1.1.7', 'The top Via branch of every request starts with z9hG4bK', (trace) => {
  const out: Finding[] = [];
  for (const m of requests(trace)) {
    const v = m.message.topVia;
    if (!v) continue;
    if (v.branch === undefined) out.push(finding(uac01, `${m.method} from ${m.from}: top Via ${v.raw} has no branch parameter`, m.index));
    else if (!v.branch.startsWith(COOKIE)) out.push(finding(uac01, `${m.method} from ${m.from}: top Via branch "${v.branch}" does not start with the magic cookie ${COOKIE}`, m.index));
  }
  return out;
});

const uac02 = rule('UAC-02', 'MUST', 'RFC 3261 §8.1.1.7, §17.1.3', 'A branch is unique per transaction', (trace) => {
  const out: Finding[] = [];
  const seen = new Map<string, TraceMessage>();
  for (const m of requests(trace)) {
    // CANCEL and the ACK of a non-2xx reuse the INVITE's branch by design; an ACK for a 2xx is DLG-07's.
    if (m.method === 'ACK' || m.method === 'CANCEL') continue;
    const v = m.message.topVia;
    if (!v?.branch?.startsWith(COOKIE) || v.branch.length <= COOKIE.length) continue;
    const k = `${m.src.ip}|${v.host.toLowerCase()}:${v.port ?? ''}|${v.branch}`;
    const prev = seen.get(k);
    if (!prev) { seen.set(k, m); continue; }
    const same = prev.method === m.method && callIdOf(prev) === callIdOf(m) && cseqOf(prev)?.seq === cseqOf(m)?.seq;
    if (!same) {
      out.push(finding(uac02, `${m.method} (CSeq ${cseqText(m)}, Call-ID ${callIdOf(m)}) reuses branch ${v.branch} of the earlier ${prev.method} (CSeq ${cseqText(prev)}, Call-ID ${callIdOf(prev)}) from the same sender`, m.index, prev.index));
    }
  }
  return out;
});

const uac03 = rule('UAC-03', 'MUST', 'RFC 3261 §8.1.1.7', 'The branch is more than the bare magic cookie', (trace) => {
  const out: Finding[] = [];
  for (const m of requests(trace)) {
    if (m.message.branch === COOKIE) out.push(finding(uac03, `${m.method} from ${m.from}: branch is the bare cookie "${COOKIE}", nothing unique follows it`, m.index));
  }
  return out;
});

const uac04 = rule('UAC-04', 'MUST', 'RFC 3261 §8.1.1.3, §19.3', 'Requests carry a From tag with at least 32 bits of randomness', (trace) => {
  const out: Finding[] = [];
  for (const m of requests(trace)) {
    if (!m.message.from) continue;
    const tag = fromTagOf(m);
    if (tag === undefined) out.push(finding(uac04, `${m.method} from ${m.from}: From ${m.message.get('from')} has no tag`, m.index));
    else if (tag.length < 8 && m.method !== 'ACK' && m.method !== 'CANCEL' && !toTagOf(m)) {
      // Only a hint: 32 random bits need about 8 characters; short tags are not provably predictable.
      out.push({ ...finding(uac04, `${m.method} from ${m.from}: From tag "${tag}" has ${tag.length} characters, too short to carry 32 random bits`, m.index), level: 'SHOULD' });
    }
  }
  return out;
});

const uac05 = rule('UAC-05', 'MUST', 'RFC 3261 §8.1.1.2, §10.2', 'An out-of-dialog request has no To tag', (trace) => {
  const out: Finding[] = [];
  for (const m of requests(trace)) {
    // REGISTER never belongs to a dialog, so a To tag on it is always wrong.
    if (m.method === 'REGISTER' && toTagOf(m) !== undefined) {
      out.push(finding(uac05, `REGISTER from ${m.from} has To tag "${toTagOf(m)}"; a REGISTER is never sent inside a dialog`, m.index));
    }
  }
  // The retry of a challenged initial request is still initial: a To tag copied from the 401/407 is wrong.
  for (const t of trace.transactions) {
    const fin = finalResponse(t);
    if (!fin || (fin.status !== 401 && fin.status !== 407) || toTagOf(t.request) !== undefined || t.method === 'REGISTER') continue;
    const retry = findRetry(trace, t.request, fin);
    if (retry && toTagOf(retry) !== undefined) {
      out.push(finding(uac05, `${retry.method} retried after ${fin.status} carries To tag "${toTagOf(retry)}", but the challenged request had none: it is still outside any dialog`, retry.index, fin.index));
    }
  }
  return out;
});

const uac06 = rule('UAC-06', 'SHOULD', 'RFC 3261 §8.1.1.6', 'Max-Forwards starts at 70', (trace) => {
  const out: Finding[] = [];
  // A CANCEL (§9.1) and the ACK of a non-2xx (§17.1.1.3) are built by the transaction from its INVITE: a proxy's
  // own CANCEL or ACK carries the Max-Forwards of the INVITE it forwarded. That INVITE is judged, not its copy.
  const invites = memo(trace, 'uac:invites-by-branch', () => new Map(requests(trace).filter((m) => m.method === 'INVITE').map((m) => [`${m.message.branch}|${epText(m.src)}`, m] as const)));
  for (const m of requests(trace)) {
    if (!fromOriginator(m)) continue;
    const mf = m.message.maxForwards;
    if (m.method === 'CANCEL' || m.method === 'ACK') {
      const inv = invites.get(`${m.message.branch}|${epText(m.src)}`);
      if (inv && inv.index < m.index && inv.message.maxForwards === mf) continue;
    }
    if (mf !== undefined && mf !== 70) out.push(finding(uac06, `${m.method} from ${m.from} (first hop) has Max-Forwards ${mf}, expected 70`, m.index));
  }
  return out;
});

const uac07 = rule('UAC-07', 'MUST', 'RFC 3261 §8.1.1.8', 'Dialog-creating requests carry exactly one Contact with a SIP or SIPS URI', (trace) => {
  const out: Finding[] = [];
  for (const m of requests(trace)) {
    if (!['INVITE', 'SUBSCRIBE', 'REFER'].includes(m.method!)) continue;
    const msg = m.message;
    // A missing Contact on SUBSCRIBE and REFER is reported by EVT-12 and REF-08.
    if (!msg.has('contact')) {
      if (m.method === 'INVITE') out.push(finding(uac07, `INVITE from ${m.from} has no Contact`, m.index));
      continue;
    }
    if (msg.isContactStar) { out.push(finding(uac07, `${m.method} from ${m.from} has Contact: *, which only a REGISTER may use`, m.index)); continue; }
    const cs = msg.contacts;
    if (cs.length !== 1) out.push(finding(uac07, `${m.method} from ${m.from} has ${cs.length} Contact values, expected exactly one`, m.index));
    else if (cs[0].uri?.kind !== 'sip') out.push(finding(uac07, `${m.method} from ${m.from}: Contact <${cs[0].uriText}> is not a SIP or SIPS URI`, m.index));
  }
  return out;
});

const uac08 = rule('UAC-08', 'MUST', 'RFC 3261 §8.1.1.4', 'A Call-ID is not reused for another dialog', (trace) => {
  const out: Finding[] = [];
  const first = new Map<string, TraceMessage>();
  for (const m of requests(trace)) {
    if (!['INVITE', 'SUBSCRIBE', 'REFER'].includes(m.method!) || toTagOf(m) !== undefined || !fromTagOf(m)) continue;
    // Keyed by sender: a B2BUA that keeps the Call-ID on its other leg sends from another address.
    const k = `${epText(m.src)}|${callIdOf(m)}`;
    const prev = first.get(k);
    if (!prev) { first.set(k, m); continue; }
    if (fromTagOf(prev) === fromTagOf(m)) continue;
    const fin = prev.transaction && finalResponse(prev.transaction);
    if (fin && fin.status! >= 300) continue; // the first attempt failed: no dialog lives under that Call-ID
    out.push(finding(uac08, `${m.method} from ${m.from} starts a new dialog (From tag ${fromTagOf(m)}) with Call-ID ${callIdOf(m)}, already used by the dialog of #${prev.index} (From tag ${fromTagOf(prev)})`, m.index, prev.index));
    first.set(k, m);
  }
  return out;
});

const uac09 = rule('UAC-09', 'SHOULD', 'RFC 3261 §8.1.3.3', 'A response reaching the UAC has exactly one Via', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (!fromOriginator(t.request)) continue;
    for (const r of t.responses) {
      if (r.retransmission || !sameEndpoint(r.dst, t.request.src)) continue;
      const n = r.message.vias.length;
      if (n > 1) out.push(finding(uac09, `${r.label} to ${r.to} carries ${n} Via values; the UAC sent the ${t.method} with one and should discard this response`, r.index, t.request.index));
    }
  }
  return out;
});

/** The request re-sent after a challenge: same sender, method, Call-ID and From tag, a later transaction. */
export function findRetry(trace: Trace, req: TraceMessage, challenge: TraceMessage): TraceMessage | undefined {
  return findAfter(requestsOfCall(trace, req.method!, callIdOf(req)), challenge.index, (m) => m.index > challenge.index && isRequest(m) && !m.retransmission && m.method === req.method
    && m.transaction !== req.transaction && callIdOf(m) === callIdOf(req) && fromTagOf(m) === fromTagOf(req)
    && m.src.ip === req.src.ip);
}

interface Challenge { response: TraceMessage; request: TraceMessage; retry: TraceMessage; challenges: ParsedChallenge[]; credentials: ParsedCredentials[]; header: string }

function challenges(trace: Trace): readonly Challenge[] {
  return memo(trace, 'uac:challenges', () => findChallenges(trace));
}

function findChallenges(trace: Trace): Challenge[] {
  const out: Challenge[] = [];
  for (const t of trace.transactions) {
    for (const r of t.responses) {
      if (r.retransmission || (r.status !== 401 && r.status !== 407)) continue;
      const retry = findRetry(trace, t.request, r);
      if (!retry) continue; // the UAC gave up, or started afresh: nothing to compare
      const ch = r.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
      const cr = r.status === 401 ? 'authorization' : 'proxy-authorization';
      out.push({
        response: r,
        request: t.request,
        retry,
        challenges: r.message.getAll(ch).map((v) => parseChallenge(v)),
        credentials: retry.message.getAll(cr).map((v) => parseCredentials(v)),
        header: r.status === 401 ? 'Authorization' : 'Proxy-Authorization',
      });
      break;
    }
  }
  return out;
}

const uac10 = rule('UAC-10', 'MUST', 'RFC 3261 §8.1.3.5, §22.2', 'A request re-sent after 401/407 keeps Call-ID and From tag, increments CSeq and carries credentials for the realm', (trace) => {
  const out: Finding[] = [];
  for (const c of challenges(trace)) {
    const before = cseqOf(c.request)?.seq;
    const after = cseqOf(c.retry)?.seq;
    if (before !== undefined && after !== undefined) {
      if (after <= before) out.push(finding(uac10, `${c.retry.method} re-sent after ${c.response.status} has CSeq ${after}, not higher than the challenged request's ${before}`, c.retry.index, c.response.index));
      else if (after !== before + 1) out.push({ ...finding(uac10, `${c.retry.method} re-sent after ${c.response.status} has CSeq ${after}, expected ${before + 1}`, c.retry.index, c.response.index), level: 'SHOULD' });
    }
    if (c.credentials.length === 0) {
      out.push(finding(uac10, `${c.retry.method} re-sent after ${c.response.status} carries no ${c.header}`, c.retry.index, c.response.index));
      continue;
    }
    const realms = c.challenges.map((x) => x.realm).filter((x): x is string => x !== undefined);
    if (realms.length && !c.credentials.some((x) => x.realm !== undefined && realms.includes(x.realm))) {
      out.push(finding(uac10, `${c.header} realm ${c.credentials.map((x) => `"${x.realm ?? ''}"`).join(', ')} does not answer the ${c.response.status} challenge for realm ${realms.map((x) => `"${x}"`).join(', ')}`, c.retry.index, c.response.index));
    }
  }
  return out;
});

const uac11 = rule('UAC-11', 'MUST', 'RFC 3261 §22.4, RFC 7616 §3.4', 'Digest credentials echo realm, nonce and opaque; qop brings nc and cnonce, nc grows', (trace) => {
  const out: Finding[] = [];
  for (const c of challenges(trace)) {
    for (const ch of c.challenges) {
      if (!ch.isDigest || ch.realm === undefined) continue;
      const cr = c.credentials.find((x) => x.isDigest && x.realm === ch.realm);
      if (!cr) continue; // UAC-10 reports missing credentials
      if (ch.nonce !== undefined && cr.nonce !== ch.nonce) out.push(finding(uac11, `${c.header} nonce "${cr.nonce ?? ''}" is not the nonce "${ch.nonce}" of the ${c.response.status} challenge`, c.retry.index, c.response.index));
      if (ch.opaque !== undefined && cr.opaque !== ch.opaque) out.push(finding(uac11, `${c.header} opaque ${cr.opaque === undefined ? 'is missing' : `"${cr.opaque}"`}, the challenge's opaque is "${ch.opaque}"`, c.retry.index, c.response.index));
      if (cr.qop !== undefined) {
        if (ch.qop.length && !ch.qop.includes(cr.qop)) out.push(finding(uac11, `${c.header} qop=${cr.qop} was not offered (challenge qop="${ch.qop.join(',')}")`, c.retry.index, c.response.index));
        if (cr.nc === undefined || cr.cnonce === undefined) out.push(finding(uac11, `${c.header} uses qop=${cr.qop} without ${cr.nc === undefined ? 'nc' : 'cnonce'}`, c.retry.index));
      }
    }
  }
  // nc counts the requests made with one nonce: it never repeats or goes down for the same nonce.
  const lastNc = new Map<string, { nc: number; m: TraceMessage }>();
  for (const m of requests(trace)) {
    for (const h of ['authorization', 'proxy-authorization']) {
      if (!m.message.has(h)) continue;
      for (const v of m.message.getAll(h)) {
        const cr = parseCredentials(v);
        if (!cr.isDigest || cr.nc === undefined || cr.nonce === undefined || !/^[0-9a-f]{8}$/i.test(cr.nc)) continue;
        // ACK and CANCEL repeat the INVITE's credentials (RFC 3261 §13.2.2.4, §9.1).
        if (m.method === 'ACK' || m.method === 'CANCEL') continue;
        const k = `${m.src.ip}|${cr.realm}|${cr.nonce}|${cr.username}`;
        const nc = parseInt(cr.nc, 16);
        const prev = lastNc.get(k);
        if (prev && cseqOf(prev.m)?.seq !== cseqOf(m)?.seq && nc <= prev.nc) {
          out.push(finding(uac11, `${m.method} reuses nonce "${cr.nonce}" with nc=${cr.nc}, not above the nc=${prev.nc.toString(16).padStart(8, '0')} of #${prev.m.index}`, m.index, prev.m.index));
        }
        if (!prev || cseqOf(prev.m)?.seq !== cseqOf(m)?.seq) lastNc.set(k, { nc, m });
      }
    }
  }
  return out;
});

export const UAC_RULES: Rule[] = [uac01, acrossCalls(uac02, 'a branch must be unique across every call a UA makes'), uac03, uac04, uac05, acrossCalls(uac06, 'a CANCEL or ACK is matched to its INVITE by branch and source, whatever the call'), uac07, uac08, uac09, uac10, acrossCalls(uac11, 'a nonce\'s nc grows across every request made with it, in any call')];
