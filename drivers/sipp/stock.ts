/**
 * Ready-made scenarios: a registering UA, a UAS that answers a call, and a UAC that places one. Unlike
 * SIPp's built-in uac/uas they honour Record-Route (LAB-NOTES: through a record-routing proxy the built-in
 * ones get `404 Not here` for ACK and BYE): the UAC sends ACK and BYE to `[next_url]` with `[routes]`,
 * the UAS echoes `[last_Record-Route:]` and, when it hangs up itself, routes its BYE the same way.
 */
import type { Action } from './actions.js';
import { scenario, type ScenarioBuilder } from './scenario.js';

const SDP = [
  'v=0',
  'o=sipwright 53655765 2353687637 IN IP[local_ip_type] [local_ip]',
  's=-',
  'c=IN IP[media_ip_type] [media_ip]',
  't=0 0',
  'm=audio [media_port] RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
];

/** A message's header lines, then an empty body or SIPp's SDP offer/answer (its media address and port). */
export function withBody(headers: string[], sdp: boolean): string {
  if (!sdp) return [...headers, 'Content-Length: 0', '', ''].join('\n');
  return [...headers, 'Content-Type: application/sdp', 'Content-Length: [len]', '', ...SDP, ''].join('\n');
}

export type ContactSpec = string | { uri: string; expires?: number; q?: number; params?: string };

export interface RegisterOptions {
  /** Contact header values, one header line each. `[]` sends none (a query), `['*']` a wildcard. Default: this SIPp. */
  contacts?: ContactSpec[];
  /** Expires header value (a number or a SIPp keyword such as `[$minexp]`); absent: no Expires header. */
  expires?: number | string;
  /** true: a 401/407 challenge must come and is answered with `[authentication]`; 'optional': answered if it comes. */
  auth?: boolean | 'optional';
  /** The final status expected (after the challenge, if any). Default 200. */
  expect?: number;
  /** AoR user and domain. Default `[service]` (-s) and `[remote_ip]`. */
  user?: string;
  domain?: string;
  /** Header lines added to every REGISTER. */
  headers?: string[];
  /** Actions on the final response, e.g. an ereg with check_it on its Contact or Expires. */
  onFinal?: Action[];
  name?: string;
}

function contactValue(c: ContactSpec): string {
  if (typeof c === 'string') return c;
  const uri = c.uri.startsWith('<') ? c.uri : `<${c.uri}>`;
  return `${uri}${c.q !== undefined ? `;q=${c.q}` : ''}${c.expires !== undefined ? `;expires=${c.expires}` : ''}${c.params ? `;${c.params.replace(/^;/, '')}` : ''}`;
}

export interface RegisterRequest {
  user: string;
  domain: string;
  cseq: number;
  /** Contact header values (already formatted), one header line each. */
  contacts: string[];
  expires?: number | string;
  /** Add `[authentication]` (after a stored 401/407). */
  auth: boolean;
  headers?: string[];
}

/** The text of one REGISTER, for scenarios that chain several (same Call-ID, rising CSeq). */
export function registerRequest(r: RegisterRequest): string {
  return withBody(
    [
      `REGISTER sip:${r.domain} SIP/2.0`,
      'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport',
      'Max-Forwards: 70',
      `From: <sip:${r.user}@${r.domain}>;tag=[pid]SIPpTag00[call_number]`,
      `To: <sip:${r.user}@${r.domain}>`,
      'Call-ID: [call_id]',
      `CSeq: ${r.cseq} REGISTER`,
      ...r.contacts.map((c) => `Contact: ${c}`),
      ...(r.expires === undefined ? [] : [`Expires: ${r.expires}`]),
      ...(r.auth ? ['[authentication]'] : []),
      ...(r.headers ?? []),
      'User-Agent: sipwright (SIPp)',
    ],
    false,
  );
}

/** One REGISTER transaction (two with a challenge): for registrar tests. */
export function registerScenario(o: RegisterOptions = {}): ScenarioBuilder {
  const user = o.user ?? '[service]';
  const domain = o.domain ?? '[remote_ip]';
  const contacts = (o.contacts ?? [`<sip:${user}@[local_ip]:[local_port]>`]).map(contactValue);
  const expect = o.expect ?? 200;
  const register = (cseq: number, auth: boolean) => registerRequest({ user, domain, cseq, contacts, expires: o.expires, auth, headers: o.headers });
  const s = scenario(o.name ?? 'register');
  s.send(register(1, false));
  s.recv({ response: 100, optional: true });
  if (!o.auth) {
    s.recv({ response: expect, actions: o.onFinal });
    return s;
  }
  s.recv({ response: 401, optional: true, auth: true, next: 'challenged' });
  if (o.auth === 'optional') {
    s.recv({ response: 407, optional: true, auth: true, next: 'challenged' });
    s.recv({ response: expect, actions: o.onFinal, next: 'done' });
  } else {
    s.recv({ response: 407, auth: true });
  }
  s.label('challenged');
  s.send(register(2, true));
  s.recv({ response: 100, optional: true });
  s.recv({ response: expect, actions: o.onFinal });
  s.label('done');
  return s;
}

