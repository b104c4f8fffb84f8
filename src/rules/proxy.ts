/**
 * PRX-*: proxy behaviour (RFC 3261 §16, §18.2, RFC 3581). Most of these compare the two legs of a proxy, so
 * they only speak when the capture saw both (see requestLegs); the transport rules (PRX-18..20) read one hop.
 */
import { isIP } from 'node:net';
import type { Endpoint } from '../capture/types.js';
import type { Trace, TraceMessage } from '../trace/trace.js';
import {
  COOKIE, canonicalIp, finalResponse, isIpLiteral, isRequest, legsFrom, listText, lr, requestLegs, responseLegs,
  sameEndpoint, sameUri, sameUriList, traceEnd, viaSame, type Leg,
} from './common.js';
import { callIdOf, cseqOf, fromTagOf, groupBy, memo, toTagOf } from './index-cache.js';
import { acrossCalls, finding, rule, ruleOnce, type Finding, type Rule } from './types.js';

const prx01 = rule('PRX-01', 'MUST', 'RFC 3261 §16.6 item 3', 'A forwarded request has Max-Forwards one less (70 if it had none)', (trace) => {
  const out: Finding[] = [];
  for (const { in: a, out: b } of requestLegs(trace)) {
    const mi = a.request.message.maxForwards;
    const mo = b.request.message.maxForwards;
    const want = mi === undefined ? 70 : mi - 1;
    if (mo !== want) out.push(finding(prx01, `proxy ${b.request.from} forwarded ${b.method} with Max-Forwards ${mo ?? '(none)'}, received ${mi ?? '(none)'}: expected ${want}`, b.request.index, a.request.index));
  }
  return out;
});

const prx02 = rule('PRX-02', 'MUST', 'RFC 3261 §16.3 item 3', 'A request with Max-Forwards 0 is not forwarded', (trace) => {
  const out: Finding[] = [];
  for (const { in: a, out: b } of requestLegs(trace)) {
    if (a.request.message.maxForwards === 0) out.push(finding(prx02, `proxy ${b.request.from} forwarded a ${a.method} that arrived with Max-Forwards 0; it should have answered 483`, b.request.index, a.request.index));
  }
  return out;
});

const prx03 = rule('PRX-03', 'MUST', 'RFC 3261 §16.6 item 8', 'A proxy pushes its own Via with a fresh z9hG4bK branch', (trace) => {
  const out: Finding[] = [];
  for (const { in: a, out: b } of requestLegs(trace)) {
    const top = b.request.message.topVia;
    const br = top?.branch ?? '';
    if (!br.startsWith(COOKIE)) out.push(finding(prx03, `proxy ${b.request.from} added Via ${top?.raw} whose branch lacks ${COOKIE}`, b.request.index, a.request.index));
    else if (br === a.request.message.branch) out.push(finding(prx03, `proxy ${b.request.from} reused the incoming branch ${br} in its own Via`, b.request.index, a.request.index));
  }
  // A relay that adds no Via: the same Via stack leaves the element it arrived at, for another destination.
  const firsts = trace.messages.filter((m) => isRequest(m) && !m.retransmission && m.method !== 'ACK' && m.method !== 'CANCEL');
  // Candidates share Call-ID, CSeq number and method, and arrived at the address b leaves from.
  const key = (m: TraceMessage, ip: string) => `${callIdOf(m)}\n${cseqOf(m)?.seq}\n${m.method}\n${canonicalIp(ip)}`;
  const byArrival = groupBy(firsts, (x) => key(x, x.dst.ip));
  for (const b of firsts) {
    let a: TraceMessage | undefined;
    for (const x of byArrival.get(key(b, b.src.ip)) ?? []) {
      if (x.index >= b.index) break;
      if (canonicalIp(x.dst.ip) === canonicalIp(b.src.ip) && !sameEndpoint(x.src, b.dst)
        && callIdOf(x) === callIdOf(b) && cseqOf(x)?.seq === cseqOf(b)?.seq && x.method === b.method
        && x.message.vias.length === b.message.vias.length && x.message.vias.every((v, i) => viaSame(v, b.message.vias[i]))) { a = x; break; }
    }
    if (a) out.push(finding(prx03, `${b.method} relayed by ${b.from} to ${b.to} without a Via of its own (same Via stack as received from ${a.from})`, b.index, a.index));
  }
  return out;
});

