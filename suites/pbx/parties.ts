/**
 * The PBX suite's user agents. Unlike a proxy, a PBX is a B2BUA that authenticates its own endpoints: alice's
 * INVITE is challenged and sent again with credentials, and the PBX calls bob on a leg of its own.
 */
import { uacCallScenario, uasScenario, type StartedSipp } from '../../drivers/sipp/index.js';
import type { Lab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';
import { registerParty, settle } from '../calls/parties.js';

export { registerParty, settle };

export interface PbxCallOptions {
  /** ms between the caller's ACK and its BYE. */
  holdMs?: number;
  /** 'remote': the caller waits for the PBX's BYE (the far end hung up) and answers it. */
  hangup?: 'local' | 'remote';
  /** The party placing the call (default alice, account 1). */
  party?: string;
}

/** `party` (account `caller`) calls `dialled` (a user or a feature's extension) through the PBX, authenticating. */
export function pbxCall(lab: Lab, caller: Account, dialled: string, o: PbxCallOptions = {}) {
  const party = o.party ?? 'alice';
  const s = uacCallScenario({ to: dialled, domain: lab.target.domain, from: caller.user, fromDomain: lab.target.domain, auth: true, holdMs: o.holdMs ?? 200, hangup: o.hangup, name: `call-${dialled}` });
  return lab.sipp(s, { party, label: `call-${dialled}` }).withAuth(caller.authUser ?? caller.user, caller.password).run();
}

/** bob's SIPp answering the PBX's INVITE; with hangup 'local' he ends the call himself after holdMs. */
export function answering(lab: Lab, party: string, account: Account, o: { hangup?: 'local' | 'remote'; holdMs?: number } = {}): Promise<StartedSipp> {
  const s = uasScenario({ t1Ms: lab.plan.t1Ms, hangup: o.hangup, holdMs: o.holdMs, name: `answer-${party}` });
  return lab.sipp(s, { party, label: `answer-${party}` }).withService(account.user).start();
}

/** bob registers and answers; alice calls him through the PBX; the caller or the callee hangs up. */
export async function aliceCallsBobViaPbx(lab: Lab, hangup: 'alice' | 'bob' = 'alice') {
  const alice = lab.account(0);
  const bob = lab.account(1);
  await registerParty(lab, 'bob', bob);
  const uas = await answering(lab, 'bob', bob, hangup === 'bob' ? { hangup: 'local', holdMs: 300 } : {});
  const r = await pbxCall(lab, alice, bob.user, { hangup: hangup === 'bob' ? 'remote' : 'local' });
  await settle(lab, uas);
  return { result: r, trace: await lab.trace() };
}
