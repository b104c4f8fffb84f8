/**
 * The named defects a Kamailio negative control switches on (`new Kamailio(addr).withDefects('no-fork')`).
 * A broken target is the good config (config.ts) with a few lines of one route added or replaced, never a copy
 * of a route: a hand copy kept the good route's old text when the good route was fixed, and so carried a
 * second, unintended defect. Each entry says which blocks of the rendered config it changes and which good
 * lines it takes out there; test/config/kamailio-defects.test.ts holds every rendering to exactly that.
 */

/** The top-level blocks of the rendered kamailio.cfg, in the order config.ts writes them. */
export const KAMAILIO_BLOCKS = [
  'request_route',
  'event_route[core:worker-one-init]',
  'route[REGISTRAR]',
  'route[PASSWORD]',
  'route[RELAY]',
  'route[CANCEL]',
  'route[RECORDROUTE]',
  'route[WITHINDLG]',
  'route[LOCATION]',
  'route[SERIAL]',
  'failure_route[NEXT_CONTACTS]',
  'route[NUMBERS]',
  'route[FOREIGN]',
] as const;
export type KamailioBlock = (typeof KAMAILIO_BLOCKS)[number];

/** A good line the defect takes out (as written, without its indentation), or a run of them: its first and last line. */
export type RemovedLines = string | readonly [first: string, last: string];

export interface KamailioDefectSpec {
  /** The sipwright suite that must fail on it. */
  suite: 'registration' | 'calls' | 'forking' | 'prack' | 'session-timers' | 'security' | 'routing' | 'transfer';
  /** One line: what is broken, and the test(s) of the suite that must fail. */
  description: string;
  /** The blocks it changes, each with the good lines it takes out there (none: it only adds lines). */
  touches: Partial<Record<KamailioBlock, readonly RemovedLines[]>>;
}