const prx04 = rule('PRX-04', 'MUST', 'RFC 3261 §16.7 item 3', 'A proxy removes its own Via from responses it forwards', (trace) => {
  const out: Finding[] = [];
  for (const leg of requestLegs(trace)) {
    const proxy = leg.out.request.src;
    // A response still topped by the proxy's Via belongs to the downstream transaction while travelling upstream.
    for (const r of leg.out.responses) {
      if (r.retransmission || !(canonicalIp(r.src.ip) === canonicalIp(proxy.ip) && sameEndpoint(r.dst, leg.in.request.src))) continue;
      out.push(finding(prx04, `proxy ${r.from} forwarded ${r.label} upstream with its own Via ${r.message.topVia?.raw} still on top`, r.index, leg.out.request.index));
    }
  }
  for (const p of responseLegs(trace).pairs) {
    const want = p.in.message.vias.slice(1);
    const got = p.out.message.vias;
    if (got.length !== want.length || got.some((v, i) => !viaSame(v, want[i]))) {
      out.push(finding(prx04, `proxy ${p.out.from} forwarded ${p.out.label} with Via ${got.map((v) => v.raw).join(' | ')}, expected the received list minus its own: ${want.map((v) => v.raw).join(' | ')}`, p.out.index, p.in.index));
    }
  }
  return out;
});

/**
 * The proxy had received a 2xx on some branch of the request before `r`, or within the slack after it:
 * forwarding that 2xx ends its server transaction (RFC 3261 §17.2.1), so a provisional racing it on another
 * branch has nowhere to go. A proxy handles its branches' responses in parallel (Kamailio, one process per
 * TCP connection), so which of two that came within a millisecond it handled first, the wire can't say.
 */
function got2xxBefore(trace: Trace, leg: Leg, r: TraceMessage, slack: number): boolean {
  return requestLegs(trace).some((l) => l.in === leg.in && l.out.responses.some((x) => x.status! >= 200 && x.status! < 300 && (x.index < r.index || x.time - r.time <= slack)));
}

const prx05 = ruleOnce('PRX-05', 'MUST', 'RFC 3261 §16.7 item 5', 'Provisional responses (not 100) and every 2xx are forwarded upstream', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const { in: r, leg } of responseLegs(trace).unmatched) {
    if (end - r.time < 2 * ctx.t1) continue;
    const sentFinal = leg.in.responses.find((u) => u.status! >= 200 && u.index < r.index);
    if (r.status! < 200 && !r.retransmission && !sentFinal && !got2xxBefore(trace, leg, r, ctx.slack)) {
      out.push(finding(prx05, `proxy ${leg.out.request.from} received ${r.label} (To tag ${toTagOf(r) ?? 'none'}) but did not forward it upstream`, leg.out.request.index, r.index));
    } else if (r.status! >= 200 && r.status! < 300) {
      const n = leg.out.responses.filter((x) => x.status === r.status).length;
      const m = leg.in.responses.filter((x) => x.status === r.status).length;
      out.push(finding(prx05, `proxy ${leg.out.request.from} received ${r.label}${r.retransmission ? ' (a retransmission)' : ''} and did not forward it: ${n} received, ${m} sent upstream; every 2xx goes upstream`, leg.out.request.index, r.index));
    }
  }
  return out;
});

const prx06 = rule('PRX-06', 'SHOULD', 'RFC 3261 §16.7 item 6', 'A downstream 503 is not relayed as is', (trace) => {
  const out: Finding[] = [];
  for (const p of responseLegs(trace).pairs) {
    if (p.in.status === 503 && p.out.status === 503 && !p.out.retransmission) out.push(finding(prx06, `proxy ${p.out.from} relayed 503 upstream; as the best response it should become 500`, p.out.index, p.in.index));
  }
  return out;
});

