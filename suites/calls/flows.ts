/** The call suite's usual call: bob (the second account) registers and answers, alice calls him and hangs up. */
import type { Lab } from '../../src/lab/fixture.js';
import type { Trace } from '../../src/trace/trace.js';

export async function aliceCallsBob(lab: Lab): Promise<Trace> {
  const alice = lab.ua('alice', lab.account(0));
  const bob = lab.ua('bob', lab.account(1));
  await bob.register();
  const answering = await bob.answer().start();
  await alice.call(bob).bye({ afterMs: 50 }).run();
  await answering.settle();
  return lab.trace();
}