export interface UasOptions {
  /** Send 180 Ringing before the 200. Default true. */
  ringing?: boolean;
  /** ms between 180 and 200. */
  answerAfterMs?: number;
  /** Answer with SDP. Default true. */
  sdp?: boolean;
  /** 'remote' (default): wait for the caller's BYE. 'local': hang up after holdMs, routing the BYE by the Record-Route set. */
  hangup?: 'remote' | 'local';
  holdMs?: number;
  /** T1 for retransmitting the 200 until the ACK comes (UDP). Default 500. */
  t1Ms?: number;
  name?: string;
}

/** Answers one INVITE (180, 200), takes the ACK, then handles or sends the BYE, honouring Record-Route. */
export function uasScenario(o: UasOptions = {}): ScenarioBuilder {
  const sdp = o.sdp ?? true;
  const reply = (status: string, body: boolean) =>
    withBody(
      [
        `SIP/2.0 ${status}`,
        '[last_Via:]',
        '[last_From:]',
        '[last_To:];tag=[pid]SIPpTag01[call_number]',
        '[last_Call-ID:]',
        '[last_CSeq:]',
        '[last_Record-Route:]',
        'Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>',
      ],
      body,
    );
  const s = scenario(o.name ?? 'uas-answer');
  // rrs: keep the INVITE's Record-Route and Contact, for [routes] and [next_url] in our own BYE.
  s.recv({
    request: 'INVITE',
    rrs: true,
    actions:
      o.hangup === 'local'
        ? [
            { ereg: { regexp: '.*', search_in: 'hdr', header: 'From:', assign_to: 'remote_party', check_it: true } },
            { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: 'local_party', check_it: true } },
          ]
        : undefined,
  });
  if (o.ringing ?? true) s.send(reply('180 Ringing', false));
  if (o.answerAfterMs) s.pause(o.answerAfterMs);
  s.send(reply('200 OK', sdp), { retrans: o.t1Ms ?? 500 });
  s.recv({ request: 'ACK' });
  if (o.hangup === 'local') {
    s.pause(o.holdMs ?? 0);
    s.send(
      withBody(
        [
          'BYE [next_url] SIP/2.0',
          'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport',
          '[routes]',
          'Max-Forwards: 70',
          'From: [$local_party];tag=[pid]SIPpTag01[call_number]',
          'To: [$remote_party]',
          'Call-ID: [call_id]',
          'CSeq: 1 BYE',
        ],
        false,
      ),
    );
    s.recv({ response: 200 });
  } else {
    s.recv({ request: 'BYE' });
    // The BYE's To already carries our tag: echoed as it is, not tagged a second time.
    s.send(withBody(['SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', '[last_To:]', '[last_Call-ID:]', '[last_CSeq:]'], false));
  }
  return s;
}

export interface UacOptions {
  /** Request-URI user. Default `[service]` (-s). */
  to?: string;
  /** Request-URI host. Default `[remote_ip]:[remote_port]`. */
  domain?: string;
  /** The caller's user in From and Contact (a PBX identifies its endpoint by it). Default `sipp`. */
  from?: string;
  /** Domain of the From URI. Default: this SIPp's own address. */
  fromDomain?: string;
  /**
   * true: the INVITE must be challenged (401 or 407); the challenge is ACKed and the INVITE sent again with
   * `[authentication]` (-au/-ap) and the next CSeq.
   */
  auth?: boolean;
  sdp?: boolean;
  /** ms between ACK and BYE. */
  holdMs?: number;
  /** 'local' (default): the caller sends BYE after holdMs. 'remote': it waits for the far end's BYE and answers 200. */
  hangup?: 'local' | 'remote';
  /** How long to wait for the far end's BYE with hangup 'remote' (ms). Default 10 s. */
  byeTimeoutMs?: number;
  /** Header lines added to the INVITE (e.g. a caller preference such as `Request-Disposition: sequential`). */
  headers?: string[];
  name?: string;
}

export interface ChallengedInvite {
  /** The INVITE with this CSeq, with `[authentication]` when asked. */
  invite: (cseq: number, auth: boolean) => string;
  /** true: the INVITE must be challenged (401 or 407) and is sent again with credentials. */
  auth: boolean;
  /** The ACK of the challenge: hop-by-hop, on the INVITE's branch, with the challenge's To tag ([last_To:]). */
  ack: string;
  /** Start the response-time measure at the first INVITE (the 200 should then end it with rtd). */
  rtd?: boolean;
}

