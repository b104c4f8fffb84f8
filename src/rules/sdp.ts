/**
 * OA-*: SDP offer/answer (RFC 3264, RFC 4566, RFC 3261 §13, RFC 6337). Offers and answers are tracked per
 * dialog and per hop (a proxy's two sides carry the same exchange; findings repeated there are dropped).
 */
import { parse as parseSdp, type SessionDescription } from 'sdp-transform';
import type { Dialog, Trace, TraceMessage } from '../trace/trace.js';
import { epText, isRequest } from './common.js';
import { callIdOf, cseqOf, toTagOf } from './index-cache.js';
import { finding, rule, ruleOnce, type Finding, type Rule } from './types.js';

type Media = SessionDescription['media'][number];

/** The SDP of a message: an application/sdp body, or that part of a multipart body. */
export function sdpText(m: TraceMessage): string | undefined {
  const msg = m.message;
  if (msg.body.length === 0) return undefined;
  const ct = (msg.contentType ?? '').toLowerCase();
  // A body without Content-Type is SYN-07's; if it is plainly SDP, the exchange is still followed.
  if (ct === 'application/sdp' || (ct === '' && msg.bodyText.startsWith('v=0'))) return msg.bodyText;
  if (!ct.startsWith('multipart/')) return undefined;
  const b = /boundary\s*=\s*"?([^";]+)"?/i.exec(msg.get('content-type') ?? '')?.[1];
  if (!b) return undefined;
  for (const part of msg.body.toString('latin1').split(`--${b}`)) {
    const sep = part.indexOf('\r\n\r\n');
    if (sep < 0) continue;
    if (/content-type:\s*application\/sdp/i.test(part.slice(0, sep))) return part.slice(sep + 4).replace(/\r\n$/, '');
  }
  return undefined;
}

const STATIC: Record<string, string> = {
  0: 'pcmu/8000', 3: 'gsm/8000', 4: 'g723/8000', 5: 'dvi4/8000', 6: 'dvi4/16000', 7: 'lpc/8000', 8: 'pcma/8000', 9: 'g722/8000',
  10: 'l16/44100', 11: 'l16/44100', 12: 'qcelp/8000', 13: 'cn/8000', 14: 'mpa/90000', 15: 'g728/8000', 16: 'dvi4/11025',
  17: 'dvi4/22050', 18: 'g729/8000', 25: 'celb/90000', 26: 'jpeg/90000', 28: 'nv/90000', 31: 'h261/90000', 32: 'mpv/90000',
  33: 'mp2t/90000', 34: 'h263/90000',
};

/**
 * Formats and codecs of a media section, worked out once per parsed section: a parsed SDP is shared by every
 * hop that relays its text, and OA-03/OA-04 look each answer format up in the offer's list. Read-only.
 */
const mediaFacts = new WeakMap<Media, { formats: string[]; codecs: Map<string, string> }>();

function factsOf(m: Media): { formats: string[]; codecs: Map<string, string> } {
  let f = mediaFacts.get(m);
  if (!f) {
    const codecs = new Map<string, string>();
    // The first rtpmap of a payload type counts, as a search from the start would find.
    for (const r of m.rtp ?? []) {
      const pt = String(r.payload);
      if (!codecs.has(pt)) codecs.set(pt, `${r.codec.toLowerCase()}/${r.rate ?? ''}`);
    }
    f = { formats: String(m.payloads ?? '').split(/\s+/).filter((x) => x !== ''), codecs };
    mediaFacts.set(m, f);
  }
  return f;
}

function formats(m: Media): string[] {
  return factsOf(m).formats;
}

function isRtp(m: Media): boolean {
  return /RTP\//i.test(m.protocol);
}

/** Codec of a payload type: encoding/clock from rtpmap, or the static table. */
function codecOf(m: Media, pt: string): string {
  // Own properties only: a payload type off the wire may be "constructor".
  return factsOf(m).codecs.get(pt) ?? (Object.hasOwn(STATIC, pt) ? STATIC[pt] : `pt${pt}`);
}

function direction(s: SessionDescription, m: Media): string {
  return m.direction ?? s.direction ?? 'sendrecv';
}

function mediaList(s: SessionDescription): string {
  return s.media.map((m) => `${m.type} ${m.port}`).join(', ') || 'none';
}

export interface Sdp { msg: TraceMessage; text: string; s: SessionDescription }

/** Parsed session descriptions by text (a proxy relays the same SDP on each hop), null where parsing failed. */
type SdpCache = Map<string, SessionDescription | null>;

