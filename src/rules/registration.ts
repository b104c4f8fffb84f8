/** REG-*, PTH-*, OB-*: registration (RFC 3261 §10), Path (RFC 3327) and outbound (RFC 5626). */
import type { NameAddr } from '../sip/name-addr.js';
import type { Trace, TraceMessage } from '../trace/trace.js';
import { canonicalIp, contactExpiry, finalResponse, fromOriginator, hasTag, isRequest, isResponse, legInto, listText, lr, sameUri, sameUriList, uriText } from './common.js';
import type { Uri } from '../sip/uri.js';
import { callIdOf, cseqOf, findAfter, groupBy, memo, toTagOf } from './index-cache.js';
import { acrossCalls, finding, rule, type Finding, type Rule } from './types.js';

/** First copies of REGISTER requests (shared: do not modify). */
function registers(trace: Trace): readonly TraceMessage[] {
  return memo(trace, 'reg:registers', () => trace.messages.filter((m) => m.method === 'REGISTER' && isRequest(m) && !m.retransmission));
}

/** What any two URIs that sameUri() takes for equal have in common (scheme, host and port for SIP). */
function uriKey(u: Uri | undefined): string {
  if (!u) return '-';
  return u.kind === 'sip' ? `sip\n${u.scheme}\n${u.host.toLowerCase()}\n${u.port}` : u.kind;
}

function paths(m: TraceMessage): NameAddr[] {
  return m.message.parsed<NameAddr>('path');
}

const reg01 = rule('REG-01', 'MUST', 'RFC 3261 §10.2', 'The REGISTER Request-URI has no user part', (trace) => {
  const out: Finding[] = [];
  for (const m of registers(trace)) {
    const u = m.message.kind === 'request' ? m.message.uri : undefined;
    if (u?.kind === 'sip' && u.user !== undefined) out.push(finding(reg01, `REGISTER Request-URI ${u.raw} has a user part "${u.user}"; it names the registrar's domain only`, m.index));
  }
  return out;
});

const reg02 = rule('REG-02', 'MUST', 'RFC 3261 §10.2', 'To carries the SIP/SIPS address of record; From equals To unless third-party', (trace) => {
  const out: Finding[] = [];
  for (const m of registers(trace)) {
    const to = m.message.to;
    if (!to) continue;
    if (to.uri?.kind !== 'sip') out.push(finding(reg02, `REGISTER To <${to.uriText}> is not a SIP or SIPS URI, so it is no address of record`, m.index));
    else if (m.message.from && !sameUri(m.message.from.uri, to.uri)) {
      out.push({ ...finding(reg02, `REGISTER From <${m.message.from.uriText}> differs from To <${to.uriText}> (a third-party registration)`, m.index), level: 'SHOULD' });
    }
  }
  return out;
});

const reg03 = rule('REG-03', 'SHOULD', 'RFC 3261 §10.2', 'Registrations keep one Call-ID per registrar and increment CSeq by one', (trace) => {
  const out: Finding[] = [];
  const last = new Map<string, TraceMessage>();
  for (const m of registers(trace)) {
    if (!fromOriginator(m)) continue;
    const k = `${canonicalIp(m.src.ip)}|${canonicalIp(m.dst.ip)}:${m.dst.port}|${m.message.to?.uri ? uriText(m.message.to.uri) : ''}`;
    const prev = last.get(k);
    last.set(k, m);
    if (!prev) continue;
    if (callIdOf(prev) !== callIdOf(m)) {
      out.push(finding(reg03, `REGISTER uses Call-ID ${callIdOf(m)}, the previous registration to the same registrar used ${callIdOf(prev)}`, m.index, prev.index));
      continue;
    }
    const a = cseqOf(prev)?.seq;
    const b = cseqOf(m)?.seq;
    if (a === undefined || b === undefined) continue;
    if (b <= a) out.push({ ...finding(reg03, `REGISTER has CSeq ${b} after CSeq ${a} with the same Call-ID; it must grow by one`, m.index, prev.index), level: 'MUST' });
    else if (b !== a + 1) out.push(finding(reg03, `REGISTER has CSeq ${b} after CSeq ${a} with the same Call-ID; expected ${a + 1}`, m.index, prev.index));
  }
  return out;
});

