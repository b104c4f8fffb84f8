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
import { answering, calling, registerParty, settle } from './parties.js';

/** bob registers with proxyB and answers; alice calls bob@<other domain> through the target; returns the trace. */
async function aliceCallsBobAcrossDomains(lab: Lab): Promise<Trace> {
  const bob = lab.account(1);
  const peer = lab.target.peer!;
  await registerParty(lab, 'bob', bob, { hostPort: peer.hostPort, domain: peer.domain });
  const uas = await answering(lab, 'bob', bob);
  await calling(lab, 'alice', bob.user, 50, peer.domain, lab.account(0));
  await settle(lab, uas);
  return lab.trace();
}

const uriOf = (m: TraceMessage | undefined) => (m?.message.kind === 'request' ? m.message.uri?.raw : undefined);
/** A Via's identity: what a proxy may not change (it may add received/rport to the one it got the request from). */
const viaKey = (v: Via) => `${v.transport} ${v.host}:${v.port ?? 5060};branch=${v.branch}`;
const vias = (m: TraceMessage) => m.message.vias.map(viaKey);
const isInvite = (m: TraceMessage) => m.message.cseq?.method === 'INVITE';
const hostOf = (uriText: string) => /^<?sips?:(?:[^@>]*@)?([^;:>]+)/.exec(uriText)?.[1];

/** The INVITE on each hop, and the 2xx on each hop (as sent back towards alice). */
function hops(trace: Trace) {
  const atA = trace.first({ method: 'INVITE', from: 'alice', to: 'proxyA' });
  const atB = trace.first({ method: 'INVITE', from: 'proxyA', to: 'proxyB' });
  const atBob = trace.first({ method: 'INVITE', from: 'proxyB', to: 'bob' });
  expect({ aliceToA: !!atA, aToB: !!atB, bToBob: !!atBob }).toEqual({ aliceToA: true, aToB: true, bToBob: true });
  const okFromBob = trace.first({ status: 200, from: 'bob', to: 'proxyB', where: isInvite })!;
  const okToA = trace.first({ status: 200, from: 'proxyB', to: 'proxyA', where: isInvite })!;
  const okToAlice = trace.first({ status: 200, from: 'proxyA', to: 'alice', where: isInvite })!;
  expect({ okFromBob: !!okFromBob, okToA: !!okToA, okToAlice: !!okToAlice }).toEqual({ okFromBob: true, okToA: true, okToAlice: true });
  return { atA: atA!, atB: atB!, atBob: atBob!, okFromBob, okToA, okToAlice };
}

describeLab('Inter-domain call through two proxies (RFC 3261 §16)', { suite: 'calls', roles: ['registrar', 'proxy'], targetParty: 'proxyA', peerParty: 'proxyB' }, (lab) => {
  lab.test('the Request-URI crosses proxyA unchanged and proxyB retargets it to bob\'s binding; each proxy pushes its Via and pops it off the responses — RFC 3261 §16.5, §16.6, §16.7', { rfc: ['RFC 3261 §16.5', 'RFC 3261 §16.6', 'RFC 3261 §16.7'] }, async () => {
    const trace = await aliceCallsBobAcrossDomains(lab);
    expect(trace).toHaveFlow(['alice -> proxyA INVITE', 'proxyA -> proxyB INVITE', 'proxyB -> bob INVITE', 'bob -> proxyB 200', 'proxyB -> proxyA 200', 'proxyA -> alice 200'], { subsequence: true });
    const { atA, atB, atBob, okFromBob, okToA, okToAlice } = hops(trace);
    const peer = lab.target.peer!;

    // proxyA is not responsible for the domain: the target set is the Request-URI itself (§16.5).
    expect(uriOf(atA)).toBe(`sip:${lab.account(1).user}@${peer.domain}`);
    expect(uriOf(atB)).toBe(uriOf(atA));
    // proxyB is: it replaces the Request-URI with the registered Contact (§16.6 step 2).
    const register = trace.last({ method: 'REGISTER', from: 'bob', to: 'proxyB' })!;
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

  lab.test('both proxies record-route: bob sees proxyB\'s Record-Route above proxyA\'s, and the 2xx brings both back to alice — RFC 3261 §16.6 step 4, §12.1.1', { rfc: ['RFC 3261 §16.6', 'RFC 3261 §12.1.1'] }, async () => {
    const trace = await aliceCallsBobAcrossDomains(lab);
    const { atA, atB, atBob, okFromBob, okToAlice } = hops(trace);
    const rr = (m: TraceMessage) => m.message.recordRoutes.map((r) => r.uriText);
    expect(rr(atA)).toEqual([]);
    // proxyA, the first to record-route, on its hop to proxyB.
    expect(rr(atB).map(hostOf)).toEqual([lab.target.host]);
    // proxyB adds its own above: the order is the path back (§16.6 step 4).
    expect(rr(atBob).map(hostOf)).toEqual([lab.target.peer!.host, lab.target.host]);
    expect(rr(atBob).slice(1)).toEqual(rr(atB));
    for (const uri of rr(atBob)) expect(uri).toMatch(/;lr\b/);
    // The callee copies the Record-Route set into its 2xx, and neither proxy alters it on the way back (§12.1.1).
    expect(rr(okFromBob)).toEqual(rr(atBob));
    expect(rr(okToAlice)).toEqual(rr(atBob));
  });

  lab.test('ACK and BYE carry the route set proxyA, proxyB; each proxy removes its own Route and the Request-URI stays bob\'s Contact — RFC 3261 §12.2.1.1, §16.4, §16.12', { rfc: ['RFC 3261 §12.2.1.1', 'RFC 3261 §16.4', 'RFC 3261 §16.12'] }, async () => {
    const trace = await aliceCallsBobAcrossDomains(lab);
    const { okToAlice } = hops(trace);
    const routeSet = okToAlice.message.recordRoutes.map((r) => r.uriText).reverse();
    const contact = okToAlice.message.contacts[0]?.uri?.raw;
    expect(routeSet.map(hostOf)).toEqual([lab.target.host, lab.target.peer!.host]);
    const routes = (m: TraceMessage) => m.message.routes.map((r) => r.uriText);
    for (const method of ['ACK', 'BYE']) {
      const fromAlice = trace.first({ method, from: 'alice', to: 'proxyA' });
      const viaA = trace.first({ method, from: 'proxyA', to: 'proxyB' });
      const viaB = trace.first({ method, from: 'proxyB', to: 'bob' });
      expect({ method, hops: [!!fromAlice, !!viaA, !!viaB] }).toEqual({ method, hops: [true, true, true] });
      // alice's route set is the Record-Route of the 2xx, reversed (§12.1.2), and her Request-URI bob's Contact.
      expect({ method, route: routes(fromAlice!) }).toEqual({ method, route: routeSet });
      expect({ method, route: routes(viaA!) }).toEqual({ method, route: routeSet.slice(1) });
      expect({ method, route: routes(viaB!) }).toEqual({ method, route: [] });
      for (const m of [fromAlice!, viaA!, viaB!]) expect({ method, hop: `${m.from} -> ${m.to}`, uri: uriOf(m) }).toEqual({ method, hop: `${m.from} -> ${m.to}`, uri: contact });
    }
    const bye = trace.first({ method: 'BYE', from: 'alice' })!;
    expect(bye).toBeAnsweredWith(200);
  });
});
