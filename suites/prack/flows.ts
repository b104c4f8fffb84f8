/**
 * The PRACK suite's calls, each returning the test's trace: bob (or two bobs, for a forked call) registers and
 * answers reliably, alice calls him through the target and PRACKs. Through a proxy, alice's INVITE reaches
 * bob as it is; through a PBX (a B2BUA) she calls as her account, is challenged first, and the PBX calls bob
 * on a leg of its own.
 */
import type { Lab } from '../../src/lab/fixture.js';
import type { AnswerOptions, SdpSpec } from '../../src/ua/index.js';

export type Via = 'proxy' | 'pbx';

/** The renegotiation in the early dialog moves from PCMU to PCMA, a change the trace can see. */
export const PCMA = 8;
const NEW_OFFER: SdpSpec = { codecs: ['PCMA'] };

export interface ReliableCallFlow {
  via: Via;
  caller?: { require100rel?: boolean; prackAfterMs?: number; update?: boolean; holdMs?: number };
  callee?: Pick<AnswerOptions, 'answerAfterMs'>;
}

/** alice calls as her account, answering a challenge from the proxy or the PBX as a phone does. */
function alice(lab: Lab) {
  return lab.ua('alice', lab.account(0));
}

/**
 * bob answers with a reliable 183, alice PRACKs it (after `prackAfterMs`), optionally UPDATEs, and the call is
 * answered and hung up. bob answers a T1 after the PRACK's 200: sent back to back, the two 200s could cross in
 * a proxy's parallel workers, and alice would take the INVITE's for the PRACK's.
 */
export async function reliableCall(lab: Lab, f: ReliableCallFlow) {
  const bob = lab.ua('bob', lab.account(1));
  await bob.register();
  // Through a proxy the UPDATE reaches bob, who answers it; a PBX answers it itself.
  const earlyUpdate = f.via === 'proxy' && f.caller?.update ? NEW_OFFER : undefined;
  const answering = await bob.answer({ reliable: true, answerAfterMs: lab.plan.t1Ms, earlyUpdate, ...f.callee }).start();
  const call = alice(lab).call(bob, { reliable: f.caller?.require100rel ? 'required' : 'supported' }).prack({ afterMs: f.caller?.prackAfterMs });
  if (f.caller?.update) call.update(NEW_OFFER);
  await call.bye({ afterMs: f.caller?.holdMs }).run();
  await answering.settle();
  return lab.trace();
}

/** bob does not implement 100rel; alice's INVITE requires it. */
export async function requireRejected(lab: Lab) {
  const bob = lab.ua('bob', lab.account(1));
  await bob.register();
  const answering = await bob.answer({ without100rel: true }).start();
  await lab.ua('alice', lab.account(0)).call(bob, { reliable: 'required', expect: 'either' }).bye().run();
  await answering.settle();
  return lab.trace();
}

/** The two parties of a forked call: bob's first and second registered contacts. */
export const BRANCHES = ['bob', 'bob-2'] as const;

/**
 * bob is registered from two contacts; each sends a reliable 183 (the second a few T1 later, so the ladder
 * reads in order); alice PRACKs both, then CANCELs.
 */
export async function forkedCallCancelled(lab: Lab) {
  const phones = BRANCHES.map((b) => lab.ua(b, lab.account(1)));
  for (const p of phones) await p.register();
  const t1Ms = lab.plan.t1Ms;
  const answering = await Promise.all(phones.map((p, i) => p.answer({ reliable: true, noAnswer: true, ringAfterMs: i * 3 * t1Ms }).start()));
  await lab.ua('alice', lab.account(0)).call(phones[0], { reliable: 'supported' }).prack({ dialogs: 2 }).cancel().run();
  for (const a of answering) await a.settle();
  return lab.trace();
}
