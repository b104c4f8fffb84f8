/**
 * PRACK and CANCEL in a forked call (exercise 6 with exercise 5's forking): bob is registered from two
 * contacts, the proxy forks alice's INVITE, and each branch answers with a reliable 183 of its own. Each 183
 * opens its own early dialog, which alice PRACKs on its own (RFC 3262 §4); her CANCEL then ends the call, and
 * the proxy must CANCEL every branch it forwarded the INVITE on (RFC 3261 §16.10).
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { BRANCHES, forkedCallCancelled } from './flows.js';
import { TAG_100REL, inDialog, reliableProvisional } from './wire.js';

describeLab('PRACK and CANCEL in a forked call (RFC 3262 §4, RFC 3261 §16.10)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('each branch\'s reliable 183 is PRACKed in its own early dialog, then alice\'s CANCEL reaches every branch', { rfc: ['RFC 3262 §4', 'RFC 3261 §16.10', 'RFC 3261 §9.2'] }, async () => {
    const trace = await forkedCallCancelled(lab);
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    const forwarded = BRANCHES.map((b) => trace.one({ method: 'INVITE', from: 'proxy', to: b }));
    expect(new Set(forwarded.map((f) => f.message.branch)).size).toBe(BRANCHES.length);

    const tags = new Set<string | undefined>();
    for (const [i, b] of BRANCHES.entries()) {
      const sent = reliableProvisional(trace, b, 'proxy');
      tags.add(sent.message.toTag);
      // The 183 reaches alice in its own early dialog, and her PRACK names that dialog and that 183.
      const relayed = reliableProvisional(trace, 'proxy', 'alice', sent.message.toTag);
      expect(relayed).toHaveHeader('Require', TAG_100REL);
      const prack = inDialog(trace, 'PRACK', 'alice', 'proxy', sent.message.toTag);
      expect(prack.message.rack).toEqual({ rseq: relayed.message.rseq, cseq: invite.message.cseq?.seq, method: 'INVITE' });
      expect(prack.message.kind === 'request' ? prack.message.uri?.raw : undefined).toBe(relayed.message.contacts[0]?.uriText.replace(/^<|>$/g, ''));
      // The proxy routes it to the branch that sent the 183, not to the other one.
      const delivered = inDialog(trace, 'PRACK', 'proxy', b, sent.message.toTag);
      expect(delivered).toBeAnsweredWith(200);
      expect(prack).toBeAnsweredWith(200);
      expect(trace.find({ method: 'PRACK', from: 'proxy', to: BRANCHES[1 - i], where: (m) => m.message.toTag === sent.message.toTag })).toEqual([]);
    }
    expect(tags.size).toBe(BRANCHES.length);

    const cancel = trace.one({ method: 'CANCEL', from: 'alice' });
    expect(cancel).toBeAnsweredWith(200);
    for (const [i, b] of BRANCHES.entries()) {
      // A CANCEL per branch, on that branch's INVITE transaction (same Via branch), answered 200; the INVITE 487.
      const c = trace.one({ method: 'CANCEL', from: 'proxy', to: b });
      expect(c.message.branch).toBe(forwarded[i].message.branch);
      expect(c).toBeAnsweredWith(200);
      expect(forwarded[i]).toBeAnsweredWith(487);
      expect(forwarded[i].transaction?.acks.length).toBeGreaterThanOrEqual(1);
    }
    expect(invite).toBeAnsweredWith(487);
    expect(invite.transaction?.acks.length).toBeGreaterThanOrEqual(1);
  });
});