const DEFECTS = {
  // Registrar (route[REGISTRAR]): the digest check, the 403 for a foreign AoR and the rest stay as they are.
  'no-auth-challenge': {
    suite: 'registration',
    description: 'REGISTER is saved without a digest challenge: fails "digest challenge (401) then 200 …" and "a wrong password or an unknown user …"',
    touches: { 'route[REGISTRAR]': [['if (!is_present_hf("Authorization")) {', 'consume_credentials();']] },
  },
  'wrong-password-accepted': {
    suite: 'registration',
    description: 'the first REGISTER is challenged, then any credentials are accepted unchecked: fails "a wrong password or an unknown user is never answered 200 …"',
    touches: { 'route[REGISTRAR]': [['route(PASSWORD);', 'exit;'], '}'] },
  },
  'contacts-dropped': {
    suite: 'registration',
    description: 'save() keeps only the latest REGISTER\'s contacts (flag 0x04): fails "the 200 lists every current binding …"',
    touches: { 'route[REGISTRAR]': ['save("location");'] },
  },
  'deregistration-ignored': {
    suite: 'registration',
    description: 'a REGISTER removing bindings (Expires: 0, expires=0, Contact: *) gets 200 but removes nothing: fails the deregistration tests',
    touches: { 'route[REGISTRAR]': [] },
  },
  'ok-without-bindings': {
    suite: 'registration',
    description: 'bindings are stored but the 200 lists none (RFC 3261 §10.3 step 8): fails "the 200 lists every current binding …"',
    touches: { 'route[REGISTRAR]': ['save("location");'] },
  },

  // Proxy.
  'proxy-challenge-401': {
    suite: 'security',
    description: 'the proxy challenges its users\' INVITEs with 401 and WWW-Authenticate, as a registrar or a UAS would (RFC 3261 §22.3 says 407): fails "INVITE is challenged as the target\'s role says …"',
    touches: { request_route: [] },
  },
  'no-record-route': {
    suite: 'calls',
    description: 'INVITEs are forwarded without Record-Route: fails "the proxy record-routes, the 2xx echoes it, and ACK and BYE are loose-routed through it …"',
    touches: { 'route[RECORDROUTE]': [['if (is_method("INVITE|SUBSCRIBE")) {', '}']] },
  },
  'foreign-not-record-routed': {
    suite: 'calls',
    description: 'requests for another domain are forwarded without Record-Route: fails "both proxies record-route: …" (inter-domain)',
    touches: { 'route[RECORDROUTE]': ['if (is_method("INVITE|SUBSCRIBE")) {'] },
  },
  'strips-require': {
    suite: 'prack',
    description: 'Require is removed from forwarded INVITEs (RFC 3261 §16.6, §20.32): fails "an INVITE that requires 100rel reaches a UAS without it …"',
    touches: { 'route[RECORDROUTE]': [] },
  },
  'strips-session-expires': {
    suite: 'session-timers',
    description: 'Session-Expires (long and compact form) is removed from dialog-creating requests: fails "the proxy carries Supported: timer, Session-Expires and Min-SE to the UAS …"',
    touches: { 'route[RECORDROUTE]': [] },
  },
  'bye-answered-by-proxy': {
    suite: 'calls',
    description: 'the proxy answers every in-dialog BYE 200 itself before relaying it: fails "the callee crashes after the ACK: …" (a 200 for a dead callee)',
    touches: { 'route[WITHINDLG]': [] },
  },
  'drops-prack': {
    suite: 'prack',
    description: 'PRACKs in an early dialog are dropped, not loose-routed (RFC 3262 §3): fails "a reliable 183 with RSeq and early SDP crosses the proxy, is PRACKed …"',
    touches: { 'route[WITHINDLG]': [] },
  },
  'refer-rejected': {
    suite: 'transfer',
    description: 'a REFER inside a dialog is answered 403 by the proxy, never relayed: fails the blind transfer through a proxy',
    touches: { 'route[WITHINDLG]': [] },
  },
  'drops-notify': {
    suite: 'transfer',
    description: 'NOTIFYs inside a dialog are dropped, not loose-routed (RFC 3515 §2.4.4 needs them at the transferor): fails the blind transfer through a proxy',
    touches: { 'route[WITHINDLG]': [] },
  },
  'strips-referred-by': {
    suite: 'transfer',
    description: 'a REFER loses its Referred-By on the way (RFC 3892 §3): fails the blind transfer through a proxy, whose Referred-By must reach the transferee',
    touches: { 'route[WITHINDLG]': [] },
  },
  'cancel-not-forwarded': {
    suite: 'calls',
    description: 'CANCEL is answered 200 and never forwarded (RFC 3261 §16.10): fails "CANCEL before answer: …"',
    touches: { 'route[CANCEL]': [['if (t_check_trans()) {', '}']] },
  },
  'bye-timeout-early': {
    suite: 'calls',
    description: 'a BYE is given up after 300 ms instead of Timer F (64·T1): fails "the callee crashes after the ACK: …" (a 408 before Timer F)',
    touches: { 'route[RELAY]': [] },
  },
  'foreign-uri-rewritten': {
    suite: 'calls',
    description: 'for another domain the next hop\'s host and port are written into the Request-URI: fails "the Request-URI crosses proxyA unchanged …"',
    touches: { 'route[RELAY]': [] },
  },
  'sdp-direction-stripped': {
    suite: 'calls',
    description: 'a=sendonly, a=recvonly and a=inactive are deleted from relayed SDP (a broken ALG): fails "hold with sendonly then resume with sendrecv: …" and the inactive variant',
    touches: { 'route[RELAY]': [] },
  },
  'sdp-mangled': {
    suite: 'calls',
    description: 'the c= address of every relayed SDP is rewritten to 192.0.2.1 (a broken ALG): fails "the proxy relays the offer and the answer byte for byte …"',
    touches: { 'route[RELAY]': [] },
  },
  'sdp-version-frozen': {
    suite: 'calls',
    description: 'the o= version of every relayed SDP is set to 1 (RFC 3264 §8): fails both "hold with … then resume with sendrecv: …" tests',
    touches: { 'route[RELAY]': [] },
  },
  'unknown-user-500': {
    suite: 'calls',
    description: 'a call to a user with no binding is answered 500 instead of 404 or 480: fails "a call to a user with no binding is rejected with 404 or 480 …"',
    touches: { 'route[LOCATION]': ['send_reply("404", "Not Found");'] },
  },
  'no-fork': {
    suite: 'forking',
    description: 'only the Request-URI\'s contact gets the INVITE, the other branches are dropped: fails the parallel forking, branch timer and "the highest-q contact is tried first …" tests',
    touches: { 'route[LOCATION]': [] },
  },
  'numbers-forget-00': {
    suite: 'routing',
    description: 'the dial plan forgets the 00 form of its international numbers (no 00 → + normalisation): fails "every dialled form reaches its user" for each 00 number, which gets 404',
    touches: { 'route[NUMBERS]': [['if ($rU =~ "^00[1-9]") {', '}']] },
  },
  'serial-ignored': {
    suite: 'forking',
    description: 'Request-Disposition: sequential is ignored and every contact is forked to at once (RFC 3841 §9.1): fails the three "highest-q contact" tests',
    touches: { 'route[SERIAL]': [['t_load_contacts();', 't_on_failure("NEXT_CONTACTS");']] },
  },
} satisfies Record<string, KamailioDefectSpec>;

export type KamailioDefect = keyof typeof DEFECTS;

export const KAMAILIO_DEFECTS: Readonly<Record<KamailioDefect, KamailioDefectSpec>> = DEFECTS;
export const KAMAILIO_DEFECT_NAMES = Object.keys(DEFECTS) as KamailioDefect[];

export function isKamailioDefect(name: string): name is KamailioDefect {
  return Object.hasOwn(DEFECTS, name);
}

/** The name as a defect, or an error listing the known ones: a name from a file or the command line is unchecked. */
export function kamailioDefect(name: string): KamailioDefect {
  if (!isKamailioDefect(name)) throw new Error(`unknown Kamailio defect "${name}"; the known ones are ${KAMAILIO_DEFECT_NAMES.join(', ')}`);
  return name;
}

/** Whether a defect is on, for the template; every name is checked first, so a typo is an error, not a good config. */
export function defectSwitch(names: readonly string[]): (d: KamailioDefect) => boolean {
  const on = new Set(names.map(kamailioDefect));
  return (d) => on.has(d);
}
