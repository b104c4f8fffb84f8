/** Event (RFC 6665 §8.2.1) and Subscription-State (RFC 6665 §8.2.3). */
import { diag, type Diagnostic } from '../diagnostics.js';
import { parseHeaderParams, Params } from '../params.js';

export interface EventHeader {
  package: string;
  id?: string;
  params: Params;
}

export function parseEvent(s: string, base: number, diags: Diagnostic[] | undefined): EventHeader | undefined {
  const semi = s.indexOf(';');
  const pkg = (semi < 0 ? s : s.slice(0, semi)).trim();
  // event-type = event-package *( "." event-template ), each a token-nodot.
  if (!/^[A-Za-z0-9\-!%*_+`'~]+(\.[A-Za-z0-9\-!%*_+`'~]+)*$/.test(pkg)) {
    diags?.push(diag('bad-event', 'error', 'RFC 6665 §8.4 (Event)', `Event package "${pkg}" is not event-package[.template]`, base, { header: 'event' }));
    return undefined;
  }
  const params = semi < 0 ? new Params() : parseHeaderParams(s.slice(semi + 1), base + semi + 1, diags, 'event');
  return { package: pkg, id: params.get('id'), params };
}

export interface SubscriptionState {
  state: string;
  expires?: number;
  reason?: string;
  retryAfter?: number;
  params: Params;
}

export function parseSubscriptionState(s: string, base: number, diags: Diagnostic[] | undefined): SubscriptionState | undefined {
  const semi = s.indexOf(';');
  const state = (semi < 0 ? s : s.slice(0, semi)).trim().toLowerCase();
  if (!/^[a-z0-9\-!%*_+`'~.]+$/.test(state)) {
    diags?.push(diag('bad-subscription-state', 'error', 'RFC 6665 §8.4 (Subscription-State)', `Subscription-State "${state}" is not a token`, base, { header: 'subscription-state' }));
    return undefined;
  }
  if (!['active', 'pending', 'terminated'].includes(state)) {
    diags?.push(diag('unknown-subscription-state', 'warning', 'RFC 6665 §4.1.3', `Subscription-State "${state}" is not active, pending or terminated`, base, { header: 'subscription-state' }));
  }
  const params = semi < 0 ? new Params() : parseHeaderParams(s.slice(semi + 1), base + semi + 1, diags, 'subscription-state');
  const num = (n: string) => { const v = params.get(n); return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined; };
  return { state, expires: num('expires'), reason: params.get('reason'), retryAfter: num('retry-after'), params };
}
