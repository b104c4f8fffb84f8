/**
 * CANCEL before answer (exercise 4): alice calls bob, bob rings, alice gives up. The proxy answers the CANCEL,
 * forwards it on the INVITE's branch, relays bob's 487, and ACKs it on its own hop; alice's ACK for the 487
 * belongs to the INVITE transaction (same branch).
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';

describeLab('CANCEL before answer (RFC 3261 §9, §16.10)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('CANCEL before answer: 200 to the CANCEL, 487 to the INVITE, and the ACK for the 487 on the same branch', { rfc: ['RFC 3261 §9.2', 'RFC 3261 §16.10', 'RFC 3261 §17.1.1.3'] }, async () => {
    const alice = lab.ua('alice', lab.account(0));
    const bob = lab.ua('bob', lab.account(1));
    await bob.register();
    const ringing = await bob.answer({ noAnswer: true }).start();
    await alice.call(bob).cancel().run();
    await ringing.settle();

    const trace = await lab.trace();
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    const cancel = trace.one({ method: 'CANCEL', from: 'alice' });
    expect(cancel).toBeAnsweredWith(200);
    expect(cancel.message.branch).toBe(invite.message.branch);

    const forwardedInvite = trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' });
    const forwardedCancel = trace.first({ method: 'CANCEL', from: 'proxy', to: 'bob' });
    // A proxy that answers the CANCEL but keeps it leaves bob ringing (§16.10: CANCEL every pending branch).
    expect({ cancelForwardedToBob: !!forwardedCancel }).toEqual({ cancelForwardedToBob: true });
    expect(forwardedCancel?.message.branch).toBe(forwardedInvite.message.branch);

    expect(invite).toBeAnsweredWith(487);
    expect(invite.transaction?.acks.length).toBeGreaterThanOrEqual(1);
    // The proxy's own client transaction ACKs bob's 487 (a hop-by-hop ACK on the INVITE's branch).
    expect(forwardedInvite).toBeAnsweredWith(487);
    expect(forwardedInvite.transaction?.acks.length).toBeGreaterThanOrEqual(1);
  });
});
