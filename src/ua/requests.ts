/**
 * Requests outside a call, compiled to SIPp scenarios: MESSAGE (RFC 3428), SUBSCRIBE with the NOTIFYs it
 * brings (RFC 6665), PUBLISH (RFC 3903), and a user agent that takes such requests and answers them 200.
 */
import { scenario, type RecvOptions, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import { inDialogRequest, uacDialog } from './dialog.js';
import { CALL_ID, contactLine, fromLine, MAX_FORWARDS, message, responseToLast, VIA, type Body, type Identity } from './sip-text.js';
import { FAILURES, SUCCESSES } from './statuses.js';
import { labels, transaction, type Compile } from './transaction.js';

interface Common {
  name: string;
  identity: Identity;
  /** Request-URI and To. */
  uri: string;
  canAuth: boolean;
  t1Ms: number;
}

function outOfDialog(method: string, o: Common, extra: string[], body?: Body) {
  return (auth: boolean) =>
    message([`${method} ${o.uri} SIP/2.0`, VIA, MAX_FORWARDS, fromLine(o.identity), `To: <${o.uri}>`, CALL_ID, `CSeq: [cseq] ${method}`, ...extra, ...(auth ? ['[authentication]'] : [])], body);
}

/** A stand-alone MESSAGE (RFC 3428 §4): every final response is taken, the wire says which came. */
export function compileMessage(o: Common & { body: Body }): ScenarioBuilder {
  const s = scenario(o.name);
  transaction({ s, label: labels(), canAuth: o.canAuth, t1Ms: o.t1Ms }, { text: outOfDialog('MESSAGE', o, [], o.body), accept: 'any' });
  return s;
}

/**
 * A REFER outside a dialog (RFC 3515 §2.4.2): asks the far end to reach `referTo`. Every final response is
 * taken; a 2xx's implicit subscription is not followed (its NOTIFYs are the far end's to send).
 */
export function compileReferOutOfDialog(o: Common & { referTo: string }): ScenarioBuilder {
  const s = scenario(o.name);
  const extra = [contactLine(o.identity.user), `Refer-To: <${o.referTo}>`];
  transaction({ s, label: labels(), canAuth: o.canAuth, t1Ms: o.t1Ms }, { text: outOfDialog('REFER', o, extra), accept: 'any' });
  return s;
}

export interface PublishOptions {
  event?: string;
  expires: number;
  /** The entity tag of the publication this one refreshes, modifies or removes (RFC 3903 §4.1). */
  ifMatch?: string;
}

/** A PUBLISH with a body (a new state) or without one (a refresh, or Expires: 0 to remove). */
export function compilePublish(o: Common & PublishOptions & { body?: Body }): ScenarioBuilder {
  const s = scenario(o.name);
  const extra = [`Event: ${o.event ?? 'presence'}`, `Expires: ${o.expires}`, ...(o.ifMatch ? [`SIP-If-Match: ${o.ifMatch}`] : [])];
  transaction({ s, label: labels(), canAuth: o.canAuth, t1Ms: o.t1Ms }, { text: outOfDialog('PUBLISH', o, extra, o.body), accept: 'any' });
  return s;
}

export interface SubscribeOptions {
  event: string;
  expires: number;
  accept?: string;
  /** Take NOTIFYs until one says `Subscription-State: terminated`, or this many have come. Default 1. */
  notifications?: number;
  /** Wait at most this long for each NOTIFY. */
  notifyWithinMs?: number;
  /** Then refresh with this Expires (0 ends the subscription), and take the NOTIFY that follows. */
  thenExpires?: number;
}

/**
 * SUBSCRIBE, then its NOTIFYs, each answered 200. The first NOTIFY may come before the 2xx (RFC 6665
 * §4.1.2.4): either order is taken. A failure response ends the scenario (the wire shows it).
 */
export function compileSubscribe(o: Common & SubscribeOptions): ScenarioBuilder {
  const s = scenario(o.name);
  const c: Compile = { s, label: labels(), canAuth: o.canAuth, t1Ms: o.t1Ms };
  const contact = contactLine(o.identity.user);
  const extra = (expires: number) => [contact, `Event: ${o.event}`, `Accept: ${o.accept ?? 'application/pidf+xml'}`, `Expires: ${expires}`];
  const end = 'end';
  const notifyWait = o.notifyWithinMs ?? Math.max(5000, 64 * o.t1Ms);
  const answerNotify = () => s.send(responseToLast('200 OK', { extra: [contact] }));
  const terminated = { ereg: { regexp: 'terminated', search_in: 'hdr' as const, header: 'Subscription-State:', assign_to: 'sub_over' } };

  /**
   * The SUBSCRIBE's transaction, a NOTIFY allowed before its final response. After answering that NOTIFY the
   * wait goes on in a copy placed after the answer (SIPp stops retransmitting the SUBSCRIBE only when its 2xx
   * is matched after the last message sent).
   */
  const subscribe = (text: (auth: boolean) => string, withChallenge: boolean) => {
    const early = c.label('early_notify');
    const answered = c.label('answered');
    const challenged = c.label('challenged');
    const finals: RecvOptions[] = [...FAILURES.map((code) => ({ response: code, next: end })), ...SUCCESSES.map((code) => ({ response: code, rrs: true, next: answered }))];
    const challenge: RecvOptions[] = withChallenge && c.canAuth ? [401, 407].map((code) => ({ response: code, auth: true, next: challenged })) : [];
    // Not retransmitted: SIPp sends nothing, not even the 200 to a NOTIFY, while a message of its own awaits
    // its answer, and the NOTIFY may overtake the SUBSCRIBE's 2xx. A lost SUBSCRIBE shows as a timeout.
    s.send(text(!withChallenge), { retrans: 0 });
    s.oneOf([{ response: 100 }, ...challenge, { request: 'NOTIFY', rrs: true, next: early, actions: [terminated] }, ...finals], { timeout: notifyWait, ontimeout: end });
    s.label(early);
    answerNotify();
    s.oneOf([{ response: 100 }, ...challenge, ...finals], { timeout: notifyWait, ontimeout: end });
    if (withChallenge && c.canAuth) {
      s.label(challenged);
      subscribe(text, false);
    }
    s.label(answered);
  };

  subscribe(outOfDialog('SUBSCRIBE', o, extra(o.expires)), true);
  const notifications = (n: number) => {
    for (let i = 0; i < n; i++) {
      // Decided before the answer goes out: nothing may stand between a send and what comes next.
      const last = c.label('last_notify');
      const more = c.label('more');
      s.recv({ request: 'NOTIFY', timeout: notifyWait, ontimeout: end, actions: [terminated] });
      s.nop([], { next: last, test: 'sub_over' });
      answerNotify();
      s.nop([], { next: more });
      s.label(last);
      s.send(responseToLast('200 OK', { extra: [contact] }), { next: end });
      s.label(more);
    }
  };
  notifications(o.notifications ?? 1);
  if (o.thenExpires !== undefined) {
    const dialog = uacDialog(fromLine(o.identity), o.uri);
    transaction(c, { text: (auth) => inDialogRequest('SUBSCRIBE', dialog, { extra: [...extra(o.thenExpires!), ...(auth ? ['[authentication]'] : [])] }), accept: [200, 202] });
    notifications(1);
  }
  s.label(end);
  return s;
}

/** Takes `count` requests of `method` and answers each 200 (a phone receiving MESSAGEs, say). */
/** How long a UA that answered stays up before it exits (and, over TCP, closes its connections). */
const ANSWERED_LINGER_MS = 300;

export function compileAccept(o: { name: string; user: string; method: string; count: number; withinMs: number }): ScenarioBuilder {
  const s = scenario(o.name);
  for (let i = 0; i < o.count; i++) {
    s.recv({ request: o.method, timeout: o.withinMs, ontimeout: 'end' });
    s.send(responseToLast('200 OK', { tag: true, extra: [contactLine(o.user)] }));
  }
  // Over TCP, SIPp's exit closes the connection 1 ms after its last 200: Asterisk took that FIN before the 200
  // and marked a qualified contact Unreachable. A moment's wait lets the far end read the answer first.
  s.pause(ANSWERED_LINGER_MS);
  s.label('end');
  return s;
}

