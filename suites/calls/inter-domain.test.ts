/**
 * Inter-domain call (exercise 3, two domains): alice of the target's domain calls bob of another domain. The
 * target (proxyA) is not responsible for bob's domain, so it forwards the request unchanged to that domain's
 * proxy (proxyB, run by the lab where the target routes the domain); proxyB finds bob's binding and retargets.
 * Both record-route, so the dialog's route set is proxyA, proxyB, and each proxy removes its own Route entry.
 */
import { expect } from '@jest/globals';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import type { Via } from '../../src/sip/headers/via.js';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';
import { canonicalIp } from '../../src/util/host.js';

/** bob registers with proxyB and answers; alice calls bob@<other domain> through the target; returns the trace. */
async function aliceCallsBobAcrossDomains(lab: Lab): Promise<Trace> {
  const peer = lab.peerDomain;
  const alice = lab.ua('alice', lab.account(0));
  const bob = lab.ua('bob', lab.account(1));
  await bob.register({ at: peer });
  const answering = await bob.answer().start();
  await alice.call(bob, { domain: peer.domain }).bye({ afterMs: 50 }).run();
  await answering.settle();
  return lab.trace();
}

const uriOf = (m: TraceMessage | undefined) => (m?.message.kind === 'request' ? m.message.uri?.raw : undefined);
/** A Via's identity: what a proxy may not change (it may add received/rport to the one it got the request from). */
const viaKey = (v: Via) => `${v.transport} ${v.host}:${v.port ?? 5060};branch=${v.branch}`;
const vias = (m: TraceMessage) => m.message.vias.map(viaKey);
/** A URI's host as the lab names hosts: an IPv6 reference without its brackets, in one form (RFC 5952). */
const hostOf = (uriText: string) => {
  const host = /^<?sips?:(?:[^@>]*@)?(\[[^\]]+\]|[^;:>]+)/.exec(uriText)?.[1];
  return host === undefined ? undefined : canonicalIp(host.replace(/^\[(.*)\]$/, '$1'));
};

/**
 * The proxies a Record-Route or route set names, in order. A proxy that receives on one transport and sends on
 * another may record-route twice, once for each (RFC 5658 §3): two entries in a row, one proxy.
 */
const proxiesOf = (uris: string[]) => uris.map(hostOf).filter((h, i, all) => i === 0 || h !== all[i - 1]);

/** How many entries at the top are `host`'s own (1, or 2 when it double record-routes). */
const leading = (uris: string[], host: string) => {
  const i = uris.findIndex((u) => hostOf(u) !== host);
  return i === -1 ? uris.length : i;
};

/** The INVITE on each hop, and the 2xx on each hop (as sent back towards alice). */
function hops(trace: Trace) {
  return {
    atA: trace.one({ method: 'INVITE', from: 'alice', to: 'proxyA' }),
    atB: trace.one({ method: 'INVITE', from: 'proxyA', to: 'proxyB' }),
    atBob: trace.one({ method: 'INVITE', from: 'proxyB', to: 'bob' }),
    okFromBob: trace.one({ status: 200, cseqMethod: 'INVITE', from: 'bob', to: 'proxyB' }),
    okToA: trace.one({ status: 200, cseqMethod: 'INVITE', from: 'proxyB', to: 'proxyA' }),
    okToAlice: trace.one({ status: 200, cseqMethod: 'INVITE', from: 'proxyA', to: 'alice' }),
  };
}

