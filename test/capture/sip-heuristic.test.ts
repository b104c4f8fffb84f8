import { looksLikeSip, SipLine, sipStartLine } from '../../src/capture/sip-heuristic.js';

const sip = (s: string, strict = true) => looksLikeSip(Buffer.from(s, 'latin1'), 0, Buffer.byteLength(s, 'latin1'), strict);

// Each verdict was checked against tshark 4.0.17 on UDP 5060 (see the capture tests for the live check).
test.each([
  ['INVITE sip:a@b SIP/2.0\r\n\r\n', true],
  ['SIP/2.0 200 OK\r\n\r\n', true],
  ['sip/2.0 200 OK\r\n\r\n', false],
  ['SIP/2.1 200 OK\r\n', false],
  ['INVITE sip:a@b SIP/2.0 \r\n', false],
  ['INVITE sip:a@b sip/2.0\r\n', false],
  ['INVITE sip:a@b SIP/3.0\r\n', false],
  ['A b:c SIP/2.0', true],
  ['A bc: SIP/2.0\r\n', true],
  ['A :bc SIP/2.0\r\n', false],
  ['A b:c  SIP/2.0\r\n', false],
  ['SIP/2.0 200 ', true],
  ['SIP/2.0 200', false],
  ['SIP/2.0 200\r\nX: y z', false],
  ['SIP/2.0 2000 OK\r\n', false],
  [' INVITE sip:a SIP/2.0\r\n', false],
  ['\r\nINVITE sip:a SIP/2.0\r\n', false],
  ['INVITE sip:a SIP/2.0\0\r\n', false],
  ['X y:z SIP/2.0\n', true],
  ['SIP/2.0 20a OK\r\n', false],
  ['SIP/2.0  200 OK\r\n', false],
  ['REGISTER sip:x SIP/2.0\rfoo', true],
  ['OPTIONS * SIP/2.0\r\n', false],
  ['SIP/2.0 999 \r\n', true],
  ['\u00e9INVITE sip:a SIP/2.0\r\n', false],
  ['REGIStER pip:sip.cyberc?ty.dk SIP/2.0\r\n', true],
  ['', false],
])('%j is SIP: %s', (line, expected) => {
  expect(sip(line)).toBe(expected);
});

test('classifies requests and responses', () => {
  const b = Buffer.from('SIP/2.0 180 Ringing\r\n');
  expect(sipStartLine(b, 0, b.length)).toBe(SipLine.Status);
  const r = Buffer.from('BYE sip:x SIP/2.0\r\n');
  expect(sipStartLine(r, 0, r.length)).toBe(SipLine.Request);
});

test('respects the bounds it is given', () => {
  const b = Buffer.from('xxINVITE sip:a SIP/2.0\r\nyy');
  expect(looksLikeSip(b, 2, b.length - 2)).toBe(true);
  expect(looksLikeSip(b, 2, 10)).toBe(false);
});

test('lenient mode accepts any case-insensitive SIP/ version, like tshark without strict_sip_version', () => {
  expect(sip('sip/2.0 200 OK\r\n', false)).toBe(true);
  expect(sip('INVITE sip:a SIP/3.0 \r\n', false)).toBe(true);
  expect(sip('HTTP/1.1 200 OK\r\n', false)).toBe(false);
});