const reg04 = rule('REG-04', 'MUST', 'RFC 3261 §10.2.2, §10.3', 'Contact: * only with Expires: 0 and no other Contact', (trace) => {
  const out: Finding[] = [];
  for (const m of registers(trace)) {
    const values = m.message.getAll('contact');
    if (!values.some((v) => v.trim() === '*')) continue;
    if (values.length > 1) out.push(finding(reg04, `REGISTER mixes Contact: * with ${values.length - 1} other Contact value(s)`, m.index));
    if (m.message.expires !== 0) out.push(finding(reg04, `REGISTER with Contact: * has ${m.message.has('expires') ? `Expires: ${m.message.get('expires')}` : 'no Expires'}, expected Expires: 0`, m.index));
  }
  return out;
});

const reg05 = rule('REG-05', 'MUST', 'RFC 3261 §10.3 step 8', '200 to REGISTER lists the bindings, each with an expiry', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'REGISTER') continue;
    const ok = t.responses.find((r) => r.status! >= 200 && r.status! < 300);
    if (!ok) continue;
    const adding = t.request.message.contacts.filter((c) => (contactExpiry(t.request, c) ?? 1) > 0);
    const got = ok.message.contacts;
    if (adding.length && !got.length) out.push(finding(reg05, `${ok.label} to a REGISTER that added <${adding[0].uriText}> lists no Contact bindings`, ok.index, t.request.index));
    if (!ok.message.has('expires')) {
      const bare = got.find((c) => c.params.get('expires') === undefined);
      if (bare) out.push(finding(reg05, `${ok.label} lists binding <${bare.uriText}> without an expires parameter or Expires header`, ok.index));
    }
  }
  return out;
});

/** The next REGISTER of the same UA for the same address of record. */
function nextRegister(trace: Trace, after: TraceMessage, req: TraceMessage): TraceMessage | undefined {
  const key = (m: TraceMessage) => `${canonicalIp(m.src.ip)}\n${uriKey(m.message.to?.uri)}`;
  const byUa = memo(trace, 'reg:registersByUa', () => groupBy(registers(trace), key));
  return findAfter(byUa.get(key(req)) ?? [], after.index, (m) => m.index > after.index && canonicalIp(m.src.ip) === canonicalIp(req.src.ip) && sameUri(m.message.to?.uri, req.message.to?.uri) && m.transaction !== req.transaction);
}

const reg06 = rule('REG-06', 'MUST', 'RFC 3261 §10.2.8, §10.3 step 7', 'After 423 the UA retries with at least Min-Expires', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    const r = t.responses.find((x) => x.status === 423 && !x.retransmission);
    if (t.method !== 'REGISTER' || !r) continue;
    const min = Number(r.message.get('min-expires'));
    if (!Number.isFinite(min)) continue;
    const next = nextRegister(trace, r, t.request);
    if (!next) continue;
    for (const c of next.message.contacts) {
      const e = contactExpiry(next, c);
      if (e !== undefined && e !== 0 && e < min) out.push(finding(reg06, `REGISTER after 423 (Min-Expires ${min}) asks ${e} s for <${c.uriText}>`, next.index, r.index));
    }
  }
  return out;
});

const reg07 = rule('REG-07', 'SHOULD', 'RFC 3261 §10.2.4', 'The UA refreshes before the expiry the registrar granted', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'REGISTER') continue;
    const ok = t.responses.find((r) => r.status! >= 200 && r.status! < 300 && !r.retransmission);
    const mine = t.request.message.contacts[0];
    if (!ok || !mine || (contactExpiry(t.request, mine) ?? 1) === 0) continue;
    const bound = ok.message.contacts.find((c) => sameUri(c.uri, mine.uri));
    const granted = bound ? contactExpiry(ok, bound) : ok.message.expires;
    if (granted === undefined || granted === 0) continue;
    const next = nextRegister(trace, ok, t.request);
    if (next && next.time - ok.time > granted) out.push(finding(reg07, `REGISTER refreshed ${Math.round(next.time - ok.time)} s after ${ok.label}, but the registrar granted only ${granted} s`, next.index, ok.index));
  }
  return out;
});

const reg08 = rule('REG-08', 'MUST', 'RFC 3261 §10.3, §22.1', 'A registrar challenges with 401, not 407', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'REGISTER') continue;
    const r = t.responses.find((x) => x.status === 407 && !x.retransmission);
    const u = t.request.message.kind === 'request' ? t.request.message.uri : undefined;
    // Only provable when the 407 comes from the host the Request-URI names (the registrar itself).
    if (r && u?.kind === 'sip' && canonicalIp(u.host) === canonicalIp(r.src.ip)) out.push(finding(reg08, `registrar ${u.host} challenged REGISTER with 407; registrars use 401 with WWW-Authenticate`, r.index, t.request.index));
  }
  return out;
});