const prx07 = rule('PRX-07', 'SHOULD', 'RFC 3261 §16.7 item 5', 'A 6xx on one branch cancels the pending others', (trace, ctx) => {
  const out: Finding[] = [];
  const end = traceEnd(trace);
  for (const t of trace.transactions) {
    const legs = legsFrom(trace, t);
    if (legs.length < 2 || t.method !== 'INVITE') continue;
    for (const l of legs) {
      const six = l.out.responses.find((r) => r.status! >= 600);
      if (!six) continue;
      for (const o of legs) {
        if (o === l) continue;
        const pending = o.out.responses.some((r) => r.status! < 200 && r.index < six.index) && !o.out.responses.some((r) => r.status! >= 200 && r.index < six.index);
        if (pending && !o.out.cancel && end - six.time > 2 * ctx.t1) {
          out.push(finding(prx07, `proxy ${l.out.request.from} got ${six.label} on one branch but did not CANCEL the pending branch to ${o.out.server}`, o.out.request.index, six.index));
        }
      }
    }
  }
  return out;
});

const prx08 = rule('PRX-08', 'MUST', 'RFC 3261 §16.6 item 4', 'Record-Route URIs are SIP/SIPS URIs with lr', (trace) => {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const m of trace.messages) {
    if (!isRequest(m) || m.retransmission) continue;
    for (const rr of m.message.recordRoutes) {
      if (seen.has(rr.uriText)) continue;
      seen.add(rr.uriText);
      if (rr.uri?.kind !== 'sip') out.push(finding(prx08, `Record-Route <${rr.uriText}> is not a SIP or SIPS URI`, m.index));
      else if (!lr(rr)) out.push(finding(prx08, `Record-Route <${rr.uriText}> has no lr parameter (strict routing is RFC 2543 only)`, m.index));
    }
  }
  return out;
});

/** A Route entry naming this address (IP literal and port) names the element itself. */
function routeIsHere(uriHost: string, port: number | undefined, ips: string[], ports: number[]): boolean {
  if (!isIpLiteral(uriHost)) return false;
  return ips.includes(canonicalIp(uriHost)) && ports.includes(port ?? 5060);
}

const prx09 = rule('PRX-09', 'MUST', 'RFC 3261 §16.4', 'A loose router removes its own top Route entry', (trace) => {
  const out: Finding[] = [];
  for (const { in: a, out: b } of requestLegs(trace)) {
    const ips = [canonicalIp(a.request.dst.ip), canonicalIp(b.request.src.ip)];
    const ports = [a.request.dst.port, b.request.src.port];
    const top = b.request.message.routes[0];
    if (top?.uri?.kind === 'sip' && lr(top) && routeIsHere(top.uri.host, top.uri.port, ips, ports)) {
      out.push(finding(prx09, `proxy ${b.request.from} forwarded ${b.method} with its own address <${top.uriText}> still as the top Route (received: ${listText(a.request.message.routes)})`, b.request.index, a.request.index));
    }
  }
  return out;
});

const prx12 = rule('PRX-12', 'SHOULD', 'RFC 3261 §16.3 item 4', 'A looped request (unchanged) is answered 482', (trace) => {
  const out: Finding[] = [];
  const legs = requestLegs(trace);
  // Legs by the branches in the Via stack of the request arriving at them, each leg once, in leg order.
  const byViaBranch = new Map<string | undefined, Leg[]>();
  for (const l2 of legs) {
    const seen = new Set<string | undefined>();
    for (const v of l2.in.request.message.vias) {
      if (seen.has(v.branch)) continue;
      seen.add(v.branch);
      const list = byViaBranch.get(v.branch);
      if (list) list.push(l2);
      else byViaBranch.set(v.branch, [l2]);
    }
  }
  for (const l1 of legs) {
    const branch = l1.out.request.message.branch;
    for (const l2 of byViaBranch.get(branch) ?? []) {
      if (l2.in === l1.in || l2.in.request.index <= l1.out.request.index) continue;
      const back = l2.in.request;
      // It came back through the same proxy, with that proxy's earlier Via in its stack and nothing changed.
      if (canonicalIp(back.dst.ip) !== canonicalIp(l1.out.request.src.ip) || !back.message.vias.some((v) => v.branch === branch)) continue;
      const a = l1.in.request.message;
      const b = back.message;
      if (a.kind !== 'request' || b.kind !== 'request' || !sameUri(a.uri, b.uri) || !sameUriList(a.routes, b.routes)) continue;
      out.push(finding(prx12, `${back.method} looped back to proxy ${back.to} unchanged (its earlier branch ${branch} is in the Via stack) and was forwarded again instead of answered 482`, l2.out.request.index, back.index, l1.in.request.index));
    }
  }
  return out;
});

