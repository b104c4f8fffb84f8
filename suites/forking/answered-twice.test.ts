/**
 * Two contacts answer at once (exercise 5): bob-1 and bob-2 both send 200 the moment the forked INVITE arrives,
 * bob-3 rings. The proxy must forward both 2xx (RFC 3261 §16.7 step 5); alice gets two dialogs from one INVITE,
 * ACKs both and ends the second with a BYE (§13.2.2.4). Each ACK and BYE must reach the contact whose dialog it
 * belongs to, through the proxy.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { aliceInvite, isInvite, toAlice } from './branches.js';
import { callingKeepingFirstAnswer } from './callers.js';
import { answeringAtOnce, bobOf, CONTACTS, registerContacts, ringingUntilCancelled, settle } from './contacts.js';

describeLab('Two contacts answer at once (RFC 3261 §13.2.2.4)', { suite: 'forking', roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('the proxy forwards both 2xx; alice ACKs each and BYEs the one she does not keep, each reaching its own contact — RFC 3261 §13.2.2.4, §16.7 step 5', { rfc: ['RFC 3261 §13.2.2.4', 'RFC 3261 §16.7'] }, async () => {
    await registerContacts(lab, CONTACTS.map((party) => ({ party })));
    const uas = [await answeringAtOnce(lab, 'bob-1'), await answeringAtOnce(lab, 'bob-2'), await ringingUntilCancelled(lab, 'bob-3', bobOf(lab))];
    await callingKeepingFirstAnswer(lab, Math.max(200, 2 * lab.plan.t1Ms));
    for (const u of uas) await settle(lab, u);
    const trace = await lab.trace();
    const invite = aliceInvite(trace);

    const oks = toAlice(trace, '2xx');
    expect(oks.length).toBe(2);
    const [kept, dropped] = oks.map((ok) => {
      const tag = ok.message.toTag;
      const sender = trace.first({ status: '2xx', to: 'proxy', where: (m) => isInvite(m) && m.message.toTag === tag });
      return { tag, contact: sender?.from };
    });
    expect(new Set([kept.tag, dropped.tag]).size).toBe(2);
    expect([kept.contact, dropped.contact].sort()).toEqual(['bob-1', 'bob-2']);

    for (const { tag, contact } of [kept, dropped]) {
      const ack = trace.first({ method: 'ACK', from: 'alice', where: (m) => m.message.toTag === tag });
      expect({ tag, acked: ack !== undefined }).toEqual({ tag, acked: true });
      expect(ack!.message.callId).toBe(invite.message.callId);
      const relayed = trace.first({ method: 'ACK', from: 'proxy', where: (m) => m.message.toTag === tag });
      expect({ tag, ackReached: relayed?.to }).toEqual({ tag, ackReached: contact });
    }

    // The dropped dialog is ended while the kept one is still up: its BYE is answered before the kept one's BYE.
    const byeDropped = trace.first({ method: 'BYE', from: 'alice', where: (m) => m.message.toTag === dropped.tag });
    expect(byeDropped).toBeDefined();
    expect(byeDropped!).toBeAnsweredWith(200);
    expect(trace.first({ method: 'BYE', from: 'proxy', where: (m) => m.message.toTag === dropped.tag })?.to).toBe(dropped.contact);
    const byeKept = trace.first({ method: 'BYE', from: 'alice', where: (m) => m.message.toTag === kept.tag });
    expect(byeKept).toBeDefined();
    const droppedEnded = trace.first({ status: 200, to: 'alice', where: (m) => m.message.cseq?.method === 'BYE' && m.message.toTag === dropped.tag })!;
    expect(byeKept!.index).toBeGreaterThan(droppedEnded.index);
    expect(trace.first({ method: 'BYE', from: 'proxy', where: (m) => m.message.toTag === kept.tag })?.to).toBe(kept.contact);

    // Two dialogs from one INVITE, each confirmed by its own 2xx.
    const dialogs = trace.dialogs.filter((d) => d.callId === invite.message.callId && [kept.tag, dropped.tag].includes(d.calleeTag));
    expect(dialogs.map((d) => d.confirmedAt !== undefined)).toEqual([true, true]);
  });
});
