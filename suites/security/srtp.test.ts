/**
 * SRTP keyed in SDP (SDES, RFC 4568): how a secure media session is signalled, and what a target that requires
 * one does with a caller that offers plain RTP. The offerer lists its crypto attributes, each a tag, a suite and
 * its own key; the answerer accepts one of them (same tag, same suite) with a key of its own (RFC 4568 §5.1.2).
 * A PBX ends the media, so it answers the offer itself, and refuses a call that must be SRTP but offers RTP/AVP
 * alone (488). A proxy ends nothing: the keys are end to end, so it must carry both descriptions untouched.
 *
 * The keys travel in the signalling: over anything but TLS whoever reads the SIP can decrypt the media. SDES-01
 * flags each such message, and no report or ladder ever shows a key (src/util/sdes-keys.ts).
 *
 * What a PBX does comes from its declaration (`srtp: { sdes, requiredBy }` in the target file); the embedded
 * Asterisk requires SRTP of an account of its own (media_encryption = sdes on its endpoint), so the other
 * suites' accounts keep plain RTP. A proxy needs no declaration: it only has to relay.
 */
import { expect } from '@jest/globals';
import * as sdpTransform from 'sdp-transform';
import { describeLab, type Lab } from '../../src/lab/fixture.js';
import type { Account } from '../../src/lab/schema.js';
import type { TargetPlan } from '../../src/lab/target.js';
import { runTransport } from '../../src/lab/transport.js';
import type { TraceMessage } from '../../src/trace/trace.js';
import { sdesKey, type SdpCrypto } from '../../src/ua/sdp.js';

