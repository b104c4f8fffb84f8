import { deflateRawSync } from 'node:zlib';
import { extractSip } from '../../src/capture/extract.js';
import { capture, sipRequest, sipResponse, TcpSession, wsFrame } from './helpers.js';

const C = { ip: '2001:db8::10', port: 51000 };
const S = { ip: '2001:db8::1', port: 8443 };
const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const INVITE = sipRequest('INVITE', 'v=0\r\n');
const OK = sipResponse(200, 'OK');

const UPGRADE =
  'GET /ws HTTP/1.1\r\nHost: edge.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n';
const SWITCHING =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n';

function session(): { s: TcpSession; pk: Buffer[] } {
  const s = new TcpSession(C, S);
  return { s, pk: [...s.handshake(), ...s.send('c', UPGRADE), ...s.send('s', SWITCHING)] };
}

const texts = (r: ReturnType<typeof extractSip>) => r.payloads.map((p) => p.bytes.toString('latin1'));

test('masked client frames and unmasked server frames after the HTTP Upgrade', () => {
  const { s, pk } = session();
  pk.push(...s.send('c', wsFrame(INVITE, { mask })), ...s.send('s', wsFrame(OK)));
  const r = extractSip(capture(pk));
  expect(r.findings).toEqual([]);
  expect(texts(r)).toEqual([INVITE, OK]);
  expect(r.payloads[0]).toMatchObject({ transport: 'ws', frame: 5, src: C, dst: S });
  expect(r.payloads[1]).toMatchObject({ transport: 'ws', frame: 6, src: S, dst: C });
});

test('16- and 64-bit lengths, and a frame spread over TCP segments', () => {
  const { s, pk } = session();
  const big = sipRequest('NOTIFY', 'n'.repeat(3000));
  pk.push(...s.send('s', wsFrame(big), 1000), ...s.send('c', wsFrame(INVITE, { mask, lenBits: 64 })));
  const r = extractSip(capture(pk));
  expect(texts(r)).toEqual([big, INVITE]);
  expect(r.payloads[0].frame).toBe(pk.length - 1);
});

test('fragmented messages with a ping between the fragments', () => {
  const { s, pk } = session();
  const m = sipRequest('MESSAGE', 'hello');
  pk.push(
    ...s.send('c', wsFrame(m.slice(0, 40), { mask, fin: false })),
    ...s.send('c', wsFrame('', { mask, opcode: 9 })),
    ...s.send('c', wsFrame(m.slice(40, 90), { mask, opcode: 0, fin: false })),
    ...s.send('c', wsFrame(m.slice(90), { mask, opcode: 0 })),
  );
  const r = extractSip(capture(pk));
  expect(texts(r)).toEqual([m]);
  expect(r.payloads[0].frame).toBe(pk.length);
});

test('several frames in one segment; binary frames; non-SIP messages ignored', () => {
  const { s, pk } = session();
  const frames = Buffer.concat([wsFrame(OK), wsFrame('{"not":"sip"}'), wsFrame(Buffer.from(OK), { opcode: 2 }), wsFrame('', { opcode: 10 })]);
  pk.push(...s.send('s', frames));
  const r = extractSip(capture(pk));
  expect(texts(r)).toEqual([OK, OK]);
});

test('permessage-deflate messages are inflated', () => {
  const { s, pk } = session();
  const z = deflateRawSync(Buffer.from(INVITE)).subarray(0); // tail 00 00 ff ff is optional for a single message
  pk.push(...s.send('c', wsFrame(z, { mask, rsv1: true })));
  expect(texts(extractSip(capture(pk)))).toEqual([INVITE]);
});

test('an oversized frame is a finding, not a buffer the size of the claim', () => {
  const { s, pk } = session();
  const claim = Buffer.from([0x81, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0]); // 4 GiB text frame
  pk.push(...s.send('s', claim), ...s.send('s', wsFrame(OK)));
  const r = extractSip(capture(pk));
  expect(r.payloads).toEqual([]);
  expect(r.findings[0].message).toMatch(/WebSocket frame exceeds/);
});

test('a refused upgrade leaves the connection alone', () => {
  const s = new TcpSession(C, S);
  const pk = [...s.handshake(), ...s.send('c', UPGRADE), ...s.send('s', 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')];
  pk.push(...s.send('c', wsFrame(INVITE, { mask })));
  const r = extractSip(capture(pk));
  expect(r).toMatchObject({ payloads: [], findings: [] });
});

test('a message unfinished at the end of the capture is a finding', () => {
  const { s, pk } = session();
  pk.push(...s.send('c', wsFrame(INVITE.slice(0, 30), { mask, fin: false })));
  const r = extractSip(capture(pk));
  expect(r.payloads).toEqual([]);
  expect(r.findings[0].message).toMatch(/WebSocket message incomplete/);
});

test('a 101 naming websocket is enough when the request was not captured', () => {
  const s = new TcpSession(C, S);
  const pk = [...s.send('s', SWITCHING), ...s.send('s', wsFrame(OK))];
  expect(texts(extractSip(capture(pk)))).toEqual([OK]);
});
