/**
 * The PBX suite's calls. Unlike a proxy, a PBX is a B2BUA that authenticates its own endpoints: alice calls as
 * her account, is challenged and retries with credentials, and the PBX calls bob on a leg of its own.
 */
import type { SippResult } from '../../drivers/sipp/index.js';
import type { Lab } from '../../src/lab/fixture.js';
import type { Trace } from '../../src/trace/trace.js';

/** bob registers and answers; alice calls him through the PBX; the caller or the callee hangs up. */
export async function aliceCallsBobViaPbx(lab: Lab, hangup: 'alice' | 'bob' = 'alice'): Promise<{ result: SippResult; trace: Trace }> {
  const alice = lab.ua('alice', lab.account(0));
  const bob = lab.ua('bob', lab.account(1));
  await bob.register();
  const answering = await bob.answer(hangup === 'bob' ? { hangupAfterMs: 300 } : {}).start();
  const call = alice.call(bob);
  const result = await (hangup === 'bob' ? call.awaitBye() : call.bye({ afterMs: 200 })).run();
  await answering.settle();
  return { result, trace: await lab.trace() };
}