const prx13 = rule('PRX-13', 'SHOULD', 'RFC 3261 §16.2', 'A stateful proxy sends 100 for INVITE and no 100 for other methods', (trace) => {
  const out: Finding[] = [];
  for (const { in: a, out: b } of requestLegs(trace)) {
    if (a.method === 'INVITE' || a.method === 'ACK') continue;
    const hundred = a.responses.find((r) => r.status === 100 && canonicalIp(r.src.ip) === canonicalIp(b.request.src.ip));
    if (hundred) out.push(finding(prx13, `proxy ${hundred.from} sent 100 Trying for a ${a.method}; a stateful proxy sends 100 only for INVITE`, hundred.index, a.request.index));
  }
  return out;
});

const prx14 = rule('PRX-14', 'MUST', 'RFC 3261 §16.6 item 1, §12', 'A proxy keeps Call-ID, tags and CSeq of what it forwards', (trace) => {
  const out: Finding[] = [];
  for (const { in: a, out: b } of requestLegs(trace)) {
    const x = a.request.message;
    const y = b.request.message;
    const diffs: string[] = [];
    if (fromTagOf(a.request) !== fromTagOf(b.request)) diffs.push(`From tag ${y.fromTag} (received ${x.fromTag})`);
    if (toTagOf(a.request) !== toTagOf(b.request)) diffs.push(`To tag ${y.toTag ?? '(none)'} (received ${x.toTag ?? '(none)'})`);
    if (diffs.length) out.push(finding(prx14, `proxy ${b.request.from} forwarded ${b.method} with ${diffs.join(', ')}`, b.request.index, a.request.index));
  }
  for (const p of responseLegs(trace).pairs) {
    const x = p.in.message;
    const y = p.out.message;
    const diffs: string[] = [];
    if (callIdOf(p.in) !== callIdOf(p.out)) diffs.push(`Call-ID ${y.callId} (received ${x.callId})`);
    if (fromTagOf(p.in) !== fromTagOf(p.out)) diffs.push(`From tag ${y.fromTag} (received ${x.fromTag})`);
    if (toTagOf(p.in) !== toTagOf(p.out)) diffs.push(`To tag ${y.toTag ?? '(none)'} (received ${x.toTag ?? '(none)'})`);
    if (cseqOf(p.in)?.seq !== cseqOf(p.out)?.seq || cseqOf(p.in)?.method !== cseqOf(p.out)?.method) diffs.push(`CSeq ${y.get('cseq')} (received ${x.get('cseq')})`);
    if (diffs.length) out.push(finding(prx14, `proxy ${p.out.from} relayed ${p.out.label} upstream with ${diffs.join(', ')}`, p.out.index, p.in.index));
  }
  return out;
});