function parse(m: TraceMessage, cache: SdpCache): Sdp | undefined {
  const text = sdpText(m);
  if (text === undefined) return undefined;
  let s = cache.get(text);
  if (s === undefined) {
    try {
      s = parseSdp(text);
    } catch {
      s = null;
    }
    cache.set(text, s);
  }
  return s === null ? undefined : { msg: m, text, s };
}

export type Kind = 'offer' | 'answer' | 'preview';

export interface Exchange { offer: Sdp; answer: Sdp; kind: Kind }

interface HopLog {
  exchanges: Exchange[];
  /** [message, problem] for placement and state-machine violations (OA-09, OA-10). */
  placement: Array<{ rule: 'OA-09' | 'OA-10'; text: string; at: TraceMessage; other?: TraceMessage }>;
  /** Every SDP in order with its role. */
  sdps: Array<{ sdp: Sdp; role: Kind }>;
}

/** Hops of a dialog: the unordered endpoint pairs its messages travel. */
function hops(d: Dialog): TraceMessage[][] {
  const by = new Map<string, TraceMessage[]>();
  for (const m of d.messages) {
    if (m.retransmission) continue;
    // The pair in a fixed order without [a, b].sort(), which allocates a work array per message.
    const a = epText(m.src);
    const b = epText(m.dst);
    const k = a < b ? `${a}|${b}` : `${b}|${a}`;
    const list = by.get(k);
    if (list) list.push(m);
    else by.set(k, [m]);
  }
  return [...by.values()];
}

function side(m: TraceMessage): string {
  return epText(m.src);
}

/** Walk one hop's messages through the offer/answer state machine of RFC 3261 §13.2.1 and RFC 3262 §5. */
function walk(msgs: TraceMessage[], cache: SdpCache): HopLog {
  const log: HopLog = { exchanges: [], placement: [], sdps: [] };
  let pending: { sdp: Sdp; txn: string; kind: 'INVITE' | '2xx' | 'r1xx' | 'UPDATE' | 'PRACK' } | undefined;
  const offerless = new Set<string>();
  const offeredIn = new Set<string>();
  const txnOf = (m: TraceMessage) => `${callIdOf(m)}|${cseqOf(m)?.seq}|${cseqOf(m)?.method === 'ACK' ? 'INVITE' : cseqOf(m)?.method}`;
  const answer = (a: Sdp, kind: Kind = 'answer') => {
    log.exchanges.push({ offer: pending!.sdp, answer: a, kind });
    log.sdps.push({ sdp: a, role: kind });
    if (kind === 'answer') pending = undefined;
  };
  const offer = (o: Sdp, kind: NonNullable<typeof pending>['kind'], txn: string) => {
    if (pending && side(pending.sdp.msg) === side(o.msg)) {
      log.placement.push({ rule: 'OA-10', text: `${o.msg.label} makes a new offer while its earlier offer in ${pending.sdp.msg.label} is still unanswered`, at: o.msg, other: pending.sdp.msg });
    }
    pending = { sdp: o, txn, kind };
    log.sdps.push({ sdp: o, role: 'offer' });
  };
  for (const m of msgs) {
    const sdp = parse(m, cache);
    const txn = txnOf(m);
    if (isRequest(m)) {
      const method = m.method!;
      if (method === 'INVITE') {
        if (sdp) offer(sdp, 'INVITE', txn);
        else offerless.add(txn);
      } else if (method === 'ACK') {
        if (pending?.kind === '2xx' && pending.txn === txn && side(pending.sdp.msg) !== side(m)) {
          if (sdp) answer(sdp);
          else { log.placement.push({ rule: 'OA-09', text: `ACK carries no answer to the offer in ${pending.sdp.msg.label}`, at: m, other: pending.sdp.msg }); pending = undefined; }
        } else if (sdp && m.transaction?.method === 'ACK') {
          log.placement.push({ rule: 'OA-10', text: `ACK of a 2xx carries a session description although no offer was awaiting an answer in it`, at: m });
        }
      } else if (method === 'PRACK') {
        if (pending?.kind === 'r1xx' && side(pending.sdp.msg) !== side(m)) {
          if (sdp) answer(sdp);
          else { log.placement.push({ rule: 'OA-09', text: `PRACK carries no answer to the offer in ${pending.sdp.msg.label}`, at: m, other: pending.sdp.msg }); pending = undefined; }
        } else if (sdp) offer(sdp, 'PRACK', txn);
      } else if (method === 'UPDATE' && sdp) offer(sdp, 'UPDATE', txn);
      continue;
    }
    const status = m.status!;
    const method = cseqOf(m)?.method;
    const ours = pending && pending.txn === txn && side(pending.sdp.msg) !== side(m);
    if (status >= 300) { if (ours) pending = undefined; continue; }
    if (method === 'INVITE') {
      const reliable = status >= 200 || m.message.rseq !== undefined;
      if (status === 100) continue;
      if (ours && pending!.kind === 'INVITE') {
        if (sdp) answer(sdp, reliable ? 'answer' : 'preview');
        else if (status >= 200) { log.placement.push({ rule: 'OA-09', text: `${m.label} carries no answer to the offer in the INVITE`, at: m, other: pending!.sdp.msg }); pending = undefined; }
      } else if (offerless.has(txn) && !offeredIn.has(txn) && reliable) {
        if (sdp) { offer(sdp, status >= 200 ? '2xx' : 'r1xx', txn); offeredIn.add(txn); }
        else if (status >= 200) log.placement.push({ rule: 'OA-09', text: `${m.label} to an INVITE without offer carries no offer`, at: m });
      }
    } else if ((method === 'UPDATE' || method === 'PRACK') && status >= 200 && ours) {
      if (sdp) answer(sdp);
      else { log.placement.push({ rule: 'OA-09', text: `${m.label} to ${method} carries no answer to its offer`, at: m, other: pending!.sdp.msg }); pending = undefined; }
    }
  }
  return log;
}

