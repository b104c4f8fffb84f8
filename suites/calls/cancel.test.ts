/**
 * CANCEL before answer (exercise 4): alice calls bob, bob rings, alice gives up. The proxy answers the CANCEL,
 * forwards it on the INVITE's branch, relays bob's 487, and ACKs it on its own hop; alice's ACK for the 487
 * belongs to the INVITE transaction (same branch).
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { callingThenCancelling, registerParty, ringingUntilCancelled, settle } from './parties.js';

describeLab('CANCEL before answer (RFC 3261 §9, §16.10)', { suite: 'calls', roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('CANCEL before answer: 200 to the CANCEL, 487 to the INVITE, and the ACK for the 487 on the same branch — RFC 3261 §9.2, §16.10, §17.1.1.3', { rfc: ['RFC 3261 §9.2', 'RFC 3261 §16.10', 'RFC 3261 §17.1.1.3'] }, async () => {
    const bob = lab.account(1);
    await registerParty(lab, 'bob', bob);
    const uas = await ringingUntilCancelled(lab, 'bob', bob);
    await callingThenCancelling(lab, 'alice', bob.user);
    await settle(lab, uas);
    const trace = await lab.trace();
    const invite = trace.first({ method: 'INVITE', from: 'alice' })!;
    const cancel = trace.first({ method: 'CANCEL', from: 'alice' })!;
    expect(cancel).toBeDefined();
    expect(cancel).toBeAnsweredWith(200);
    expect(cancel.message.topVia?.params.get('branch')).toBe(invite.message.topVia?.params.get('branch'));

    const forwardedInvite = trace.first({ method: 'INVITE', from: 'proxy', to: 'bob' })!;
    const forwardedCancel = trace.first({ method: 'CANCEL', from: 'proxy', to: 'bob' });
    // A proxy that answers the CANCEL but keeps it leaves bob ringing (§16.10: CANCEL every pending branch).
    expect({ cancelForwardedToBob: !!forwardedCancel }).toEqual({ cancelForwardedToBob: true });
    expect(forwardedCancel!.message.topVia?.params.get('branch')).toBe(forwardedInvite.message.topVia?.params.get('branch'));

    expect(invite).toBeAnsweredWith(487);
    expect(invite.transaction?.acks.length).toBeGreaterThanOrEqual(1);
    // The proxy's own client transaction ACKs bob's 487 (a hop-by-hop ACK on the INVITE's branch).
    expect(forwardedInvite).toBeAnsweredWith(487);
    expect(forwardedInvite.transaction?.acks.length).toBeGreaterThanOrEqual(1);
  });
});