const prx15 = rule('PRX-15', 'MUST', 'RFC 3261 §16.7 item 9', 'Record-Route in responses goes upstream unchanged (but for the proxy\'s own entry)', (trace) => {
  const out: Finding[] = [];
  for (const p of responseLegs(trace).pairs) {
    const a = p.in.message.recordRoutes;
    const b = p.out.message.recordRoutes;
    if (!a.length && !b.length) continue;
    const reqIn = p.leg.in.request.message.recordRoutes;
    const reqOut = p.leg.out.request.message.recordRoutes;
    const own = reqOut.slice(0, Math.max(0, reqOut.length - reqIn.length));
    const bad = a.length !== b.length || a.some((r, i) => !sameUri(r.uri, b[i].uri) && !own.some((o) => sameUri(o.uri, r.uri)));
    if (bad) out.push(finding(prx15, `proxy ${p.out.from} relayed ${p.out.label} with Record-Route ${listText(b)}, received ${listText(a)}`, p.out.index, p.in.index));
  }
  return out;
});

const prx16 = rule('PRX-16', 'MUST', 'RFC 3261 §16.7 item 7', 'A forwarded 401/407 carries every branch\'s challenge', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    const legs = legsFrom(trace, t);
    const up = finalResponse(t);
    if (!legs.length || !up || (up.status !== 401 && up.status !== 407)) continue;
    const got = new Set([...up.message.getAll('www-authenticate'), ...up.message.getAll('proxy-authenticate')].map((v) => v.replace(/\s+/g, ' ')));
    for (const l of legs) {
      const down = l.out.responses.find((r) => (r.status === 401 || r.status === 407) && r.index < up.index);
      if (!down) continue;
      const missing = [...down.message.getAll('www-authenticate'), ...down.message.getAll('proxy-authenticate')].filter((v) => !got.has(v.replace(/\s+/g, ' ')));
      if (missing.length) out.push(finding(prx16, `proxy ${up.from} sent ${up.label} upstream without the challenge ${missing[0].slice(0, 80)} from its branch to ${l.out.server}`, up.index, down.index));
    }
  }
  return out;
});

const prx17 = rule('PRX-17', 'SHOULD', 'RFC 3261 §16.11', 'A retransmitted request is forwarded with the same branch', (trace, ctx) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    const legs = legsFrom(trace, t);
    if (legs.length < 2) continue;
    for (const c of t.requests.filter((x) => x.retransmission)) {
      const l2 = legs.find((l) => l.out.request.index > c.index && l.out.request.time - c.time < 2 * ctx.slack + 0.05);
      const l1 = l2 && legs.find((l) => l !== l2 && l.out.request.index < c.index && sameEndpoint(l.out.request.dst, l2.out.request.dst)
        && l.out.request.message.kind === 'request' && l2.out.request.message.kind === 'request' && sameUri(l.out.request.message.uri, l2.out.request.message.uri));
      if (l1 && l2) out.push(finding(prx17, `proxy ${l2.out.request.from} forwarded a retransmitted ${t.method} with a new branch ${l2.out.branch} (first copy went out with ${l1.out.branch})`, l2.out.request.index, c.index, l1.out.request.index));
    }
  }
  return out;
});

/** Responses at the hop of their request: the receiver's view of the request's source address. */
function hopResponses(trace: Trace): ReadonlyArray<{ req: TraceMessage; res: TraceMessage }> {
  return memo(trace, 'prx:hopResponses', () => {
    const out: Array<{ req: TraceMessage; res: TraceMessage }> = [];
    for (const t of trace.transactions) {
      const res = t.responses.find((r) => !r.retransmission && sameEndpoint(r.src, t.request.dst) && r.message.topVia);
      if (res && t.request.message.topVia) out.push({ req: t.request, res });
    }
    return out;
  });
}

const prx18 = rule('PRX-18', 'MUST', 'RFC 3261 §18.2.1', 'received= is added when the sent-by is a name or another address', (trace) => {
  const out: Finding[] = [];
  for (const { req, res } of hopResponses(trace)) {
    const v = req.message.topVia!;
    const src = canonicalIp(req.src.ip);
    if (v.host.includes(':') && !isIP(v.host)) continue; // an unbracketed IPv6 sent-by is SYN-11's
    const named = !isIpLiteral(v.host);
    if (!named && canonicalIp(v.host) === src) continue;
    if (res.message.topVia!.params.get('received') !== undefined) continue;
    // A NAT between the capture point and the server may have made the addresses agree: only a name is certain.
    const f = finding(prx18, `${res.label}: top Via sent-by ${v.host} ${named ? 'is a host name' : `is not the source address ${req.src.ip} seen here`}, yet no received parameter was added`, res.index, req.index);
    out.push(named ? f : { ...f, level: 'SHOULD' });
  }
  return out;
});