const logCache = new WeakMap<Trace, HopLog[]>();

function logs(trace: Trace): HopLog[] {
  const c = logCache.get(trace);
  if (c) return c;
  const out: HopLog[] = [];
  const cache: SdpCache = new Map();
  for (const d of trace.dialogs) if (d.method === 'INVITE') for (const h of hops(d)) out.push(walk(h, cache));
  logCache.set(trace, out);
  return out;
}

/**
 * Every offer/answer exchange of the trace's INVITE dialogs, hop by hop (a proxy's two sides each carry it),
 * for the rules of other RFCs that read the SDP negotiated (SDES-02). Read-only.
 */
export function offerAnswerExchanges(trace: Trace): ReadonlyArray<Readonly<Exchange>> {
  return logs(trace).flatMap((l) => l.exchanges);
}

function exchangeRule(id: string, level: 'MUST' | 'SHOULD', rfc: string, title: string, check: (e: Exchange) => string | undefined): Rule {
  const r = ruleOnce(id, level, rfc, title, (trace) => {
    const out: Finding[] = [];
    for (const l of logs(trace)) for (const e of l.exchanges) {
      const t = check(e);
      if (t) out.push(finding(r, t, e.answer.msg.index, e.offer.msg.index));
    }
    return out;
  });
  return r;
}

const oa01 = exchangeRule('OA-01', 'MUST', 'RFC 3264 §6', 'The answer has the offer\'s m-lines, in order, same media types', (e) => {
  const o = e.offer.s.media;
  const a = e.answer.s.media;
  if (o.length !== a.length) return `answer in ${e.answer.msg.label} has ${a.length} m-line(s) (${mediaList(e.answer.s)}), the offer in ${e.offer.msg.label} has ${o.length} (${mediaList(e.offer.s)})`;
  const i = o.findIndex((m, k) => m.type !== a[k].type);
  return i >= 0 ? `answer m-line ${i + 1} is ${a[i].type}, the offer's is ${o[i].type}` : undefined;
});

const oa02 = exchangeRule('OA-02', 'MUST', 'RFC 3264 §6', 'A stream offered with port 0 is answered with port 0', (e) => {
  const i = e.offer.s.media.findIndex((m, k) => m.port === 0 && e.answer.s.media[k] !== undefined && e.answer.s.media[k].port !== 0);
  return i >= 0 ? `m-line ${i + 1} (${e.offer.s.media[i].type}) was offered with port 0 but answered with port ${e.answer.s.media[i].port}` : undefined;
});

const oa03 = exchangeRule('OA-03', 'MUST', 'RFC 3264 §6.1', 'An accepted stream answers only formats that were offered', (e) => {
  for (const [k, am] of e.answer.s.media.entries()) {
    const om = e.offer.s.media[k];
    if (!om || am.port === 0 || om.type !== am.type) continue;
    const offered = new Set(formats(om).map((pt) => (isRtp(om) ? codecOf(om, pt) : pt.toLowerCase())));
    const extra = formats(am).filter((pt) => !offered.has(isRtp(am) ? codecOf(am, pt) : pt.toLowerCase()));
    if (extra.length) return `answer m-line ${k + 1} (${am.type}) lists ${extra.map((pt) => (isRtp(am) ? `${pt} (${codecOf(am, pt)})` : pt)).join(', ')}, not in the offer (${formats(om).map((pt) => (isRtp(om) ? codecOf(om, pt) : pt)).join(', ')})`;
  }
  return undefined;
});

