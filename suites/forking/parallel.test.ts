/**
 * Parallel forking (the course's exercise 5): bob is registered from three contacts; alice calls him, the proxy
 * forks her INVITE to all three at once. bob-1 rings and answers, bob-2 and bob-3 ring until cancelled. On the
 * wire: one client transaction per contact, each on its own Via branch; the first 2xx reaches alice and every
 * other branch is CANCELled on its own branch, answered 487 and ACKed hop by hop; alice sees one early dialog
 * per To tag.
 */
import { expect } from '@jest/globals';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import { aliceInvite, branchOf, branchTo, finalOn, toAlice, tried } from './branches.js';
import { alice, bob, contact, CONTACTS, registerContacts } from './contacts.js';

/** bob-1 answers once every contact has rung (a few T1 later); the others ring until the proxy cancels them. */
async function forkedCall(lab: Lab) {
  await registerContacts(lab, CONTACTS.map((party) => ({ party })));
  const phones = [
    await contact(lab, 'bob-1').answer({ answerAfterMs: Math.max(300, 4 * lab.plan.t1Ms) }).start(),
    await contact(lab, 'bob-2').answer({ noAnswer: true }).start(),
    await contact(lab, 'bob-3').answer({ noAnswer: true }).start(),
  ];
  await alice(lab).call(bob(lab)).bye({ afterMs: 50 }).run();
  for (const p of phones) await p.settle();
  return lab.trace();
}

describeLab('Parallel forking (RFC 3261 §16.6, §16.7)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('the proxy forks the INVITE to every contact, each on its own Via branch (one client transaction each)', { rfc: ['RFC 3261 §16.6 step 8', 'RFC 3261 §17.1.3'] }, async () => {
    const trace = await forkedCall(lab);
    const invite = aliceInvite(trace);
    expect(tried(trace).sort()).toEqual([...CONTACTS]);
    const branches = CONTACTS.map((party) => branchTo(trace, party));
    const ids = branches.map((b) => branchOf(b));
    for (const id of ids) expect(id).toMatch(/^z9hG4bK./);
    expect(new Set(ids).size).toBe(CONTACTS.length);
    expect(ids).not.toContain(branchOf(invite));
    const transactions = branches.map((b) => b.transaction);
    expect(new Set(transactions).size).toBe(CONTACTS.length);
    for (const b of branches) {
      // The same request on every branch: alice's Call-ID and tag, her Via below the proxy's own.
      expect(b.message.callId).toBe(invite.message.callId);
      expect(b.message.fromTag).toBe(invite.message.fromTag);
      expect(b.message.vias.length).toBe(invite.message.vias.length + 1);
      expect(b.message.vias[1].params.get('branch')).toBe(branchOf(invite));
    }
  });

  lab.test('the first 2xx wins: it reaches alice, and every other branch is CANCELled on its own Via branch, answered 487 and ACKed hop by hop', { rfc: ['RFC 3261 §16.7 step 10', 'RFC 3261 §9.1', 'RFC 3261 §17.1.1.3', 'RFC 3261 §16.10'] }, async () => {
    const trace = await forkedCall(lab);
    const winner = branchTo(trace, 'bob-1');
    expect(winner).toBeAnsweredWith(200);
    const won = finalOn(winner);
    expect(toAlice(trace, '2xx').map((m) => m.message.toTag)).toEqual([won.message.toTag]);
    expect(trace.find({ method: 'CANCEL', to: 'bob-1' })).toEqual([]);
    for (const party of ['bob-2', 'bob-3']) {
      const branch = branchTo(trace, party);
      const cancel = trace.one({ method: 'CANCEL', from: 'proxy', to: party });
      // After the winning 2xx, on the cancelled INVITE's own branch, with a single Via (§9.1).
      expect(cancel.index).toBeGreaterThan(won.index);
      expect(branchOf(cancel)).toBe(branchOf(branch));
      expect(cancel.message.vias.length).toBe(1);
      expect(cancel.message.cseq?.seq).toBe(branch.message.cseq?.seq);
      expect(cancel).toBeAnsweredWith(200);
      expect(branch).toBeAnsweredWith(487);
      const acks = branch.transaction?.acks.filter((a) => a.from === 'proxy') ?? [];
      expect({ party, ackedBy: acks.length > 0 ? 'proxy' : 'nobody' }).toEqual({ party, ackedBy: 'proxy' });
      expect(branchOf(acks[0])).toBe(branchOf(branch));
    }
    // The losers' 487s end at the proxy: after a 2xx no other final response goes upstream.
    expect(toAlice(trace, '4xx')).toEqual([]);
  });

  lab.test('each contact\'s 180 reaches alice with its own To tag: one INVITE, one early dialog per To tag', { rfc: ['RFC 3261 §13.2.2.1', 'RFC 3261 §12.1.2', 'RFC 3261 §16.7 step 5'] }, async () => {
    const trace = await forkedCall(lab);
    const invite = aliceInvite(trace);
    const ringing = toAlice(trace, 180);
    const tags = ringing.map((m) => m.message.toTag);
    expect(new Set(tags).size).toBe(CONTACTS.length);
    for (const party of CONTACTS) {
      const own = trace.first({ status: 180, from: party, to: 'proxy' });
      expect({ party, relayed: own !== undefined && tags.includes(own.message.toTag) }).toEqual({ party, relayed: true });
    }
    // The trace groups them as the UAC must (§12.1.2): one early dialog per To tag, all created by alice's INVITE.
    const early = trace.dialogs.filter((d) => d.callId === invite.message.callId && tags.includes(d.calleeTag));
    expect(early.length).toBe(CONTACTS.length);
    for (const d of early) {
      expect(d.callerTag).toBe(invite.message.fromTag);
      expect(d.messages).toContain(invite);
    }
    expect(trace.dialogsOf(invite).length).toBeGreaterThanOrEqual(CONTACTS.length);
    // bob-1's early dialog is confirmed by its 2xx; the cancelled ones end with their 487.
    const won = finalOn(branchTo(trace, 'bob-1'));
    expect(early.filter((d) => d.calleeTag === won.message.toTag).map((d) => d.state)).toEqual(['terminated']);
    expect(early.find((d) => d.calleeTag === won.message.toTag)?.confirmedAt).toBeDefined();
    expect(early.filter((d) => d.calleeTag !== won.message.toTag).map((d) => [d.state, d.confirmedAt])).toEqual([['terminated', undefined], ['terminated', undefined]]);
  });
});
