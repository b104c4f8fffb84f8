/** The user agents' SDP: written by sdp-transform from a typed description, with SIPp keywords for the addresses. */
import * as sdpTransform from 'sdp-transform';
import { answerTo, directionOf, sdesKey, sdpLines } from '../../src/ua/sdp.js';

test('an offer names the codecs in order, the direction, and SIPp keywords for address and port', () => {
  const lines = sdpLines({ direction: 'sendonly', codecs: ['PCMA', 'PCMU'], version: 7, sessionId: 42 });
  expect(lines).toEqual([
    'v=0',
    'o=sipwright 42 7 IN IP[media_ip_type] [media_ip]',
    's=-',
    'c=IN IP[media_ip_type] [media_ip]',
    't=0 0',
    'm=audio [media_port] RTP/AVP 8 0',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=sendonly',
  ]);
});

test('SRTP: RTP/SAVP with an a=crypto line', () => {
  const text = sdpLines({ crypto: { suite: 'AES_CM_128_HMAC_SHA1_80', key: 'a2V5' } }).join('\r\n');
  expect(text).toMatch(/m=audio \[media_port\] RTP\/SAVP 0/);
  expect(text).toMatch(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:a2V5/);
  expect(sdpTransform.parse(text).media[0].crypto?.[0].suite).toBe('AES_CM_128_HMAC_SHA1_80');
});

test('an unknown codec is refused with the known ones', () => {
  expect(() => sdpLines({ codecs: ['OPUS' as never] })).toThrow(/unknown codec "OPUS" \(known: PCMU, GSM, PCMA, G722\)/);
});

test('answers to offered directions (RFC 3264 §6.1), and the direction a description states', () => {
  expect(['sendrecv', 'sendonly', 'recvonly', 'inactive'].map((d) => answerTo(d as never))).toEqual(['sendrecv', 'recvonly', 'sendonly', 'inactive']);
  expect(directionOf('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n')).toBe('sendrecv');
  expect(directionOf('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\na=inactive\r\nm=audio 1 RTP/AVP 0\r\n')).toBe('inactive');
});

test('SRTP offer: several a=crypto lines in preference order, tagged 1, 2 … unless a tag is given, with fresh keys', () => {
  const [k1, k2] = [sdesKey(), sdesKey()];
  expect(Buffer.from(k1, 'base64')).toHaveLength(30);
  expect(k1).not.toBe(k2);
  const lines = sdpLines({ crypto: [{ suite: 'AES_CM_128_HMAC_SHA1_80', key: k1 }, { suite: 'AES_CM_128_HMAC_SHA1_32', key: k2 }] });
  expect(lines.filter((l) => l.startsWith('m=') || l.startsWith('a=crypto'))).toEqual([
    'm=audio [media_port] RTP/SAVP 0',
    `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${k1}`,
    `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${k2}`,
  ]);
  expect(sdpLines({ crypto: { tag: 7, suite: 'AES_CM_128_HMAC_SHA1_32', key: k1 } })).toContain(`a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:${k1}`);
  // Plain RTP/AVP without crypto; a list that names a tag twice, or is empty, is a mistake in the test.
  expect(sdpLines({}).find((l) => l.startsWith('m='))).toBe('m=audio [media_port] RTP/AVP 0');
  expect(() => sdpLines({ crypto: [{ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_80', key: k1 }, { suite: 'AES_CM_128_HMAC_SHA1_80', key: k2 }] })).toThrow(/tags must differ .* got 2, 2/);
  expect(() => sdpLines({ crypto: [] })).toThrow(/empty list/);
});
