/** SDES-*: SRTP keys in SDP (RFC 4568): keys only over TLS, and one offered crypto line in the answer. */
import { cryptoLines } from '../../src/rules/sdes.js';
import { flow, sdp } from '../support/flow.js';
import { findings, pair } from '../support/rules.js';

// Made-up keys of the right shape (30 bytes in base64); never a real one.
const KEY_A = 'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB';
const KEY_B = 'QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC';
const OFFER = ['m=audio 4000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`, `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${KEY_A}|2^20|1:4`];
const answerWith = (...crypto: string[]) => ['m=audio 5000 RTP/SAVP 0', ...crypto.map((c) => `a=${c} inline:${KEY_B}`)];
const offer = (media: string[]) => sdp({ owner: 'alice', media });
const answer = (media: string[]) => sdp({ owner: 'bob', ip: '127.0.0.2', media });
const call = (o: string, a: string, transport: 'udp' | 'tcp' | 'tls' = 'udp') => flow().invite('alice', 'bob', { body: o, transport }).reply(200, { body: a }).ack().trace();

describe('SDES rules', () => {
  pair('SDES-01', ['an SDES offer over UDP', () => call(offer(OFFER), answer(answerWith('crypto:1 AES_CM_128_HMAC_SHA1_80'))), 0],
    ['the same call over TLS', () => call(offer(OFFER), answer(answerWith('crypto:1 AES_CM_128_HMAC_SHA1_80')), 'tls')]);

  test('SDES-01 names each message that carried a key in the clear, its sender first, and never the key', () => {
    const f = findings(call(offer(OFFER), answer(answerWith('crypto:1 AES_CM_128_HMAC_SHA1_80')), 'tcp'), 'SDES-01');
    expect(f.map((x) => x.messages)).toEqual([[0], [1]]);
    expect(f[0].message).toMatch(/^INVITE \(SDP\) from alice to bob carries SRTP key material \(a=crypto tag 1 AES_CM_128_HMAC_SHA1_80, tag 2 AES_CM_128_HMAC_SHA1_32\) over TCP, not TLS/);
    expect(f[1].message).toMatch(/^200 OK \(SDP\) from bob to alice carries .* over TCP/);
    expect(JSON.stringify(f)).not.toMatch(/inline|QUFB|QkJC/);
  });

  test('SDES-01 is silent on plain RTP/AVP, and on a crypto line whose key is not inline (a key-method of another kind)', () => {
    expect(findings(call(offer(['m=audio 4000 RTP/AVP 0']), answer(['m=audio 5000 RTP/AVP 0'])), 'SDES-01')).toEqual([]);
    expect(findings(call(offer(['m=audio 4000 RTP/SAVP 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 example:not-a-key']), answer(['m=audio 5000 RTP/AVP 0'])), 'SDES-01')).toEqual([]);
  });

  pair('SDES-02', ['an answer with two crypto lines', () => call(offer(OFFER), answer(answerWith('crypto:1 AES_CM_128_HMAC_SHA1_80', 'crypto:2 AES_CM_128_HMAC_SHA1_32'))), 1],
    ['one line with an offered tag and its suite', () => call(offer(OFFER), answer(answerWith('crypto:2 AES_CM_128_HMAC_SHA1_32')))]);

  test('SDES-02 says what is wrong: no line, a tag not offered, a tag with another suite', () => {
    const problem = (...crypto: string[]) => findings(call(offer(OFFER), answer(answerWith(...crypto))), 'SDES-02').map((f) => f.message);
    expect(problem()).toEqual([expect.stringMatching(/^answer m-line 1 in 200 OK \(SDP\) accepts an SRTP stream with 0 a=crypto lines; it carries exactly one, picked from the offer in INVITE \(SDP\)/)]);
    expect(problem('crypto:3 AES_CM_128_HMAC_SHA1_80')).toEqual([expect.stringMatching(/answers with a=crypto tag 3, which the offer in INVITE \(SDP\) did not use \(its tags: 1, 2\)/)]);
    expect(problem('crypto:1 AES_CM_128_HMAC_SHA1_32')).toEqual([expect.stringMatching(/answers tag 1 with AES_CM_128_HMAC_SHA1_32, but the offer's tag 1 is AES_CM_128_HMAC_SHA1_80/)]);
  });

  test('SDES-02 leaves alone a rejected stream, an RTP/AVP answer and SRTP keyed another way', () => {
    expect(findings(call(offer(OFFER), answer(['m=audio 0 RTP/SAVP 0'])), 'SDES-02')).toEqual([]);
    expect(findings(call(offer(OFFER), answer(['m=audio 5000 RTP/AVP 0'])), 'SDES-02')).toEqual([]);
    expect(findings(call(offer(['m=audio 4000 RTP/SAVP 0', 'a=fingerprint:sha-256 AA:BB']), answer(['m=audio 5000 RTP/SAVP 0', 'a=fingerprint:sha-256 CC:DD'])), 'SDES-02')).toEqual([]);
  });

  test('crypto lines are read per m-section, a session-level one apart', () => {
    const text = ['v=0', `a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`, 'm=audio 1 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`, 'm=video 0 RTP/AVP 31', ''].join('\r\n');
    expect(cryptoLines(text)).toEqual({
      session: [{ tag: '9', suite: 'AES_CM_128_HMAC_SHA1_80', inline: true }],
      media: [[{ tag: '1', suite: 'AES_CM_128_HMAC_SHA1_80', inline: true }], []],
    });
  });
});
