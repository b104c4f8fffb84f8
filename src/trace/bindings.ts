/** Reading registrar bindings off the wire: the Contact list of a REGISTER or its 200, with each expiry. */
import type { TraceMessage } from './trace-message.js';

export interface Binding {
  /** The contact URI as written, without < >. */
  uri: string;
  /** The user part of the contact URI: the suite makes it unique per contact (alice-t3-a). */
  user: string;
  /** The contact's expires parameter, else the message's Expires header; undefined when neither is present. */
  expires?: number;
}

export function bindingsOf(m: TraceMessage): Binding[] {
  const header = m.message.expires;
  return m.message.contacts.map((c) => {
    const p = c.params.get('expires');
    const fromParam = p === undefined || p === '' ? undefined : Number(p);
    const uri = c.uriText.replace(/^<|>$/g, '');
    const user = /^sips?:([^@;:]+)@/.exec(uri)?.[1] ?? '';
    return { uri, user, expires: fromParam ?? header };
  });
}

export function bindingFor(m: TraceMessage, user: string): Binding | undefined {
  return bindingsOf(m).find((b) => b.user === user);
}

export function describeBindings(m: TraceMessage): string {
  const list = bindingsOf(m);
  return list.length ? list.map((b) => `${b.user || b.uri} (expires ${b.expires ?? 'none'})`).join(', ') : 'no bindings';
}

/** The binding of a contact user, which must be listed: the failure names what was listed instead. */
export function bindingOf(m: TraceMessage, user: string): Binding {
  const b = bindingFor(m, user);
  if (!b) throw new Error(`#${m.index} ${m.label} lists no binding for ${user}; it lists ${describeBindings(m)}`);
  return b;
}
