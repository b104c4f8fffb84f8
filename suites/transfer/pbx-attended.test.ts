/**
 * Attended transfer on a PBX (the course's exercise 10, RFC 3515, RFC 3891, RFC 5589 §7): alice calls bob, then
 * calls carol on a second line (the consultation), then REFERs her call with bob to carol with a Refer-To whose
 * Replaces names the consultation dialog, escaped as RFC 3891 §6.1 says. The PBX joins bob and carol itself:
 * 202, NOTIFYs to a final 200, and it ends alice's consultation leg, which the Replaces named.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';
import type { AnySipMessage } from '../../src/sip/message.js';
import { referNotifies, sipfragStatus, transfers } from './refer-wire.js';
import { thirdAccount } from '../../src/lab/accounts.js';

/** The dialog a 2xx to an INVITE confirms, as the Replaces of an attended transfer names it; undefined for any other message. */
function confirmedDialog(m: AnySipMessage | undefined): { callId: string; toTag: string; fromTag: string } | undefined {
  if (m?.kind !== 'response' || m.status !== 200 || m.cseq?.method !== 'INVITE') return undefined;
  return m.callId && m.toTag && m.fromTag ? { callId: m.callId, toTag: m.toTag, fromTag: m.fromTag } : undefined;
}

describeLab('Attended transfer on a PBX (RFC 3891, RFC 5589 §7)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  lab.test(
    'alice REFERs bob to carol with Replaces naming her consultation call: the Refer-To is escaped, 202 and NOTIFYs to 200 follow, and the PBX ends the replaced leg',
    { rfc: ['RFC 3891 §6.1', 'RFC 3891 §3', 'RFC 3515 §2.4.5', 'RFC 5589 §7'], requires: transfers },
    async () => {
      const account = lab.account(0);
      const bob = lab.ua('bob', lab.account(1));
      const carol = lab.ua('carol', thirdAccount(lab.plan) as Account);
      await bob.register();
      await carol.register();
      const bobAnswers = await bob.answer().start();
      // carol hangs up a while after the transfer: the PBX then ends bob's leg, which shows the two were joined.
      const carolAnswers = await carol.answer({ hangupAfterMs: 1500 }).start();
      // The consultation: alice's second line calls carol and stays in the call until the PBX ends it.
      const consultation = await lab.ua('alice-2', account).call(carol).awaitBye({ timeoutMs: 15_000 }).start();
      const replaced = confirmedDialog(await consultation.receivedOne((m) => confirmedDialog(m) !== undefined, 10_000));
      if (!replaced) throw new Error('the consultation call to carol was not answered within 10 s: nothing to transfer to');
      const replaces = `${replaced.callId};to-tag=${replaced.toTag};from-tag=${replaced.fromTag}`;
      // The transferred call: alice's first line calls bob, REFERs him to carol with that Replaces, then hangs up.
      await lab.ua('alice', account).call(bob).refer(carol, { replaces }).bye({ anyAnswer: true }).run();
      await consultation.settle();
      await carolAnswers.settle();
      await bobAnswers.settle();
      const trace = await lab.trace();

      const refer = trace.one({ method: 'REFER', from: 'alice' });
      // RFC 3891 §6.1: inside the Refer-To URI, the Replaces value is escaped (; = @ as %3B %3D %40).
      const referTo = refer.message.get('Refer-To') ?? '';
      expect(referTo).toMatch(/\?Replaces=/i);
      const escaped = /\?Replaces=([^>]*)/i.exec(referTo)?.[1] ?? '';
      expect(escaped).not.toMatch(/[;=@]/);
      expect(decodeURIComponent(escaped)).toBe(replaces);
      expect(refer).toBeAnsweredWith(202);
      const notifies = referNotifies(trace, refer);
      expect({ finalSipfrag: notifies.length ? sipfragStatus(notifies.at(-1)!) : 'no NOTIFY' }).toEqual({ finalSipfrag: 200 });

      // The leg the Replaces named is ended by the PBX: its BYE to alice's second line, in that dialog.
      const byeReplaced = trace.first({ method: 'BYE', from: 'pbx', to: 'alice-2', where: (m) => m.message.callId === replaced!.callId });
      expect({ replacedLegEndedByPbx: byeReplaced !== undefined }).toEqual({ replacedLegEndedByPbx: true });
      // The PBX joins bob and carol without a new call to either (no INVITE to them after the REFER): when carol
      // hangs up, her BYE ends bob's leg.
      expect(trace.find({ method: 'INVITE', from: 'pbx', where: (m) => m.index > refer.index && (m.to === 'bob' || m.to === 'carol') && !m.message.toTag })).toEqual([]);
      const carolHangsUp = trace.first({ method: 'BYE', from: 'carol', where: (m) => m.index > refer.index });
      expect(carolHangsUp).toBeDefined();
      expect(trace.first({ method: 'BYE', from: 'pbx', to: 'bob', where: (m) => m.index > carolHangsUp!.index })).toBeDefined();
    },
  );
});
