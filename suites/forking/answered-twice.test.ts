/**
 * Two contacts answer at once (exercise 5): bob-1 and bob-2 both send 200 the moment the forked INVITE arrives,
 * bob-3 rings. The proxy must forward both 2xx (RFC 3261 §16.7 step 5); alice gets two dialogs from one INVITE,
 * ACKs both and ends the second with a BYE (§13.2.2.4). Each ACK and BYE must reach the contact whose dialog it
 * belongs to, through the proxy.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { aliceInvite, toAlice } from './branches.js';
import { alice, bob, contact, CONTACTS, registerContacts } from './contacts.js';

describeLab('Two contacts answer at once (RFC 3261 §13.2.2.4)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('the proxy forwards both 2xx; alice ACKs each and BYEs the one she does not keep, each reaching its own contact', {
    rfc: ['RFC 3261 §13.2.2.4', 'RFC 3261 §16.7 step 5'],
  }, async () => {
    await registerContacts(lab, CONTACTS.map((party) => ({ party })));
    // bob-1 and bob-2 answer the moment the INVITE arrives; bob-3 rings.
    const phones = [
      await contact(lab, 'bob-1').answer({ ring: false }).start(),
      await contact(lab, 'bob-2').answer({ ring: false }).start(),
      await contact(lab, 'bob-3').answer({ noAnswer: true }).start(),
    ];
    await alice(lab).call(bob(lab), { forkedAnswers: 'keep-first' }).bye({ afterMs: Math.max(200, 2 * lab.plan.t1Ms) }).run();
    for (const p of phones) await p.settle();
    const trace = await lab.trace();
    const invite = aliceInvite(trace);

    const oks = toAlice(trace, '2xx');
    expect(oks.length).toBe(2);
    const [kept, dropped] = oks.map((ok) => {
      const tag = ok.message.toTag;
      const sender = trace.first({ status: '2xx', cseqMethod: 'INVITE', to: 'proxy', where: (m) => m.message.toTag === tag });
      return { tag, contact: sender?.from };
    });
    expect(new Set([kept.tag, dropped.tag]).size).toBe(2);
    expect([kept.contact, dropped.contact].sort()).toEqual(['bob-1', 'bob-2']);

    for (const { tag, contact } of [kept, dropped]) {
      const ack = trace.first({ method: 'ACK', from: 'alice', where: (m) => m.message.toTag === tag });
      expect({ tag, acked: ack !== undefined }).toEqual({ tag, acked: true });
      expect(ack?.message.callId).toBe(invite.message.callId);
      const relayed = trace.first({ method: 'ACK', from: 'proxy', where: (m) => m.message.toTag === tag });
      expect({ tag, ackReached: relayed?.to }).toEqual({ tag, ackReached: contact });
    }

    // The dropped dialog is ended while the kept one is still up: its BYE is answered before the kept one's BYE.
    const byeDropped = trace.one({ method: 'BYE', from: 'alice', where: (m) => m.message.toTag === dropped.tag });
    expect(byeDropped).toBeAnsweredWith(200);
    expect(trace.first({ method: 'BYE', from: 'proxy', where: (m) => m.message.toTag === dropped.tag })?.to).toBe(dropped.contact);
    const byeKept = trace.one({ method: 'BYE', from: 'alice', where: (m) => m.message.toTag === kept.tag });
    const droppedEnded = trace.one({ status: 200, cseqMethod: 'BYE', to: 'alice', where: (m) => m.message.toTag === dropped.tag });
    expect(byeKept.index).toBeGreaterThan(droppedEnded.index);
    expect(trace.first({ method: 'BYE', from: 'proxy', where: (m) => m.message.toTag === kept.tag })?.to).toBe(kept.contact);

    // Two dialogs from one INVITE, each confirmed by its own 2xx.
    const dialogs = trace.dialogs.filter((d) => d.callId === invite.message.callId && [kept.tag, dropped.tag].includes(d.calleeTag));
    expect(dialogs.map((d) => d.confirmedAt !== undefined)).toEqual([true, true]);
  });
});
