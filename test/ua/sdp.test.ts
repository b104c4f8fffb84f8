/** The user agents' SDP: written by sdp-transform from a typed description, with SIPp keywords for the addresses. */
import * as sdpTransform from 'sdp-transform';
import { answerTo, directionOf, sdpLines } from '../../src/ua/sdp.js';

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