const pth01 = rule('PTH-01', 'MUST', 'RFC 3327 §4', 'Path appears only in REGISTER and its 2xx', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (m.retransmission || !m.message.has('path')) continue;
    const ok = isRequest(m) ? m.method === 'REGISTER' : cseqOf(m)?.method === 'REGISTER' && m.status! >= 200 && m.status! < 300;
    if (!ok) out.push(finding(pth01, `${m.label}${isResponse(m) ? ` to ${cseqOf(m)?.method}` : ''} carries Path, which belongs only to REGISTER and its 2xx`, m.index));
  }
  return out;
});

const pth02 = rule('PTH-02', 'MUST', 'RFC 3327 §5.2', 'A proxy puts its Path on top; Path URIs carry lr', (trace) => {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const m of registers(trace)) {
    for (const p of paths(m)) {
      if (seen.has(p.uriText)) continue;
      seen.add(p.uriText);
      if (!lr(p)) out.push(finding(pth02, `Path <${p.uriText}> has no lr parameter`, m.index));
    }
    const leg = m.transaction && legInto(trace, m.transaction);
    if (!leg) continue;
    const before = paths(leg.in.request);
    const after = paths(m);
    if (after.length < before.length || !sameUriList(after.slice(after.length - before.length), before)) {
      out.push(finding(pth02, `proxy ${m.from} forwarded REGISTER with Path ${listText(after)}; the received ${listText(before)} must stay below its own entry`, m.index, leg.in.request.index));
    }
  }
  return out;
});

const pth03 = rule('PTH-03', 'MUST', 'RFC 3327 §5.3', 'A registrar echoes the Path list in the 200', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'REGISTER' || !hasTag(t.request, 'supported', 'path')) continue;
    const ok = t.responses.find((r) => r.status! >= 200 && r.status! < 300 && r.message.has('path'));
    if (!ok) continue;
    const want = paths(t.request);
    const got = paths(ok);
    if (!sameUriList(got, want)) out.push(finding(pth03, `${ok.label} returns Path ${listText(got)}, the REGISTER carried ${listText(want)}`, ok.index, t.request.index));
  }
  return out;
});

const pth04 = rule('PTH-04', 'MUST', 'RFC 3327 §5.3', 'Requests to a registered contact follow its Path', (trace) => {
  const out: Finding[] = [];
  const stored: Array<{ contact: NameAddr; path: NameAddr[]; registrar: string; at: TraceMessage }> = [];
  for (const t of trace.transactions) {
    if (t.method !== 'REGISTER' || !paths(t.request).length) continue;
    const ok = t.responses.find((r) => r.status! >= 200 && r.status! < 300);
    if (!ok || !ok.message.has('path')) continue;
    for (const c of t.request.message.contacts) stored.push({ contact: c, path: paths(t.request), registrar: canonicalIp(t.request.dst.ip), at: ok });
  }
  if (!stored.length) return out;
  // By registrar and contact, each group in the order of `stored`: the last one that fits is the one used.
  const byTarget = new Map<string, typeof stored>();
  for (const x of stored) {
    const k = `${x.registrar}\n${uriKey(x.contact.uri)}`;
    const list = byTarget.get(k);
    if (list) list.push(x);
    else byTarget.set(k, [x]);
  }
  for (const m of trace.messages) {
    if (!isRequest(m) || m.retransmission || toTagOf(m) !== undefined || m.method === 'REGISTER' || m.message.kind !== 'request') continue;
    const uri = m.message.uri;
    const cands = byTarget.get(`${canonicalIp(m.src.ip)}\n${uriKey(uri)}`) ?? [];
    let s: (typeof stored)[number] | undefined;
    for (let i = cands.length - 1; i >= 0 && !s; i--) {
      const x = cands[i];
      if (x.at.index < m.index && x.registrar === canonicalIp(m.src.ip) && sameUri(x.contact.uri, uri)) s = x;
    }
    if (s && !sameUriList(m.message.routes, s.path)) out.push(finding(pth04, `${m.method} to registered contact <${s.contact.uriText}> has Route ${listText(m.message.routes)}, the stored Path is ${listText(s.path)}`, m.index, s.at.index));
  }
  return out;
});

const pth05 = rule('PTH-05', 'MUST', 'RFC 3327 §5.3', 'REGISTER with Require: path at a registrar without Path support is answered 420', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'REGISTER' || !hasTag(t.request, 'require', 'path') || !paths(t.request).length) continue;
    const ok = t.responses.find((r) => r.status! >= 200 && r.status! < 300);
    if (ok && !ok.message.has('path')) out.push(finding(pth05, `REGISTER with Require: path was accepted (${ok.label}) without Path in the response: a registrar without Path support must answer 420`, ok.index, t.request.index));
  }
  return out;
});