/** What the offerer lists: both AES_CM_128 suites of RFC 4568 §6.2, in preference order, each with a fresh key. */
function offeredCrypto(): SdpCrypto[] {
  return [
    { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', key: sdesKey() },
    { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', key: sdesKey() },
  ];
}

/** The first m-line of a message's SDP: its transport protocol and crypto lines (tag, suite, key-params). */
function media(m: TraceMessage): { protocol: string; crypto: Array<{ tag: number; suite: string; keyParams: string }> } {
  expect(m).toHaveHeader('Content-Type', /application\/sdp/);
  const first = sdpTransform.parse(m.message.bodyText).media[0];
  return { protocol: first?.protocol ?? '', crypto: (first?.crypto ?? []).map((c) => ({ tag: Number(c.id), suite: c.suite, keyParams: c.config })) };
}

/** The master key and salt of `inline:<key>|lifetime|MKI`, decoded. */
function inlineKey(keyParams: string): Buffer {
  return Buffer.from(/^inline:([A-Za-z0-9+/=]+)/.exec(keyParams)?.[1] ?? '', 'base64');
}

const sdes = (t: TargetPlan) =>
  t.srtp?.sdes ? true : `target ${t.name} does not declare that it answers SRTP offers with keys in SDP (srtp: { sdes: true } in the target file)`;

const echo = (t: TargetPlan) => (t.features.echo ? true : `target ${t.name} declares no echo number to call (features.echo in the target file)`);

/** Every condition holds, or the first reason one does not. */
const all = (...reqs: Array<(t: TargetPlan) => true | string>) => (t: TargetPlan) => {
  for (const r of reqs) {
    const ok = r(t);
    if (ok !== true) return ok;
  }
  return true;
};

/** The account an SRTP call is made from: the one the target requires SRTP of (it may take SRTP from no other), else the first. */
function srtpCaller(lab: Lab): Account {
  const user = lab.plan.srtp?.requiredBy;
  const account = user === undefined ? lab.account(0) : lab.plan.accounts.find((a) => a.user === user);
  if (!account) throw new Error(`srtp.requiredBy names ${user}, which is not one of the target's accounts`);
  return account;
}

describeLab('SRTP with keys in SDP at a PBX (SDES)', { roles: ['pbx'], targetParty: 'pbx' }, (lab) => {
  /** alice, as the SRTP account, calls the PBX's echo with both suites offered and hangs up once answered. */
  async function sdesCallToEcho() {
    const offered = offeredCrypto();
    const alice = lab.ua('alice', srtpCaller(lab));
    const result = await alice.call(lab.plan.features.echo, { sdp: { crypto: offered } }).bye({ afterMs: 200 }).run();
    const trace = await lab.trace();
    const invite = trace.one({ method: 'INVITE', from: 'alice', to: 'pbx' });
    return { offered, result, trace, invite, ok: trace.one({ status: 200, cseqMethod: 'INVITE', from: 'pbx', to: 'alice' }) };
  }

  lab.test('an RTP/SAVP offer with two crypto lines is answered RTP/SAVP with one of them: the same tag, its suite, a key of the PBX\'s own', { rfc: ['RFC 4568 §5.1.2', 'RFC 4568 §6.1'], requires: all(sdes, echo) }, async () => {
    const { offered, result, invite, ok } = await sdesCallToEcho();
    expect(media(invite)).toMatchObject({ protocol: 'RTP/SAVP', crypto: offered.map((c) => ({ tag: c.tag, suite: c.suite })) });
    const answer = media(ok);
    expect(answer.protocol).toBe('RTP/SAVP');
    expect(answer.crypto).toHaveLength(1);
    const [picked] = answer.crypto;
    // The tag names the offered line it accepts, and the suite is that line's (SDES-02 checks every answer the same way).
    const { keyParams: _, ...choice } = picked;
    expect(offered.map((c) => ({ tag: c.tag, suite: c.suite }))).toContainEqual(choice);
    // Its own master key and salt (30 bytes for these suites), not one of ours sent back.
    const key = inlineKey(picked.keyParams);
    expect(key).toHaveLength(30);
    expect(offered.map((c) => c.key)).not.toContain(key.toString('base64'));
    expect(result.ok).toBe(true);
  });

  lab.test('an account that must use SRTP is refused with 488 when it offers RTP/AVP alone, and the test shows the reason given', { rfc: ['RFC 3261 §21.4.26', 'RFC 3264 §6'], requires: (t) => (t.srtp?.requiredBy ? true : `target ${t.name} declares no account whose calls must be SRTP (srtp.requiredBy in the target file)`) }, async () => {
    const caller = srtpCaller(lab);
    // Any number will do: the offer is refused before the PBX looks where the call goes. The echo if it has one,
    // else another account (not registered: the call must never reach it).
    const other = lab.plan.accounts.find((a) => a.user !== caller.user)?.user ?? caller.user;
    const to = lab.plan.features.echo ?? other;
    await lab.ua('alice', caller).call(to, { sdp: {}, expect: 'either' }).bye({ afterMs: 200 }).run();
    const trace = await lab.trace();
    const invite = trace.one({ method: 'INVITE', from: 'alice', to: 'pbx' });
    expect(media(invite)).toEqual({ protocol: 'RTP/AVP', crypto: [] });
    expect(invite).toBeAnsweredWith(488);
    // The reason as the PBX gave it: the phrase, and a Warning (RFC 3261 §20.43: 3xx codes for media) or Reason if any.
    const refusal = trace.one({ status: 488, cseqMethod: 'INVITE', from: 'pbx', to: 'alice' });
    const said = [`${refusal.status} ${refusal.message.kind === 'response' ? refusal.message.reason : ''}`, ...['Warning', 'Reason'].flatMap((h) => refusal.message.getAll(h).map((v) => `${h}: ${v}`))];
    expect({ refusal: said.join('; ') }).toEqual({ refusal: expect.stringMatching(/^488 \S/) });
    for (const w of refusal.message.getAll('Warning')) expect(w).toMatch(/^3\d\d /);
    // Refused, not answered: no 2xx, and no call went on to anyone.
    expect(trace.find({ status: '2xx', cseqMethod: 'INVITE', to: 'alice' })).toEqual([]);
    expect(trace.find({ method: 'INVITE', from: 'pbx' })).toEqual([]);
  });

  lab.test('keys sent over signalling that is not TLS are flagged (SDES-01): the offer, laid at alice\'s door, and the PBX\'s answer at its own', { rfc: 'RFC 4568 §8.3', requires: all(sdes, echo) }, async () => {
    const { invite, ok } = await sdesCallToEcho();
    const flagged = lab.run.findings.filter((f) => f.rule === 'SDES-01').map((f) => f.messages[0]);
    if (runTransport(lab.plan) === 'tls') {
      expect(flagged).toEqual([]);
    } else {
      expect(flagged).toEqual(expect.arrayContaining([invite.index, ok.index]));
      expect(lab.run.findings.find((f) => f.rule === 'SDES-01' && f.messages[0] === ok.index)?.message).toMatch(/from pbx to alice carries SRTP key material \(a=crypto tag \d AES_CM_128_HMAC_SHA1_(80|32)\) over (UDP|TCP), not TLS/);
    }
  });
});

describeLab('SRTP with keys in SDP through a proxy (SDES)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test('the proxy carries an SDES offer and its answer end to end as they are: bob gets alice\'s crypto lines, alice gets bob\'s one', { rfc: ['RFC 4568 §5.1.2', 'RFC 4568 §8.3'] }, async () => {
    const offered = offeredCrypto();
    // bob accepts the second line, so a proxy that rewrote or reordered the tags would show.
    const answered: SdpCrypto = { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', key: sdesKey() };
    const bob = lab.ua('bob', lab.account(1));
    await bob.register();
    const answering = await bob.answer({ sdp: { crypto: answered } }).start();
    const result = await lab.ua('alice', lab.account(0)).call(bob, { sdp: { crypto: offered } }).bye({ afterMs: 200 }).run();
    await answering.settle();
    const trace = await lab.trace();
    const wire = (c: SdpCrypto) => ({ tag: c.tag, suite: c.suite, keyParams: `inline:${c.key}` });
    const offerIn = media(trace.one({ method: 'INVITE', from: 'alice', to: 'proxy' }));
    const offerOut = media(trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' }));
    expect(offerIn).toEqual({ protocol: 'RTP/SAVP', crypto: offered.map(wire) });
    expect(offerOut).toEqual(offerIn);
    const answerIn = media(trace.one({ status: 200, cseqMethod: 'INVITE', from: 'bob', to: 'proxy' }));
    const answerOut = media(trace.one({ status: 200, cseqMethod: 'INVITE', from: 'proxy', to: 'alice' }));
    expect(answerIn).toEqual({ protocol: 'RTP/SAVP', crypto: [wire(answered)] });
    expect(answerOut).toEqual(answerIn);
    expect(result.ok).toBe(true);
  });
});