const oa04 = exchangeRule('OA-04', 'SHOULD', 'RFC 3264 §6.1', 'The answer keeps the offer\'s payload type numbers', (e) => {
  for (const [k, am] of e.answer.s.media.entries()) {
    const om = e.offer.s.media[k];
    if (!om || am.port === 0 || !isRtp(am) || !isRtp(om)) continue;
    for (const pt of formats(am)) {
      const c = codecOf(am, pt);
      const opt = formats(om).find((x) => codecOf(om, x) === c);
      if (opt !== undefined && opt !== pt) return `answer m-line ${k + 1} uses payload type ${pt} for ${c}, the offer used ${opt}`;
    }
  }
  return undefined;
});

const ALLOWED: Record<string, string[]> = { sendonly: ['recvonly', 'inactive'], recvonly: ['sendonly', 'inactive'], inactive: ['inactive'], sendrecv: ['sendrecv', 'sendonly', 'recvonly', 'inactive'] };

const oa05 = exchangeRule('OA-05', 'MUST', 'RFC 3264 §6.1', 'The answer\'s direction fits the offer\'s', (e) => {
  for (const [k, am] of e.answer.s.media.entries()) {
    const om = e.offer.s.media[k];
    if (!om || am.port === 0 || om.port === 0) continue;
    const od = direction(e.offer.s, om);
    const ad = direction(e.answer.s, am);
    if (ALLOWED[od] && !ALLOWED[od].includes(ad)) return `m-line ${k + 1} (${am.type}) offered ${od} was answered ${ad}, expected ${ALLOWED[od].join(' or ')}`;
  }
  return undefined;
});

function withoutOrigin(text: string): string {
  return text.split(/\r?\n/).filter((l) => !l.startsWith('o=') && l.trim() !== '').join('\n');
}

const oa06 = ruleOnce('OA-06', 'MUST', 'RFC 3264 §8', 'A new SDP keeps o= and adds one to its version; an unchanged one keeps the version', (trace) => {
  const out: Finding[] = [];
  for (const l of logs(trace)) {
    const prev = new Map<string, Sdp>();
    for (const { sdp } of l.sdps) {
      const k = side(sdp.msg);
      const p = prev.get(k);
      prev.set(k, sdp);
      if (!p || !p.s.origin || !sdp.s.origin) continue;
      const a = p.s.origin;
      const b = sdp.s.origin;
      const va = Number(a.sessionVersion);
      const vb = Number(b.sessionVersion);
      if (a.username !== b.username || String(a.sessionId) !== String(b.sessionId) || a.address !== b.address) {
        out.push(finding(oa06, `o= of ${sdp.msg.label} is "${b.username} ${b.sessionId} ${b.address}", the same side's previous SDP (${p.msg.label}) had "${a.username} ${a.sessionId} ${a.address}"`, sdp.msg.index, p.msg.index));
      } else if (vb === va && p.text !== sdp.text && withoutOrigin(p.text) !== withoutOrigin(sdp.text)) {
        out.push(finding(oa06, `SDP in ${sdp.msg.label} changed but kept o= version ${vb} of ${p.msg.label}`, sdp.msg.index, p.msg.index));
      } else if (vb !== va && vb !== va + 1) {
        out.push(finding(oa06, `SDP in ${sdp.msg.label} has o= version ${vb} after ${va} in ${p.msg.label}; it must grow by exactly one`, sdp.msg.index, p.msg.index));
      }
    }
  }
  return out;
});

const oa07 = ruleOnce('OA-07', 'MUST', 'RFC 3264 §8', 'A later offer has no fewer m-lines than the previous SDP', (trace) => {
  const out: Finding[] = [];
  for (const l of logs(trace)) {
    let last: Sdp | undefined;
    for (const { sdp, role } of l.sdps) {
      if (role === 'offer' && last && sdp.s.media.length < last.s.media.length) out.push(finding(oa07, `offer in ${sdp.msg.label} has ${sdp.s.media.length} m-line(s), the previous SDP (${last.msg.label}) had ${last.s.media.length}; streams are disabled with port 0, not removed`, sdp.msg.index, last.msg.index));
      if (role !== 'preview') last = sdp;
    }
  }
  return out;
});

