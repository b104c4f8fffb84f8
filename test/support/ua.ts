/**
 * The usual scenarios of the driver tests (a caller, a phone that answers, a registration), compiled by the
 * user-agent layer (src/ua) the suites run, so the drivers are tested with the scenarios they really get.
 * The verdict helpers read what a UA received back from its SIPp's message log: src/ua takes every final
 * response of a registration, so "registered" or "challenged" is asserted on those, not on SIPp's exit code.
 */
import type { ScenarioBuilder, SippResult } from '../../drivers/sipp/index.js';
import { compileAnswer, type AnswerOptions } from '../../src/ua/answer.js';
import { compileCall, type CallOptions, type CallStep } from '../../src/ua/call.js';
import { receivedMessages } from '../../src/ua/received.js';
import { compileRegistration, type ContactSpec } from '../../src/ua/register.js';
import type { Identity } from '../../src/ua/sip-text.js';

/** RFC 3261's T1, what SIPp assumes too: for a test that sets none. */
const DEFAULT_T1_MS = 500;

/** A caller without an account: From and Contact are `sipp` at its own address. */
export const ANONYMOUS: Identity = { user: 'sipp', domain: '[local_ip]:[local_port]' };

export interface CallerOptions {
  /** Request-URI and To. Default: SIPp's -s user at its remote address, as SIPp's own uac. */
  uri?: string;
  /** Default: anonymous. */
  identity?: Identity;
  /** Answer a 401/407 with the Sipp's withAuth credentials. */
  canAuth?: boolean;
  t1Ms?: number;
  options?: CallOptions;
  /** What the caller does; the answer is waited for and ACKed first. Default: hang up at once. */
  steps?: CallStep[];
  name?: string;
}

/** A call placed by a user agent: INVITE, the answer ACKed, then `steps`. */
export function caller(o: CallerOptions = {}): ScenarioBuilder {
  return compileCall({
    name: o.name ?? 'call',
    identity: o.identity ?? ANONYMOUS,
    uri: o.uri ?? 'sip:[service]@[remote_ip]:[remote_port]',
    options: o.options ?? {},
    steps: o.steps ?? [{ kind: 'bye' }],
    canAuth: o.canAuth ?? false,
    t1Ms: o.t1Ms ?? DEFAULT_T1_MS,
  });
}

/** A phone that rings and answers the next INVITE, then waits for the caller's BYE (or sends its own: hangupAfterMs). */
export function answerer(o: { user?: string; t1Ms?: number; options?: AnswerOptions; name?: string } = {}): ScenarioBuilder {
  return compileAnswer({ name: o.name ?? 'answer', user: o.user ?? 'sipp', options: o.options ?? {}, canAuth: false, t1Ms: o.t1Ms ?? DEFAULT_T1_MS });
}

export interface RegistrationOptions {
  /** The AoR is user@domain; REGISTER goes to sip:domain. */
  user: string;
  domain: string;
  /** The Expires header; absent: none. */
  expires?: number;
  /** Default: the AoR's user at this SIPp's own address. */
  contact?: ContactSpec;
  /** Answer a 401/407 with the Sipp's withAuth credentials. Default true. */
  canAuth?: boolean;
  t1Ms?: number;
  transport?: 'udp' | 'tcp';
  name?: string;
}

/** One REGISTER (two with a challenge); every final response ends it, so its status is read with finals(). */
export function registration(o: RegistrationOptions): ScenarioBuilder {
  return compileRegistration({
    name: o.name ?? 'register',
    user: o.user,
    domain: o.domain,
    steps: [{ contacts: [o.contact ?? {}], ...(o.expires !== undefined ? { expires: o.expires } : {}) }],
    canAuth: o.canAuth ?? true,
    t1Ms: o.t1Ms ?? DEFAULT_T1_MS,
    transport: o.transport ?? 'udp',
  });
}

/**
 * The final statuses (200 and up) the SIPp of `r` received, in order. A retransmission (the same status to the
 * same CSeq: a 2xx resent until its ACK came, on a loaded machine) counts once.
 */
export function finals(r: SippResult): number[] {
  const seen = new Set<string>();
  return receivedMessages(r.files.messages).flatMap((m) => {
    if (m.kind !== 'response' || m.status < 200) return [];
    const key = `${m.status} ${m.get('cseq')}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [m.status];
  });
}

/** The Call-ID of the last response the SIPp of `r` received (its own dialog's or registration's). */
export function lastCallId(r: SippResult): string | undefined {
  return receivedMessages(r.files.messages).filter((m) => m.kind === 'response').pop()?.callId;
}