const ob01 = rule('OB-01', 'MUST', 'RFC 5626 §4.2', 'An outbound REGISTER has +sip.instance, reg-id and Supported: outbound', (trace) => {
  const out: Finding[] = [];
  for (const m of registers(trace)) {
    const c = m.message.contacts.find((x) => x.params.has('reg-id'));
    if (!c) continue;
    if (!hasTag(m, 'supported', 'outbound')) out.push(finding(ob01, `REGISTER Contact <${c.uriText}> has reg-id but the request lacks Supported: outbound`, m.index));
    const inst = c.params.list.find((p) => p.name.toLowerCase() === '+sip.instance')?.value;
    if (inst !== undefined && !/^"<[^>]+>"$/.test(inst)) out.push(finding(ob01, `REGISTER Contact +sip.instance=${inst} is not a quoted "<URN>"`, m.index));
  }
  return out;
});

const ob02 = rule('OB-02', 'MUST', 'RFC 5626 §4.2', 'reg-id never appears without +sip.instance', (trace) => {
  const out: Finding[] = [];
  for (const m of trace.messages) {
    if (!isRequest(m) || m.retransmission) continue;
    for (const c of m.message.contacts) if (c.params.has('reg-id') && !c.params.has('+sip.instance')) out.push(finding(ob02, `${m.method} Contact <${c.uriText}> has reg-id=${c.params.get('reg-id')} without +sip.instance`, m.index));
  }
  return out;
});

const ob03 = rule('OB-03', 'MUST', 'RFC 5626 §6', 'A registrar doing outbound returns Require: outbound', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    if (t.method !== 'REGISTER' || !t.request.message.contacts.some((c) => c.params.has('reg-id'))) continue;
    const ok = t.responses.find((r) => r.status! >= 200 && r.status! < 300);
    // Supported: outbound in the 2xx shows the registrar knows the extension, so it applied it.
    if (ok && hasTag(ok, 'supported', 'outbound') && !hasTag(ok, 'require', 'outbound')) out.push(finding(ob03, `${ok.label} to an outbound REGISTER (reg-id) announces Supported: outbound but lacks Require: outbound`, ok.index, t.request.index));
  }
  return out;
});

const ob04 = rule('OB-04', 'SHOULD', 'RFC 5626 §5.1', 'The edge proxy\'s Path URI carries ob', (trace) => {
  const out: Finding[] = [];
  for (const m of registers(trace)) {
    if (!m.message.contacts.some((c) => c.params.has('reg-id'))) continue;
    const p = paths(m);
    const edge = p[p.length - 1];
    if (edge && edge.uri?.kind === 'sip' && !edge.uri.params.has('ob')) out.push(finding(ob04, `edge proxy Path <${edge.uriText}> of an outbound REGISTER has no ob parameter`, m.index));
  }
  return out;
});

const ob08 = rule('OB-08', 'SHOULD', 'RFC 5626 §4.3', 'Dialog-forming requests of an outbound UA have ;ob in the Contact URI', (trace) => {
  const out: Finding[] = [];
  const outboundUas = new Map<string, TraceMessage>();
  for (const t of trace.transactions) {
    if (t.method !== 'REGISTER' || !t.request.message.contacts.some((c) => c.params.has('reg-id'))) continue;
    const ok = finalResponse(t);
    if (ok && ok.status! < 300 && hasTag(ok, 'require', 'outbound')) outboundUas.set(`${canonicalIp(t.request.src.ip)}|${t.request.src.port}`, ok);
  }
  for (const m of trace.messages) {
    if (!isRequest(m) || m.retransmission || !['INVITE', 'SUBSCRIBE', 'REFER'].includes(m.method!) || toTagOf(m) !== undefined || !fromOriginator(m)) continue;
    const reg = outboundUas.get(`${canonicalIp(m.src.ip)}|${m.src.port}`);
    const c = m.message.contacts[0];
    if (reg && reg.index < m.index && c?.uri?.kind === 'sip' && !c.uri.params.has('ob')) out.push(finding(ob08, `${m.method} from an outbound-registered UA has Contact <${c.uriText}> without ;ob`, m.index, reg.index));
  }
  return out;
});

export const REGISTRATION_RULES: Rule[] = [reg01, reg02, reg03, reg04, reg05, reg06, reg07, reg08, pth01, pth02, pth03, pth04, pth05, ob01, ob02, ob03, ob04, ob08].map((r) => acrossCalls(r, 'a UA\'s registrations, bindings and Path reach across calls (each REGISTER may have its own Call-ID)'));
