/**
 * Prefix routing to another domain (the course's exercise 10): numbers that start with the other domain's prefix
 * (`proxy.peer.prefix`, +4940 on the embedded proxy) leave the target for that domain's proxy, the one the
 * inter-domain calls use (the lab runs it, with a dial plan for those numbers). The number crosses the target as
 * dialled; only the other domain's proxy turns it into its user's binding.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { peerNumbers } from '../../src/lab/peer.js';
import type { TargetPlan } from '../../src/lab/target.js';
import { userOf } from './dialplan.js';

/** A number of the other domain that reaches the second account there, or why there is none. */
function otherDomainNumber(plan: TargetPlan): { number: string; user: string } | string {
  if (!plan.proxy?.peer?.prefix) return `target ${plan.name} declares no prefix for the other domain (proxy.peer.prefix in the target file)`;
  const callee = plan.accounts[1]?.user;
  const found = Object.entries(peerNumbers({ plan })).find(([, user]) => user === callee);
  return found ? { number: found[0], user: found[1] } : `target ${plan.name} declares no extension of ${callee ?? 'a second account'} (numbers:) to prefix with ${plan.proxy.peer.prefix}`;
}

describeLab('Prefix routing to another domain (exercise 10)', { roles: ['registrar', 'proxy'], targetParty: 'proxyA', peerParty: 'proxyB' }, (lab) => {
  const dialled = otherDomainNumber(lab.plan);
  for (const form of typeof dialled === 'string' ? ['+'] : ['+', '00']) {
    lab.test(
      `a number with the other domain's prefix, dialled with ${form}, goes to that domain's proxy unchanged, and reaches its user there`,
      { rfc: ['RFC 3261 §16.5', 'RFC 3261 §16.6'], requires: () => (typeof dialled === 'string' ? dialled : true) },
      async () => {
        const { number, user } = dialled as { number: string; user: string };
        const asDialled = form === '00' ? number.replace(/^\+/, '00') : number;
        const peer = lab.peerDomain;
        const alice = lab.ua('alice', lab.account(0));
        const bob = lab.ua('bob', lab.account(1));
        await bob.register({ at: peer });
        const answering = await bob.answer().start();
        await alice.call(asDialled).bye({ afterMs: 50 }).run();
        await answering.settle();
        const trace = await lab.trace();

        const sent = trace.one({ method: 'INVITE', from: 'alice', to: 'proxyA' });
        expect(userOf(sent.message.kind === 'request' ? sent.message.uri : undefined)).toBe(asDialled);
        // proxyA routes on the prefix: the other domain's proxy gets the number (its + form), in its own domain.
        const crossed = trace.one({ method: 'INVITE', from: 'proxyA', to: 'proxyB' });
        const uri = crossed.message.kind === 'request' ? crossed.message.uri : undefined;
        expect({ user: userOf(uri), host: uri && 'host' in uri ? uri.host : undefined }).toEqual({ user: number, host: peer.domain });
        // proxyB's dial plan makes it its user's binding.
        const register = trace.find({ method: 'REGISTER', from: 'bob' }).at(-1)!;
        const atBob = trace.one({ method: 'INVITE', from: 'proxyB', to: 'bob' });
        expect(atBob.message.kind === 'request' ? atBob.message.uri?.raw : undefined).toBe(register.message.contacts[0]?.uri?.raw);
        expect(trace.first({ status: 200, cseqMethod: 'INVITE', to: 'alice' })).toBeDefined();
        await lab.note(`${asDialled} (${user} of ${peer.domain}): alice -> proxyA ${sent.message.kind === 'request' ? sent.message.uri?.raw : ''}; proxyA -> proxyB ${uri?.raw ?? ''}; proxyB -> bob ${atBob.message.kind === 'request' ? atBob.message.uri?.raw : ''}`);
      },
    );
  }
});