describeLab('Inter-domain call through two proxies (RFC 3261 §16)', { roles: ['registrar', 'proxy'], targetParty: 'proxyA', peerParty: 'proxyB' }, (lab) => {
  lab.test('the Request-URI crosses proxyA unchanged and proxyB retargets it to bob\'s binding; each proxy pushes its Via and pops it off the responses', { rfc: ['RFC 3261 §16.5', 'RFC 3261 §16.6', 'RFC 3261 §16.7'] }, async () => {
    const trace = await aliceCallsBobAcrossDomains(lab);
    expect(trace).toHaveFlow(['alice -> proxyA INVITE', 'proxyA -> proxyB INVITE', 'proxyB -> bob INVITE', 'bob -> proxyB 200', 'proxyB -> proxyA 200', 'proxyA -> alice 200'], { subsequence: true });
    const { atA, atB, atBob, okFromBob, okToA, okToAlice } = hops(trace);
    const peer = lab.peerDomain;

    // proxyA is not responsible for the domain: the target set is the Request-URI itself (§16.5).
    expect(uriOf(atA)).toBe(`sip:${lab.account(1).user}@${peer.domain}`);
    expect(uriOf(atB)).toBe(uriOf(atA));
    // proxyB is: it replaces the Request-URI with the registered Contact (§16.6 step 2).
    const register = trace.one({ method: 'REGISTER', from: 'bob', to: 'proxyB', where: (m) => m.message.has('Authorization') });
    expect(uriOf(atBob)).toBe(register.message.contacts[0]?.uri?.raw);

    // Each hop adds one Via on top, with its own address and a new branch, and keeps the rest (§16.6 step 8).
    expect(vias(atB).slice(1)).toEqual(vias(atA));
    expect(atB.message.vias[0].host).toBe(lab.target.host);
    expect(vias(atBob).slice(1)).toEqual(vias(atB));
    expect(atBob.message.vias[0].host).toBe(peer.host);
    expect(new Set([atA, atB, atBob].map((m) => m.message.branch)).size).toBe(3);
    expect(atB.message.maxForwards).toBe(atA.message.maxForwards! - 1);
    expect(atBob.message.maxForwards).toBe(atB.message.maxForwards! - 1);

    // Each proxy removes its own Via from the response before passing it on (§16.7 step 3).
    expect(vias(okFromBob)).toEqual(vias(atBob));
    expect(vias(okToA)).toEqual(vias(atB));
    expect(vias(okToAlice)).toEqual(vias(atA));
  });

  lab.test('both proxies record-route: bob sees proxyB\'s Record-Route above proxyA\'s, and the 2xx brings both back to alice', { rfc: ['RFC 3261 §16.6 step 4', 'RFC 3261 §12.1.1', 'RFC 5658 §3'] }, async () => {
    const trace = await aliceCallsBobAcrossDomains(lab);
    const { atA, atB, atBob, okFromBob, okToAlice } = hops(trace);
    const rr = (m: TraceMessage) => m.message.recordRoutes.map((r) => r.uriText);
    expect(rr(atA)).toEqual([]);
    // proxyA, the first to record-route, on its hop to proxyB.
    expect(proxiesOf(rr(atB))).toEqual([lab.target.host]);
    // proxyB adds its own above: the order is the path back (§16.6 step 4).
    expect(proxiesOf(rr(atBob))).toEqual([lab.peerDomain.host, lab.target.host]);
    expect(rr(atBob).slice(leading(rr(atBob), lab.peerDomain.host))).toEqual(rr(atB));
    for (const uri of rr(atBob)) expect(uri).toMatch(/;lr\b/);
    // The callee copies the Record-Route set into its 2xx, and neither proxy alters it on the way back (§12.1.1).
    expect(rr(okFromBob)).toEqual(rr(atBob));
    expect(rr(okToAlice)).toEqual(rr(atBob));
  });

  lab.test('ACK and BYE carry the route set proxyA, proxyB; each proxy removes its own Route and the Request-URI stays bob\'s Contact', { rfc: ['RFC 3261 §12.2.1.1', 'RFC 3261 §16.4', 'RFC 3261 §16.12'] }, async () => {
    const trace = await aliceCallsBobAcrossDomains(lab);
    const { okToAlice } = hops(trace);
    const routeSet = okToAlice.message.recordRoutes.map((r) => r.uriText).reverse();
    const contact = okToAlice.message.contacts[0]?.uri?.raw;
    expect(proxiesOf(routeSet)).toEqual([lab.target.host, lab.peerDomain.host]);
    const pastA = routeSet.slice(leading(routeSet, lab.target.host));
    const routes = (m: TraceMessage) => m.message.routes.map((r) => r.uriText);
    for (const method of ['ACK', 'BYE']) {
      const fromAlice = trace.one({ method, from: 'alice', to: 'proxyA' });
      const viaA = trace.one({ method, from: 'proxyA', to: 'proxyB' });
      const viaB = trace.one({ method, from: 'proxyB', to: 'bob' });
      // alice's route set is the Record-Route of the 2xx, reversed (§12.1.2), and her Request-URI bob's Contact.
      expect({ method, route: routes(fromAlice) }).toEqual({ method, route: routeSet });
      expect({ method, route: routes(viaA) }).toEqual({ method, route: pastA });
      expect({ method, route: routes(viaB) }).toEqual({ method, route: [] });
      for (const m of [fromAlice, viaA, viaB]) expect({ method, hop: `${m.from} -> ${m.to}`, uri: uriOf(m) }).toEqual({ method, hop: `${m.from} -> ${m.to}`, uri: contact });
    }
    expect(trace.one({ method: 'BYE', from: 'alice' })).toBeAnsweredWith(200);
  });
});
