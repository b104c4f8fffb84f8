/**
 * The PRACK suite's calls, each returning the test's trace: bob (or two bobs, for a forked call) registers and
 * waits with one of callee.ts's scenarios, alice calls him through the target with one of caller.ts's.
 * Through a proxy, alice's INVITE reaches bob as it is; through a PBX (a B2BUA) she is challenged first and
 * the PBX calls bob on a leg of its own.
 */
import type { Lab } from '../../src/lab/fixture.js';
import { registerParty, settle } from '../calls/parties.js';
import { calleeWithout100rel, reliableCallee, type ReliableCalleeOptions } from './callee.js';
import { forkedCallerThenCancel, reliableCaller, requiringCaller, type CallerOptions, type ReliableCallOptions } from './caller.js';

export type Via = 'proxy' | 'pbx';

/** alice's side of the call, for the target in the middle (the PBX knows her by her account, and challenges). */
function callerBase(lab: Lab, via: Via): CallerOptions {
  const bob = lab.account(1);
  const common = { to: bob.user, domain: lab.target.domain, t1Ms: lab.plan.t1Ms };
  return via === 'pbx' ? { ...common, from: lab.account(0).user, fromDomain: lab.target.domain, auth: true } : common;
}

function aliceSipp(lab: Lab, via: Via, label: string, s: Parameters<Lab['sipp']>[0]) {
  const sipp = lab.sipp(s, { party: 'alice', label });
  const alice = lab.account(0);
  return via === 'pbx' ? sipp.withAuth(alice.authUser ?? alice.user, alice.password) : sipp;
}

export interface ReliableCallFlow {
  via: Via;
  caller?: Pick<ReliableCallOptions, 'require100rel' | 'prackAfterMs' | 'update' | 'holdMs'>;
  /** bob expects the UPDATE alice sends through a proxy (a PBX answers it itself). */
  callee?: Omit<ReliableCalleeOptions, 't1Ms' | 'then' | 'update'>;
}

/**
 * bob answers with a reliable 183, alice PRACKs it (after `prackAfterMs`), optionally UPDATEs, and the call is
 * answered and hung up. bob answers a T1 after the PRACK's 200: sent back to back, the two 200s could cross in
 * a proxy's parallel workers, and alice's SIPp would take the INVITE's for the PRACK's.
 */
export async function reliableCall(lab: Lab, f: ReliableCallFlow) {
  const bob = lab.account(1);
  await registerParty(lab, 'bob', bob);
  const uas = await lab.sipp(reliableCallee({ t1Ms: lab.plan.t1Ms, then: 'answer', update: f.via === 'proxy' && f.caller?.update, answerAfterMs: lab.plan.t1Ms, ...f.callee }), { party: 'bob', label: 'reliable-183' }).withService(bob.user).start();
  await aliceSipp(lab, f.via, 'reliable-call', reliableCaller({ ...callerBase(lab, f.via), ...f.caller })).run();
  await settle(lab, uas);
  return lab.trace();
}

/** bob does not implement 100rel; alice's INVITE requires it. */
export async function requireRejected(lab: Lab) {
  const bob = lab.account(1);
  await registerParty(lab, 'bob', bob);
  const uas = await lab.sipp(calleeWithout100rel(lab.plan.t1Ms), { party: 'bob', label: 'no-100rel' }).withService(bob.user).start();
  await aliceSipp(lab, 'proxy', 'require-100rel', requiringCaller(callerBase(lab, 'proxy'))).run();
  await settle(lab, uas);
  return lab.trace();
}

/** The two parties of a forked call: bob's first and second registered contacts. */
export const BRANCHES = ['bob', 'bob-2'] as const;

/**
 * bob is registered from two contacts; each sends a reliable 183 (the second a few T1 later, so the ladder
 * reads in order); alice PRACKs both, then CANCELs.
 */
export async function forkedCallCancelled(lab: Lab) {
  const bob = lab.account(1);
  for (const b of BRANCHES) await registerParty(lab, b, bob);
  const t1Ms = lab.plan.t1Ms;
  const uases = await Promise.all(
    BRANCHES.map((b, i) => lab.sipp(reliableCallee({ t1Ms, then: 'cancelled', delayMs: i * 3 * t1Ms, name: `reliable-183-${b}` }), { party: b, label: `reliable-183-${b}` }).withService(bob.user).start()),
  );
  await aliceSipp(lab, 'proxy', 'forked-prack-cancel', forkedCallerThenCancel(callerBase(lab, 'proxy'))).run();
  for (const u of uases) await settle(lab, u);
  return lab.trace();
}
