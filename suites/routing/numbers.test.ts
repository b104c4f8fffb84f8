/**
 * Number translation (the course's exercise 10, "how many dialled numbers map to one user, and where does the
 * translation show in the signalling"). The target declares the numbers that reach its users (`numbers:` in
 * its file; the embedded Kamailio and Asterisk have a dial plan of their own): a user's extension, its
 * international number, and that number dialled with 00. Each form is called in its own test: it must reach
 * the user's phone, and the test notes where the translation shows on the wire. A number nobody has gets 404;
 * one dialled only in part may get 484 (overlap dialling).
 */
import { expect } from '@jest/globals';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import type { TargetPlan } from '../../src/lab/target.js';
import { dialledForms, incompleteNumber, translationNote, unknownNumber, userOf } from './dialplan.js';

/** The dial plan is a proxy's or a PBX's: it routes calls. */
const routesCalls = (plan: TargetPlan) => plan.roles.includes('proxy') || plan.roles.includes('pbx');
const declared = (plan: TargetPlan): true | string =>
  !routesCalls(plan)
    ? `target ${plan.name} does not declare the role proxy or pbx: nothing there routes a dialled number`
    : Object.keys(plan.numbers ?? {}).length
      ? true
      : `target ${plan.name} declares no numbers (numbers: { "100": alice, "+4930100": alice } in the target file)`;

/** The user agents of a call to `number`: the account it reaches answers, another account calls. */
async function dial(lab: Lab, number: string, callee?: string) {
  const accounts = lab.plan.accounts;
  const callerAccount = accounts.find((a) => a.user !== callee) ?? lab.account(0);
  const caller = lab.ua('caller', callerAccount);
  if (callee === undefined) {
    await caller.call(number, { expect: 'reject' }).run();
    return;
  }
  const account = accounts.find((a) => a.user === callee);
  if (!account) throw new Error(`numbers: ${number} reaches "${callee}", who is not one of target ${lab.plan.name}'s accounts`);
  const phone = lab.ua('callee', account);
  await phone.register();
  const answering = await phone.answer().start();
  await caller.call(number).bye({ afterMs: 50 }).run();
  await answering.settle();
}

describeLab('Number translation (exercise 10)', { roles: ['registrar'], targetParty: 'target' }, (lab) => {
  const forms = dialledForms(lab.plan.numbers ?? {});
  if (forms.length === 0) {
    // Always skipped (declared() gives the reason): the report says why no number was called.
    lab.test('every dialled form of a number reaches its user', { requires: declared }, async () => {
      throw new Error('unreachable: a target without numbers skips this test');
    });
  }
  for (const { number, user } of forms) {
    lab.test(
      `dialling ${number} reaches ${user}: the call is answered by ${user}'s phone, and the test says where the translation shows`,
      { rfc: ['RFC 3261 §16.5', 'RFC 3261 §16.6', 'RFC 3261 §8.1.1.2'], requires: declared },
      async () => {
        await dial(lab, number, user);
        const trace = await lab.trace();
        const sent = trace.one({ method: 'INVITE', from: 'caller' });
        expect(userOf(sent.message.kind === 'request' ? sent.message.uri : undefined)).toBe(number);
        // It reached the phone registered as the user, and the call was answered end to end.
        const arrived = trace.one({ method: 'INVITE', to: 'callee' });
        expect(arrived.from).toBe('target');
        expect(trace.first({ status: 200, cseqMethod: 'INVITE', to: 'caller' })).toBeDefined();
        const register = trace.find({ method: 'REGISTER', from: 'callee' }).at(-1)!;
        // The translation shows in the Request-URI on the hop after the target: the user's binding, not the number.
        expect(arrived.message.kind === 'request' ? arrived.message.uri?.raw : undefined).toBe(register.message.contacts[0]?.uri?.raw);
        // A proxy keeps To as the caller wrote it (RFC 3261 §16.6 step 2 changes only the Request-URI); a PBX's
        // new leg has a To of its own, which the note shows.
        if (lab.plan.roles.includes('proxy')) expect(userOf(arrived.message.to?.uri)).toBe(number);
        await lab.note(translationNote(number, user, sent, arrived));
      },
    );
  }

  lab.test(
    'a number that reaches nobody is answered 404 Not Found, and goes no further',
    { rfc: ['RFC 3261 §21.4.5', 'RFC 3261 §16.5'], requires: declared },
    async () => {
      const number = unknownNumber(lab.plan.numbers ?? {});
      await dial(lab, number);
      const trace = await lab.trace();
      const invite = trace.one({ method: 'INVITE', from: 'caller' });
      expect({ number, status: trace.responsesTo(invite).find((r) => (r.status ?? 0) >= 200)?.status }).toEqual({ number, status: 404 });
      expect(trace.find({ method: 'INVITE', to: 'callee' })).toEqual([]);
    },
  );

  lab.test(
    'a number dialled only in part is answered 484 Address Incomplete, or 404, never connected',
    { rfc: ['RFC 3261 §21.4.22', 'RFC 3261 §21.4.5'], requires: declared },
    async () => {
      const number = incompleteNumber(lab.plan.numbers ?? {});
      await dial(lab, number);
      const trace = await lab.trace();
      const invite = trace.one({ method: 'INVITE', from: 'caller' });
      const status = trace.responsesTo(invite).find((r) => (r.status ?? 0) >= 200)?.status;
      expect({ number, status: [404, 484].includes(status ?? 0) ? 'refused' : status }).toEqual({ number, status: 'refused' });
      await lab.note(status === 484 ? `${number} is the start of a number: 484 Address Incomplete (overlap dialling, RFC 3261 §21.4.22)` : `${number} is the start of a number: the target answers 404, as for any number it does not know`);
    },
  );
});
