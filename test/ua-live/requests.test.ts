/**
 * The user agents' verbs that the next suites stand on (MESSAGE, SUBSCRIBE with its NOTIFYs, PUBLISH with its
 * entity tag, REFER with its implicit subscription), run for real: a UserAgent's SIPp against a peer. Where no
 * lab endpoint plays the other side yet (a presence server, a transferee), the peer is a deliberately scripted
 * SIPp written here with the scenario builder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenario, Sipp, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { receivedMessages, UserAgent, type UaHost } from '../../src/ua/index.js';
import { responseToLast, message, UAS_TAG, VIA } from '../../src/ua/sip-text.js';

const d = which('sipp') ? describe : describe.skip;
const T1 = 100;
const PIDF = '<?xml version="1.0"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@lab.test"><tuple id="t1"><status><basic>open</basic></status></tuple></presence>';

d('user-agent verbs against a real peer', () => {
  let block: AddressBlock;
  let dir: string;
  const peerAddress = () => block.host(200);

  beforeAll(() => {
    block = claimAddressBlock(222);
    dir = mkdtempSync(join(tmpdir(), 'sipwright-ua-live-'));
  });
  afterAll(() => {
    block.release();
    if (!process.env.KEEP_UA_LIVE) rmSync(dir, { recursive: true, force: true });
  });

  /** Each party's address, the same whichever host asks (two user agents of one test must not share one). */
  const addresses = new Map<string, string>();

  /** A host whose user agents send to `remote` (the peer, or another user agent). */
  function host(remote: string): UaHost {
    const address = (party: string) => {
      if (!addresses.has(party)) addresses.set(party, block.host(10 + addresses.size));
      return addresses.get(party)!;
    };
    return {
      sipp: (s, o) => new Sipp(s).withLocal(address(o.party), o.port ?? 5060).withRemote(remote).withT1(T1).withTimeout(o.timeoutMs ?? 10_000).withLogDir(join(dir, o.label)),
      address,
      domain: 'lab.test',
      t1Ms: T1,
      transport: 'udp',
      onCleanup: () => {},
      track: () => {},
    };
  }

  const peers: Array<{ stop(): Promise<unknown> }> = [];
  afterEach(async () => {
    // A test that failed half-way leaves its peer waiting: stopped, so the next test can bind its address.
    for (const p of peers.splice(0)) await p.stop();
  });

  /** The scripted peer, started in the background on its own address. */
  async function peer(s: ScenarioBuilder) {
    const p = await new Sipp(s).withLocal(peerAddress(), 5060).withT1(T1).withTimeout(10_000).withLogDir(join(dir, `peer-${s.name}`)).start();
    peers.push(p);
    return p;
  }

  test('MESSAGE from one user agent is taken by another, which answers 200 (RFC 3428 §7)', async () => {
    const bobHost = host('127.0.0.1:9');
    const bob = new UserAgent(bobHost, 'bob', { user: 'bob', password: 'bob-live-secret' });
    const taking = await bob.accept('MESSAGE').start();
    peers.push(taking);
    const alice = new UserAgent(host(`${bob.address}:5060`), 'alice');
    const sent = await alice.message(bob, 'hello bob').run();
    const taken = await taking.done();
    expect({ sent: sent.ok, taken: taken.ok }).toEqual({ sent: true, taken: true });
    const got = receivedMessages(taken.files.messages).find((m) => m.kind === 'request');
    expect(got?.method).toBe('MESSAGE');
    expect(got?.bodyText).toBe('hello bob\r\n');
    expect(receivedMessages(sent.files.messages).map((m) => (m.kind === 'response' ? m.status : m.method))).toEqual([200]);
  });

  for (const order of ['NOTIFY after the 200', 'NOTIFY before the 200'] as const) {
    test(`SUBSCRIBE, its ${order} (RFC 6665 §4.1.2.4 allows either), then a final NOTIFY: each answered 200`, async () => {
      const notifier = scenario(`notifier-${order.startsWith('NOTIFY before') ? 'early' : 'late'}`);
      const keep = (header: string, into: string) => ({ ereg: { regexp: '.*', search_in: 'hdr' as const, header, assign_to: into } });
      notifier.recv({ request: 'SUBSCRIBE', rrs: true, actions: [keep('From:', 'sub_from'), keep('To:', 'sub_to'), keep('Via:', 'sub_via'), keep('CSeq:', 'sub_cseq')] });
      // The SUBSCRIBE's 200 from its kept lines: when it goes after the NOTIFY's exchange, [last_*] name that.
      const ok = message(['SIP/2.0 200 OK', 'Via:[$sub_via]', 'From:[$sub_from]', `To:[$sub_to];${UAS_TAG}`, 'Call-ID: [call_id]', 'CSeq:[$sub_cseq]', 'Contact: <sip:alice@[local_ip]:[local_port]>', 'Expires: 60']);
      const notify = (state: string, cseq: number) =>
        message(
          ['NOTIFY [next_url] SIP/2.0', VIA, '[routes]', 'Max-Forwards: 70', `From:[$sub_to];${UAS_TAG}`, 'To:[$sub_from]', 'Call-ID: [call_id]', `CSeq: ${cseq} NOTIFY`, 'Contact: <sip:alice@[local_ip]:[local_port]>', 'Event: presence', `Subscription-State: ${state}`],
          { type: 'application/pidf+xml', lines: PIDF.split('\n') },
        );
      if (order === 'NOTIFY after the 200') notifier.send(ok);
      notifier.send(notify('active;expires=60', 1), { retrans: T1 });
      notifier.recv({ response: 200 });
      // The subscriber answers a NOTIFY that came before its SUBSCRIBE's 2xx (it does not wait for that 2xx).
      if (order === 'NOTIFY before the 200') notifier.send(ok);
      notifier.send(notify('terminated;reason=noresource', 2), { retrans: T1 });
      notifier.recv({ response: 200 });
      const running = await peer(notifier);
      const bob = new UserAgent(host(`${peerAddress()}:5060`), 'bob', { user: 'bob', password: 'bob-live-secret' });
      const watching = await bob.subscribe('sip:alice@lab.test', { event: 'presence', expires: 60, notifications: 2 }).start();
    peers.push(watching);
      const [sub, served] = [await watching.done(), await running.wait()];
      expect({ subscriber: sub.ok, notifier: served.ok, errors: [...sub.errors, ...served.errors] }).toEqual({ subscriber: true, notifier: true, errors: [] });
      const notifies = watching.received().filter((m) => m.kind === 'request' && m.method === 'NOTIFY');
      expect(notifies.map((m) => m.get('Subscription-State'))).toEqual(['active;expires=60', 'terminated;reason=noresource']);
      expect(notifies[0].bodyText).toContain('<basic>open</basic>');
    });
  }

  test('PUBLISH a state, then refresh it by its entity tag with no body and remove it with Expires: 0 (RFC 3903 §4.1)', async () => {
    // Each PUBLISH is a request of its own (its own Call-ID): the agent is started for each.
    const agent = (name: string, check: { header: string; regexp: string }, etag: string) => {
      const s = scenario(name);
      s.recv({ request: 'PUBLISH', actions: [{ ereg: { regexp: check.regexp, search_in: 'hdr', header: check.header, assign_to: 'checked', check_it: true } }] });
      s.send(responseToLast('200 OK', { tag: true, extra: [`SIP-ETag: ${etag}`, 'Expires: 60'] }));
      return peer(s);
    };
    const alice = new UserAgent(host(`${peerAddress()}:5060`), 'alice', { user: 'alice', password: 'alice-live-secret' });
    const first = await agent('presence-agent-new', { header: 'Content-Type:', regexp: 'application/pidf\\+xml' }, 'etag-1');
    const published = await alice.publish(PIDF, { expires: 60 }).run();
    const servedFirst = await first.wait();
    const etag = receivedMessages(published.files.messages).find((m) => m.kind === 'response')?.get('SIP-ETag');
    expect(etag).toBe('etag-1');
    const second = await agent('presence-agent-remove', { header: 'SIP-If-Match:', regexp: 'etag-1' }, 'etag-2');
    const removed = await alice.publish(undefined, { expires: 0, ifMatch: etag }).run();
    const servedSecond = await second.wait();
    expect({ published: published.ok, removed: removed.ok, agent: [servedFirst.ok, servedSecond.ok], errors: [...servedFirst.errors, ...servedSecond.errors] }).toEqual({ published: true, removed: true, agent: [true, true], errors: [] });
    expect(receivedMessages(removed.files.messages).map((m) => (m.kind === 'response' ? m.get('SIP-ETag') : m.method))).toEqual(['etag-2']);
  });

  test('REFER in a call: 202, then the NOTIFYs of the implicit subscription until terminated, then BYE (RFC 3515 §2.4.4)', async () => {
    const transferee = scenario('transferee');
    transferee.recv({ request: 'INVITE', rrs: true, actions: [{ ereg: { regexp: '.*', search_in: 'hdr', header: 'From:', assign_to: 'caller' } }, { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: 'callee' } }] });
    transferee.send(responseToLast('200 OK', { tag: true, extra: ['Contact: <sip:bob@[local_ip]:[local_port]>'], body: { type: 'application/sdp', lines: ['v=0', 'o=bob 1 1 IN IP4 [local_ip]', 's=-', 'c=IN IP4 [media_ip]', 't=0 0', 'm=audio [media_port] RTP/AVP 0'] } }), { retrans: T1 });
    transferee.recv({ request: 'ACK' });
    transferee.recv({ request: 'REFER', actions: [{ ereg: { regexp: '<sip:carol@lab\\.test>', search_in: 'hdr', header: 'Refer-To:', assign_to: 'refer_to', check_it: true } }] });
    transferee.send(responseToLast('202 Accepted'));
    const notify = (frag: string, state: string, cseq: number) =>
      message(['NOTIFY [next_url] SIP/2.0', VIA, '[routes]', 'Max-Forwards: 70', `From:[$callee];${UAS_TAG}`, 'To:[$caller]', 'Call-ID: [call_id]', `CSeq: ${cseq} NOTIFY`, 'Event: refer', `Subscription-State: ${state}`], { type: 'message/sipfrag;version=2.0', lines: [frag] });
    transferee.send(notify('SIP/2.0 100 Trying', 'active;expires=60', 1), { retrans: T1 });
    transferee.recv({ response: 200 });
    transferee.send(notify('SIP/2.0 200 OK', 'terminated;reason=noresource', 2), { retrans: T1 });
    transferee.recv({ response: 200 });
    transferee.recv({ request: 'BYE' });
    transferee.send(responseToLast('200 OK'));
    const running = await peer(transferee);
    const alice = new UserAgent(host(`${peerAddress()}:5060`), 'alice');
    const r = await alice.call('sip:bob@lab.test').refer('sip:carol@lab.test').bye().run();
    const served = await running.wait();
    expect({ caller: r.ok, transferee: served.ok, errors: [...r.errors, ...served.errors] }).toEqual({ caller: true, transferee: true, errors: [] });
    const notifies = receivedMessages(r.files.messages).filter((m) => m.kind === 'request' && m.method === 'NOTIFY');
    expect(notifies.map((m) => m.bodyText.trim())).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
  });

  // Seen from Asterisk when slow (a 325 ms wait, T1 100 ms): each copy of the REGISTER got a 401 of its own,
  // with its own opaque, both sent together. This registrar does the same: it takes both copies (-nr: SIPp would
  // otherwise fold the copy into the first), then answers each with its own challenge, the second one either
  // at once (the UA has not sent its retry yet) or once the retry has come (the UA waits for its answer).
  test.each(['at once', 'after the retry'])('a challenge of its own to a retransmission of the first REGISTER, sent %s, is absorbed (RFC 3261 §17.1.3)', async (when) => {
    const registrar = scenario(`challenges-each-copy-${when.replace(/ /g, '-')}`);
    const challenge = (opaque: string) => responseToLast('401 Unauthorized', { tag: true, extra: [`WWW-Authenticate: Digest realm="lab.test", nonce="stray-challenge-nonce", opaque="${opaque}", algorithm=MD5`] });
    const retry = () => registrar.recv({ request: 'REGISTER', actions: [{ ereg: { regexp: 'Digest', search_in: 'hdr', header: 'Authorization:', assign_to: 'creds', check_it: true } }] });
    registrar.recv({ request: 'REGISTER', actions: [{ ereg: { regexp: '.*', search_in: 'hdr', header: 'Via:', assign_to: 'first_via' } }] });
    registrar.recv({ request: 'REGISTER' });
    registrar.send(challenge('first-copy'));
    if (when === 'after the retry') retry();
    // [last_*] name the last request taken, which by then may be the retry: the stray is the first REGISTER's.
    registrar.send(challenge('second-copy').replace('[last_Via:]', 'Via:[$first_via]').replace('[last_CSeq:]', 'CSeq: 1 REGISTER'));
    if (when === 'at once') retry();
    registrar.send(responseToLast('200 OK', { tag: true, extra: ['Contact: <sip:alice@[remote_ip]:[remote_port]>;expires=60'] }));
    const running = await new Sipp(registrar).withLocal(peerAddress(), 5060).withT1(T1).withTimeout(10_000).withArgs('-nr').withLogDir(join(dir, `peer-${registrar.name}`)).start();
    peers.push(running);
    const alice = new UserAgent(host(`${peerAddress()}:5060`), 'alice', { user: 'alice', password: 'alice-live-secret' });
    const r = await alice.registrations([{ expires: 60 }], { label: `stray-challenge-${when.replace(/ /g, '-')}` }).run();
    const served = await running.wait();
    expect({ registered: r.ok, registrar: served.ok, errors: [...r.errors, ...served.errors] }).toEqual({ registered: true, registrar: true, errors: [] });
    expect(receivedMessages(r.files.messages).map((m) => (m.kind === 'response' ? m.status : m.method))).toEqual([401, 401, 200]);
  });

  test('a challenge of its own to a retransmission of the INVITE, sent with the first, is ACKed and the call goes on (RFC 3261 §17.1.1.2)', async () => {
    // The same as above, from Asterisk to an INVITE (seen in a session-timers run): two 401s, both at once.
    const pbx = scenario('challenges-each-invite-copy');
    pbx.recv({ request: 'INVITE' });
    pbx.recv({ request: 'INVITE' });
    for (const opaque of ['first-copy', 'second-copy']) {
      pbx.send(responseToLast('401 Unauthorized', { tag: true, extra: [`WWW-Authenticate: Digest realm="lab.test", nonce="stray-invite-nonce", opaque="${opaque}", algorithm=MD5`] }));
    }
    // Each challenge ACKed: the second is a final response of the INVITE's too (RFC 3261 §17.1.1.2).
    pbx.recv({ request: 'ACK' });
    pbx.recv({ request: 'ACK' });
    pbx.recv({ request: 'INVITE', rrs: true, actions: [{ ereg: { regexp: 'Digest', search_in: 'hdr', header: 'Authorization:', assign_to: 'creds', check_it: true } }] });
    pbx.send(responseToLast('200 OK', { tag: true, extra: ['Contact: <sip:600@[local_ip]:[local_port]>'], body: { type: 'application/sdp', lines: ['v=0', 'o=pbx 1 1 IN IP4 [local_ip]', 's=-', 'c=IN IP4 [media_ip]', 't=0 0', 'm=audio [media_port] RTP/AVP 0'] } }));
    pbx.recv({ request: 'ACK' });
    pbx.recv({ request: 'BYE' });
    pbx.send(responseToLast('200 OK'));
    const running = await new Sipp(pbx).withLocal(peerAddress(), 5060).withT1(T1).withTimeout(10_000).withArgs('-nr').withLogDir(join(dir, `peer-${pbx.name}`)).start();
    peers.push(running);
    const alice = new UserAgent(host(`${peerAddress()}:5060`), 'alice', { user: 'alice', password: 'alice-live-secret' });
    const r = await alice.call('sip:600@lab.test').bye().run();
    const served = await running.wait();
    expect({ called: r.ok, pbx: served.ok, errors: [...r.errors, ...served.errors] }).toEqual({ called: true, pbx: true, errors: [] });
    expect(receivedMessages(r.files.messages).map((m) => (m.kind === 'response' ? m.status : m.method))).toEqual([401, 401, 200, 200]);
  });
});
