/** The routing suite's view of a declared dial plan: the forms to call, numbers it lacks, and what a call showed. */
import type { Uri } from '../../src/sip/uri.js';
import type { TraceMessage } from '../../src/trace/trace.js';

/** The user part of a SIP URI (a tel: URI has none). */
export function userOf(uri: Uri | undefined): string | undefined {
  return uri && 'user' in uri ? uri.user : undefined;
}

export interface DialledForm {
  number: string;
  user: string;
}

/** Each declared number and the user it reaches, grouped by user, then as declared. */
export function dialledForms(numbers: Record<string, string>): DialledForm[] {
  const entries = Object.entries(numbers).map(([number, user]) => ({ number, user }));
  const users = [...new Set(entries.map((e) => e.user))];
  return users.flatMap((u) => entries.filter((e) => e.user === u));
}

/** Whether `n` is a declared number or the start of one (what overlap dialling would wait on). */
function known(n: string, numbers: Record<string, string>): boolean {
  const plain = (x: string) => x.replace(/^(\+|00)/, '');
  return Object.keys(numbers).some((d) => d.startsWith(n) || plain(d).startsWith(plain(n)) || plain(n).startsWith(plain(d)));
}

/** A number of the plan's shape that is neither declared nor the start of a declared one. */
export function unknownNumber(numbers: Record<string, string>): string {
  const longest = Object.keys(numbers).sort((a, b) => b.length - a.length)[0] ?? '100';
  for (const d of ['9', '8', '7', '6', '5']) {
    const candidate = longest.replace(/[0-9]+$/, (digits) => d.repeat(digits.length));
    if (!known(candidate, numbers)) return candidate;
  }
  return '+999999999';
}

/** The first digits of the shortest declared number: a number dialled only in part. */
export function incompleteNumber(numbers: Record<string, string>): string {
  const shortest = Object.keys(numbers).sort((a, b) => a.length - b.length)[0] ?? '100';
  let cut = shortest.slice(0, -1);
  while (cut.length > 1 && numbers[cut] !== undefined) cut = cut.slice(0, -1);
  return cut;
}

/** Where the translation shows: the Request-URI before and after the target, To, and the identity headers it added. */
export function translationNote(number: string, user: string, sent: TraceMessage, arrived: TraceMessage): string {
  const ruri = (m: TraceMessage) => (m.message.kind === 'request' ? m.message.uri?.raw : undefined) ?? '?';
  const lines = [
    `${number} reached ${user}. The translation shows in the Request-URI of the hop after the target:`,
    `  caller -> target   INVITE ${ruri(sent)}`,
    `  target -> callee   INVITE ${ruri(arrived)}   (${user}'s binding)`,
    `  To: ${sent.message.to?.uriText ?? '?'} -> ${arrived.message.to?.uriText ?? '?'}${sent.message.to?.uriText === arrived.message.to?.uriText ? ' (kept)' : ' (changed: a new leg)'}`,
  ];
  for (const h of ['P-Asserted-Identity', 'History-Info', 'Diversion']) {
    const values = arrived.message.getAll(h);
    lines.push(`  ${h}: ${values.length ? values.join(', ') : 'none'}`);
  }
  return lines.join('\n');
}