const prx19 = rule('PRX-19', 'MUST', 'RFC 3581 §4', 'An empty rport is filled in and the response goes to the source port', (trace) => {
  const out: Finding[] = [];
  const pairs = hopResponses(trace).filter(({ req }) => req.message.topVia!.params.get('rport') === '');
  // Servers that never fill rport may simply not implement RFC 3581: only those that do are held to it.
  const supports = new Set(pairs.filter(({ res }) => /^\d+$/.test(res.message.topVia!.params.get('rport') ?? '')).map(({ res }) => canonicalIp(res.src.ip)));
  for (const { req, res } of pairs) {
    const rv = res.message.topVia!.params;
    const rport = rv.get('rport');
    if (!supports.has(canonicalIp(res.src.ip))) continue;
    if (req.transport === 'udp' && res.dst.port !== req.src.port) {
      out.push(finding(prx19, `${res.label} sent to port ${res.dst.port}, but the request with rport came from port ${req.src.port}`, res.index, req.index));
      continue;
    }
    if (!rport) out.push(finding(prx19, `${res.label}: rport left empty by a server that fills it elsewhere (source port ${req.src.port})`, res.index, req.index));
    else if (rv.get('received') === undefined) out.push(finding(prx19, `${res.label}: rport=${rport} filled in without the received parameter RFC 3581 requires with it`, res.index, req.index));
  }
  return out;
});

function endpointKey(e: Endpoint): string {
  return JSON.stringify([canonicalIp(e.ip), e.port]);
}

/** The two endpoints of a message, in either direction. */
function connectionKey(a: Endpoint, b: Endpoint): string {
  const x = endpointKey(a);
  const y = endpointKey(b);
  return x < y ? `${x}${y}` : `${y}${x}`;
}

/** The index of the last message between each pair of endpoints (either direction). */
function lastOnConnection(trace: Trace): Map<string, number> {
  return memo(trace, 'prx:lastOnConnection', () => {
    const out = new Map<string, number>();
    for (const m of trace.messages) out.set(connectionKey(m.src, m.dst), m.index);
    return out;
  });
}

const prx20 = rule('PRX-20', 'MUST', 'RFC 3261 §18.2.2', 'Over a stream transport the response uses the request\'s connection', (trace) => {
  const out: Finding[] = [];
  for (const t of trace.transactions) {
    const req = t.request;
    if (req.transport === 'udp' || req.transport === 'sctp') continue;
    const res = t.responses.find((r) => !r.retransmission && canonicalIp(r.src.ip) === canonicalIp(req.dst.ip) && canonicalIp(r.dst.ip) === canonicalIp(req.src.ip));
    if (!res || (sameEndpoint(res.src, req.dst) && sameEndpoint(res.dst, req.src))) continue;
    // Only if the connection was demonstrably still open: something used it after the response.
    const open = (lastOnConnection(trace).get(connectionKey(req.src, req.dst)) ?? -1) > res.index;
    if (open) out.push(finding(prx20, `${res.label} went from port ${res.src.port} to ${res.dst.port}, not back on the ${req.transport.toUpperCase()} connection of the request (${req.src.port} → ${req.dst.port}), which stayed open`, res.index, req.index));
  }
  return out;
});

export const PROXY_RULES: Rule[] = [prx01, prx02, prx03, prx04, prx05, prx06, prx07, prx08, prx09, prx12, prx13, prx14, prx15, prx16, prx17, prx18, acrossCalls(prx19, 'a server is held to rport only if it fills it in elsewhere, in any call'), acrossCalls(prx20, 'whether a connection stayed open is seen from any call that used it later')];
