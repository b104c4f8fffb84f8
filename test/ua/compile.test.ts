/**
 * The user-agent layer compiles to SIPp scenarios: every verb and option yields XML SIPp accepts (the builder
 * checks labels, variables and challenges), and the messages say what a phone would. test/ua-live runs them against
 * real peers; here the compiled text is read.
 */
import { roleOfXml, Sipp, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import { UserAgent, type UaHost } from '../../src/ua/index.js';
import { compileRegistration } from '../../src/ua/register.js';

const host: UaHost = {
  sipp: (s: ScenarioBuilder) => new Sipp(s).withLocal('127.0.0.1'),
  address: () => '127.0.0.1',
  domain: 'lab.test',
  t1Ms: 100,
  transport: 'udp',
  onCleanup: () => {},
  track: () => {},
};

const alice = new UserAgent(host, 'alice', { user: 'alice', password: 'not-in-the-xml' });
const anonymous = new UserAgent(host, 'carol');
const bob = new UserAgent(host, 'bob', { user: 'bob', password: 'x' });

/** The messages of a scenario, as SIPp will send them (before its keywords are filled in). */
function sends(xml: string): string[] {
  return [...xml.matchAll(/<!\[CDATA\[\n?([\s\S]*?)\]\]>/g)].map((m) => m[1]);
}

describe('a call', () => {
  test('with an account: From is the AoR, a 401 or 407 is answered with credentials, and the 2xx ACK carries the INVITE CSeq', () => {
    const xml = alice.call(bob).bye().xml();
    const msgs = sends(xml);
    const invites = msgs.filter((m) => m.startsWith('INVITE sip:bob@lab.test SIP/2.0'));
    expect(invites.some((m) => m.includes('[authentication]'))).toBe(true);
    expect(invites.some((m) => !m.includes('[authentication]'))).toBe(true);
    for (const m of invites) expect(m).toMatch(/^From: <sip:alice@lab\.test>;tag=/m);
    expect(xml).toMatch(/<recv response="401" optional="true" auth="true"/);
    expect(xml).toMatch(/<recv response="407" optional="true" auth="true"/);
    // The ACK of a challenge is hop by hop, with the challenged INVITE's CSeq; the 2xx ACK with the answered one's.
    expect(msgs.some((m) => /^ACK sip:bob@lab\.test SIP\/2\.0[\s\S]*CSeq: \[last_cseq_number\] ACK/.test(m))).toBe(true);
    expect(msgs.some((m) => /^ACK \[next_url\] SIP\/2\.0[\s\S]*\[routes\][\s\S]*CSeq: \[last_cseq_number\] ACK/.test(m))).toBe(true);
    expect(xml).not.toContain('not-in-the-xml');
  });

  test('without an account: an anonymous caller at its own address, and no challenge handling', () => {
    const xml = anonymous.call(bob).bye().xml();
    expect(sends(xml)[0]).toMatch(/^From: <sip:sipp@\[local_ip\]:\[local_port\]>;tag=/m);
    expect(xml).not.toContain('[authentication]');
  });

  test('ACK and BYE go to the callee\'s Contact through the route set the 200 brought (RFC 3261 §12.2.1.1)', () => {
    const xml = anonymous.call(bob).bye().xml();
    expect(roleOfXml(xml)).toBe('uac');
    // rrs on the 200: its Record-Route, reversed, becomes [routes] and its Contact [next_url].
    expect(xml).toMatch(/<recv response="200"[^>]* rrs="true"/);
    const inDialog = sends(xml).filter((m) => /^(ACK|BYE) \[next_url\] SIP\/2\.0$/m.test(m));
    expect(new Set(inDialog.map((m) => m.split(' ')[0]))).toEqual(new Set(['ACK', 'BYE']));
    for (const m of inDialog) expect(m).toMatch(/^\[routes\]$/m);
  });

  test('a hold and a resume: each new offer one o= version higher, with its direction', () => {
    const msgs = sends(anonymous.call(bob).reinvite({ direction: 'sendonly' }).reinvite({ direction: 'sendrecv' }).bye().xml());
    const offers = msgs.filter((m) => m.startsWith('INVITE '));
    const versions = offers.map((m) => Number(/^o=\S+ \S+ (\d+) /m.exec(m)?.[1]));
    expect(versions).toEqual([versions[0], versions[0] + 1, versions[0] + 2]);
    expect(offers.map((m) => /^a=(\w+)$/m.exec(m)?.[1])).toEqual(['sendrecv', 'sendonly', 'sendrecv']);
    expect(offers.slice(1).every((m) => m.startsWith('INVITE [next_url] SIP/2.0') && m.includes('[routes]') && m.includes('[peer_tag_param]'))).toBe(true);
  });

  test('with an account the retry of a challenged re-INVITE carries the same description as the first try', () => {
    const offers = sends(alice.call(bob).reinvite({ direction: 'inactive' }).bye().xml()).filter((m) => m.startsWith('INVITE [next_url]'));
    const versions = new Set(offers.map((m) => /^o=\S+ \S+ (\d+) /m.exec(m)?.[1]));
    expect(offers.length).toBeGreaterThanOrEqual(2);
    expect(versions.size).toBe(1);
  });

  test('reliable: Supported or Require 100rel, and a PRACK with RAck from the provisional', () => {
    const msgs = sends(anonymous.call(bob, { reliable: 'required' }).prack({ afterMs: 500 }).bye().xml());
    expect(msgs[0]).toMatch(/^Supported: 100rel$/m);
    expect(msgs[0]).toMatch(/^Require: 100rel$/m);
    expect(msgs.find((m) => m.startsWith('PRACK'))).toMatch(/^RAck: \[\$rseq\] \[\$icseq\] INVITE$/m);
  });

  test('a session timer: the offer, and a retry with the 422 Min-SE (with an account too: it still fits in SIPp\'s 64 KiB)', () => {
    expect(alice.call(bob, { sessionTimer: { se: 1800, minSE: 90 } }).awaitRefresh({ timeoutMs: 50_000 }).bye().xml().length).toBeLessThan(65536);
    const msgs = sends(anonymous.call(bob, { sessionTimer: { se: 1800, minSE: 90, refresher: 'uac' } }).awaitRefresh({ timeoutMs: 50_000 }).bye().xml());
    expect(msgs[0]).toMatch(/^Session-Expires: 1800;refresher=uac$/m);
    expect(msgs[0]).toMatch(/^Min-SE: 90$/m);
    expect(msgs.some((m) => /^Session-Expires: \[\$minse\];refresher=uac$/m.test(m) && /^Min-SE: \[\$minse\]$/m.test(m))).toBe(true);
  });

  test('CANCEL on the INVITE branch and CSeq, and the ACK of the 487', () => {
    const msgs = sends(anonymous.call(bob).cancel().xml());
    expect(msgs.find((m) => m.startsWith('CANCEL'))).toMatch(/^Via:\[\$inv_topvia\]$[\s\S]*^CSeq: \[\$icseq\] CANCEL$/m);
    expect(msgs.some((m) => m.startsWith('ACK') && m.includes('Via:[$inv_topvia]'))).toBe(true);
  });

  test('a forked call PRACKed in both early dialogs must go on to a CANCEL', () => {
    expect(() => anonymous.call(bob, { reliable: 'supported' }).prack({ dialogs: 2 }).bye().xml()).toThrow(/\.prack\(\{ dialogs: 2 \}\)\.cancel\(\)/);
    expect(sends(anonymous.call(bob, { reliable: 'supported' }).prack({ dialogs: 2 }).cancel().xml()).filter((m) => m.startsWith('PRACK'))).toHaveLength(2);
  });

  test('REFER with Replaces escaped in Refer-To (RFC 3891 §6.1), and the NOTIFYs answered', () => {
    const xml = anonymous.call(bob).refer('sip:carol@lab.test', { replaces: 'abc@h;to-tag=1;from-tag=2' }).bye().xml();
    expect(sends(xml).find((m) => m.startsWith('REFER'))).toMatch(/^Refer-To: <sip:carol@lab\.test\?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>$/m);
    expect(xml).toMatch(/<recv request="NOTIFY"/);
  });

  test('an unknown user of the domain, a user agent, or a URI as the callee', () => {
    expect(sends(anonymous.call('nobody').xml())[0]).toMatch(/^INVITE sip:nobody@lab\.test SIP\/2\.0/);
    expect(sends(anonymous.call('sip:x@elsewhere.test').xml())[0]).toMatch(/^INVITE sip:x@elsewhere\.test SIP\/2\.0/);
    expect(() => anonymous.call(anonymous)).toThrow(/carol has no account/);
  });
});

describe('an answer', () => {
  test('a re-INVITE is answered with the direction RFC 3264 §6.1 gives, its o= version one higher per offer', () => {
    const msgs = sends(bob.answer().xml());
    const oks = msgs.filter((m) => m.startsWith('SIP/2.0 200 OK') && m.includes('application/sdp'));
    const first = Number(/^o=\S+ \S+ (\d+) /m.exec(oks[0])?.[1]);
    // The first re-offer's four possible answers: sendrecv→sendrecv, sendonly→recvonly, recvonly→sendonly, inactive→inactive.
    const firstReoffer = oks.filter((m) => Number(/^o=\S+ \S+ (\d+) /m.exec(m)?.[1]) === first + 1);
    expect(new Set(firstReoffer.map((m) => /^a=(\w+)$/m.exec(m)?.[1]))).toEqual(new Set(['inactive', 'recvonly', 'sendonly', 'sendrecv']));
    expect(oks.some((m) => Number(/^o=\S+ \S+ (\d+) /m.exec(m)?.[1]) === first + 2)).toBe(true);
  });

  test('echoes the INVITE\'s Record-Route in its 180 and 200, and its own BYE follows the route set (RFC 3261 §12.1.1, §12.2.1.1)', () => {
    const xml = bob.answer({ hangupAfterMs: 300 }).xml();
    expect(roleOfXml(xml)).toBe('uas');
    expect(xml).toMatch(/<recv request="INVITE"[^>]* rrs="true"/);
    const msgs = sends(xml);
    expect(msgs.find((m) => m.startsWith('SIP/2.0 180'))).toMatch(/^\[last_Record-Route:\]$/m);
    // The 200 goes to the kept INVITE (its Via stack): with the Record-Route set kept from it.
    expect(msgs.find((m) => m.startsWith('SIP/2.0 200 OK') && m.includes('[$inv_via]'))).toMatch(/^\[\$inv_rr\]$/m);
    const byes = msgs.filter((m) => m.startsWith('BYE'));
    expect(byes.length).toBeGreaterThan(0);
    for (const m of byes) expect(m).toMatch(/^BYE \[next_url\] SIP\/2\.0$[\s\S]*^\[routes\]$/m);
  });

  test('a late final response goes to the kept INVITE: its whole Via stack, however many Vias', () => {
    const msgs = sends(bob.answer({ noAnswer: true }).xml());
    const ended = msgs.find((m) => m.startsWith('SIP/2.0 487'));
    expect(ended).toMatch(/^\[\$inv_via\]$/m);
    expect(ended).toMatch(/^CSeq:\[\$inv_cseq\]$/m);
  });

  test('reliable: 183 with Require: 100rel, RSeq and SDP; the 200 after the PRACK carries no second answer', () => {
    const msgs = sends(bob.answer({ reliable: true }).xml());
    expect(msgs.find((m) => m.startsWith('SIP/2.0 183'))).toMatch(/^Require: 100rel$[\s\S]*^RSeq: 1$[\s\S]*^v=0$/m);
    expect(msgs.find((m) => m.startsWith('SIP/2.0 200 OK') && m.includes('[$inv_via]'))).not.toContain('application/sdp');
  });

  test('hangs up on its own after hangupAfterMs, wherever in the dialog it is waiting', () => {
    const xml = bob.answer({ hangupAfterMs: 300 }).xml();
    // Every wait of the answered dialog (the first INVITE, with rrs, comes before it).
    const waits = [...xml.matchAll(/<recv request="(INVITE|UPDATE|INFO|BYE)"[^>]*>/g)].map((m) => m[0]).filter((w) => !w.includes('rrs='));
    expect(waits.length).toBeGreaterThan(4);
    for (const w of waits) expect(w).toMatch(/timeout="300" ontimeout="hangup_\d+"/);
  });

  test('a session timer it refuses below its minimum with 422 and Min-SE', () => {
    expect(sends(bob.answer({ sessionTimer: { refresher: 'uac', minSE: 120 } }).xml()).find((m) => m.startsWith('SIP/2.0 422'))).toMatch(/^Min-SE: 120$/m);
  });
});

describe('registration and requests outside a call', () => {
  test('a series of REGISTERs on one call: contacts at its own address, the wildcard, a query, Min-Expires carried over', () => {
    const xml = alice.registrations([{ contacts: [{ user: 'alice-a', q: 0.5 }], expires: 30 }, { expires: 'min-expires' }, { contacts: '*', expires: 0 }, { contacts: [] }]).xml();
    const regs = sends(xml).filter((m) => m.startsWith('REGISTER') && !m.includes('[authentication]'));
    expect(regs[0]).toMatch(/^Contact: <sip:alice-a@\[local_ip\]:\[local_port\]>;q=0\.5$[\s\S]*^Expires: 30$/m);
    expect(regs[1]).toMatch(/^Expires: \[\$minexp\]$/m);
    expect(regs[2]).toMatch(/^Contact: \*$[\s\S]*^Expires: 0$/m);
    expect(regs[3]).not.toMatch(/^Contact:/m);
  });

  test('a challenged REGISTER goes again with [authentication]; every final response ends it (the test reads the verdict off the wire)', () => {
    const xml = alice.registrations([{ contacts: [{ host: '10.0.0.2', expires: 60, q: 0.5 }], expires: 3600 }]).xml();
    const regs = sends(xml).filter((m) => m.startsWith('REGISTER sip:lab.test SIP/2.0'));
    expect(regs.map((m) => m.includes('[authentication]'))).toEqual([false, true]);
    for (const m of regs) {
      expect(m).toMatch(/^Contact: <sip:alice@10\.0\.0\.2>;q=0\.5;expires=60$/m);
      expect(m).toMatch(/^Expires: 3600$/m);
    }
    expect(xml).toMatch(/<recv response="401"[^>]* auth="true"/);
    expect(xml).toMatch(/<recv response="407"[^>]* auth="true"/);
    for (const code of [200, 403, 423]) expect(xml).toMatch(new RegExp(`<recv response="${code}"`));
  });

  test('a registration that cannot authenticate stores no challenge: a 401 is its answer', () => {
    const xml = compileRegistration({ name: 'r', user: 'carol', domain: 'lab.test', steps: [{}], canAuth: false, t1Ms: 100, transport: 'udp' }).toXml();
    expect(xml).not.toMatch(/auth="true"/);
    expect(xml).not.toContain('[authentication]');
    expect(xml).toMatch(/<recv response="401"/);
  });

  test('the Min-Expires of a 423 can only be taken after a step that may get one', () => {
    expect(() => alice.registrations([{ expires: 'min-expires' }]).xml()).toThrow(/step 1 asks for the Min-Expires/);
  });

  test('MESSAGE, SUBSCRIBE (a NOTIFY before or after the 2xx) and PUBLISH with SIP-If-Match', () => {
    expect(sends(alice.message(bob, 'hello').xml())[0]).toMatch(/^MESSAGE sip:bob@lab\.test SIP\/2\.0[\s\S]*^Content-Type: text\/plain$[\s\S]*^hello$/m);
    const sub = alice.subscribe(bob, { event: 'presence', expires: 600, thenExpires: 0 }).xml();
    expect(sends(sub)[0]).toMatch(/^Event: presence$[\s\S]*^Accept: application\/pidf\+xml$[\s\S]*^Expires: 600$/m);
    expect(sub).toMatch(/<recv request="NOTIFY" optional="true"/);
    expect(sends(sub).some((m) => m.startsWith('SUBSCRIBE [next_url]') && /^Expires: 0$/m.test(m))).toBe(true);
    const pub = sends(alice.publish(undefined, { expires: 60, ifMatch: 'etag-1' }).xml())[0];
    expect(pub).toMatch(/^SIP-If-Match: etag-1$/m);
    expect(pub).toMatch(/^Content-Length: 0$/m);
  });
});
