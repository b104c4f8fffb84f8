/**
 * bob's contacts: one AoR (the second account) registered from three phones, each at its own address
 * (parties bob-1, bob-2, bob-3). Each plays one part in a test: answering, ringing until cancelled, turning
 * the call down, staying silent, or answering at once.
 */
import type { Lab } from '../../src/lab/fixture.js';
import type { UserAgent } from '../../src/ua/index.js';

export const CONTACTS = ['bob-1', 'bob-2', 'bob-3'] as const;
export type ContactParty = (typeof CONTACTS)[number];

/** The phone of one of bob's contacts. */
export function contact(lab: Lab, party: ContactParty): UserAgent {
  return lab.ua(party, lab.account(1));
}

/** Registers bob from each contact (with q when given), one after the other so the registrar holds them all. */
export async function registerContacts(lab: Lab, contacts: Array<{ party: ContactParty; q?: number }>): Promise<void> {
  for (const { party, q } of contacts) await contact(lab, party).register({ q });
}

/** alice, who calls bob (the AoR) through the proxy as her account, answering its challenges as a phone does. */
export function alice(lab: Lab): UserAgent {
  return lab.ua('alice', lab.account(0));
}

export function bob(lab: Lab): UserAgent {
  return lab.ua('bob', lab.account(1));
}