/**
 * The opening INVITE of a caller, challenged or not, up to its 100 Trying; returns the CSeq the dialog goes on
 * from and the SIPp transaction its later responses belong to. With auth, each INVITE is a SIPp transaction of
 * its own: a slow PBX answers the INVITE and its retransmission with two challenges, and the second, arriving
 * after the retry, is then ACKed again by SIPp instead of being taken for a message out of place (which
 * aborted the call).
 */
export function inviteWithChallenge(s: ScenarioBuilder, o: ChallengedInvite): { cseq: number; txn?: string } {
  const rtd = o.rtd ? { start_rtd: true as const } : {};
  if (!o.auth) {
    s.send(o.invite(1, false), rtd);
    s.recv({ response: 100, optional: true });
    return { cseq: 1 };
  }
  s.send(o.invite(1, false), { ...rtd, start_txn: 'challenged' });
  s.recv({ response: 100, optional: true, response_txn: 'challenged' });
  s.recv({ response: 401, optional: true, auth: true, response_txn: 'challenged', next: 'challenged' });
  s.recv({ response: 407, auth: true, response_txn: 'challenged' });
  s.label('challenged');
  s.send(o.ack, { ack_txn: 'challenged' });
  s.send(o.invite(2, true), { start_txn: 'invite' });
  s.recv({ response: 100, optional: true, response_txn: 'invite' });
  return { cseq: 2, txn: 'invite' };
}

/**
 * INVITE, ACK and BYE, with ACK and BYE sent to the callee's Contact through the Record-Route set. With auth,
 * the challenged INVITE is ACKed on its own branch (RFC 3261 §17.1.1.3) and retried with credentials and
 * CSeq 2, so the dialog's later requests count on from there.
 */
export function uacCallScenario(o: UacOptions = {}): ScenarioBuilder {
  const to = o.to ?? '[service]';
  const domain = o.domain ?? '[remote_ip]:[remote_port]';
  const user = o.from ?? 'sipp';
  const from = `From: <sip:${user}@${o.fromDomain ?? '[local_ip]:[local_port]'}>;tag=[pid]SIPpTag00[call_number]`;
  const common = ['Max-Forwards: 70', from, `To: <sip:${to}@${domain}>[peer_tag_param]`, 'Call-ID: [call_id]'];
  const invite = (cseq: number, auth: boolean) =>
    withBody(
      [
        `INVITE sip:${to}@${domain} SIP/2.0`,
        'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport',
        ...common.map((h) => h.replace('[peer_tag_param]', '')),
        `CSeq: ${cseq} INVITE`,
        `Contact: <sip:${user}@[local_ip]:[local_port];transport=[transport]>`,
        ...(auth ? ['[authentication]'] : []),
        ...(o.headers ?? []),
      ],
      o.sdp ?? true,
    );
  const s = scenario(o.name ?? 'uac-call');
  const { cseq, txn } = inviteWithChallenge(s, {
    invite,
    auth: o.auth ?? false,
    ack: withBody([`ACK sip:${to}@${domain} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', from, '[last_To:]', 'Call-ID: [call_id]', 'CSeq: 1 ACK'], false),
    rtd: true,
  });
  s.recv({ response: 180, optional: true, response_txn: txn });
  s.recv({ response: 183, optional: true, response_txn: txn });
  // rrs: the 200's Record-Route (reversed, as a UAC must) becomes [routes], its Contact [next_url].
  s.recv({ response: 200, rrs: true, rtd: true, response_txn: txn });
  const inDialog = (method: string, n: number, extra: string[] = []) =>
    withBody([`${method} [next_url] SIP/2.0`, `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport`, '[routes]', ...common, `CSeq: ${n} ${method}`, ...extra], false);
  // CSeq of the ACK is the INVITE's: after a challenge [cseq] would not say which INVITE was answered. The ACK
  // of the 2xx carries the INVITE's credentials (RFC 3261 §13.2.2.4).
  s.send(inDialog('ACK', cseq, o.auth ? ['[authentication]'] : []), txn ? { ack_txn: txn } : {});
  if (o.hangup === 'remote') {
    s.recv({ request: 'BYE', timeout: o.byeTimeoutMs ?? 10_000 });
    s.send(withBody(['SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', '[last_To:]', '[last_Call-ID:]', '[last_CSeq:]', `Contact: <sip:${user}@[local_ip]:[local_port];transport=[transport]>`], false));
    return s;
  }
  if (o.holdMs) s.pause(o.holdMs);
  s.send(inDialog('BYE', cseq + 1));
  s.recv({ response: 200 });
  return s;
}