const oa08 = ruleOnce('OA-08', 'SHOULD', 'RFC 3264 §8.4', 'Hold is offered with a=sendonly/inactive, not only c=0.0.0.0', (trace) => {
  const out: Finding[] = [];
  for (const l of logs(trace)) for (const { sdp, role } of l.sdps) {
    if (role !== 'offer') continue;
    const zero = sdp.s.connection?.ip === '0.0.0.0' || sdp.s.media.some((m) => m.connection?.ip === '0.0.0.0');
    if (zero && sdp.s.media.some((m) => m.port !== 0 && direction(sdp.s, m) === 'sendrecv')) out.push(finding(oa08, `offer in ${sdp.msg.label} puts the call on hold with the RFC 2543 c=0.0.0.0 and no a=sendonly/inactive`, sdp.msg.index));
  }
  return out;
});

function placementRule(id: 'OA-09' | 'OA-10', title: string, rfc: string): Rule {
  const r = ruleOnce(id, 'MUST', rfc, title, (trace) => {
    const out: Finding[] = [];
    for (const l of logs(trace)) for (const p of l.placement) if (p.rule === id) out.push(finding(r, p.text, p.at.index, ...(p.other ? [p.other.index] : [])));
    return out;
  });
  return r;
}

const oa09 = placementRule('OA-09', 'The answer comes in the first reliable non-failure response (or ACK/PRACK for a late offer)', 'RFC 3261 §13.2.1, RFC 6337 §3');
const oa10 = placementRule('OA-10', 'No new offer while one is outstanding; the ACK of an answered INVITE carries no offer', 'RFC 3261 §13.2.1, RFC 3264 §4');

const oa11 = ruleOnce('OA-11', 'MUST', 'RFC 3261 §13.3.1.3, §21.4.26', 'A session that cannot be negotiated is rejected 488/606', (trace) => {
  const out: Finding[] = [];
  for (const l of logs(trace)) for (const e of l.exchanges) {
    const a = e.answer.msg;
    if (e.kind !== 'answer' || a.status === undefined || a.status < 200 || cseqOf(a)?.method !== 'INVITE' || toTagOf(a) === undefined) continue;
    if (a.transaction?.request.message.toTag !== undefined) continue; // a re-INVITE may disable every stream
    if (e.offer.s.media.some((m) => m.port !== 0) && e.answer.s.media.length > 0 && e.answer.s.media.every((m) => m.port === 0)) {
      out.push(finding(oa11, `${a.label} accepts the INVITE but rejects every stream (all ports 0); a session that cannot be negotiated is answered 488 or 606`, a.index, e.offer.msg.index));
    }
  }
  return out;
});

const oa12 = ruleOnce('OA-12', 'MUST', 'RFC 4566 §5, RFC 3264 §5', 'SDP has v=0 first, o=, s=, t=, and c= at session level or in every m-section', (trace) => {
  const out: Finding[] = [];
  // A proxy relays the same SDP on each hop: each text is judged once.
  const judged = new Map<string, string[]>();
  for (const m of trace.messages) {
    if (m.retransmission) continue;
    const text = sdpText(m);
    if (text === undefined) continue;
    let problems = judged.get(text);
    if (!problems) judged.set(text, (problems = sdpProblems(text)));
    if (problems.length) out.push(finding(oa12, `SDP in ${m.label}: ${problems.join('; ')}`, m.index));
  }
  return out;
});

function sdpProblems(text: string): string[] {
  const lines = text.split(/\r?\n/).filter((x) => x.trim() !== '');
  const problems: string[] = [];
  if (lines[0] !== 'v=0') problems.push(`first line is "${lines[0] ?? ''}", not v=0`);
  const firstM = lines.findIndex((x) => x.startsWith('m='));
  const session = firstM < 0 ? lines : lines.slice(0, firstM);
  for (const f of ['o=', 's=', 't=']) if (!session.some((x) => x.startsWith(f))) problems.push(`no ${f} line`);
  if (!session.some((x) => x.startsWith('c=')) && firstM >= 0) {
    const sections = lines.slice(firstM).join('\n').split(/\n(?=m=)/);
    const bare = sections.findIndex((s) => !/\nc=/.test(s));
    if (bare >= 0) problems.push(`no c= at session level nor in m-section ${bare + 1}`);
  }
  return problems;
}

export const SDP_RULES: Rule[] = [oa01, oa02, oa03, oa04, oa05, oa06, oa07, oa08, oa09, oa10, oa11, oa12];
