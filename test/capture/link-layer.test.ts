import { extractSip } from '../../src/capture/extract.js';
import { buildUdpPacket } from '../../src/capture/packet-builder.js';
import { capture, ethernet, sipRequest } from './helpers.js';

const A = { ip: '10.1.1.1', port: 5060 };
const B = { ip: '10.1.1.2', port: 5062 };
const rawV4 = buildUdpPacket({ src: A, dst: B, payload: Buffer.from(sipRequest('INVITE')), link: 'raw' });
const rawV6 = buildUdpPacket({
  src: { ip: '2001:db8::1', port: 5060 },
  dst: { ip: '2001:db8::2', port: 5060 },
  payload: Buffer.from(sipRequest('BYE')),
  link: 'raw',
});

function one(linkType: number, frame: Buffer) {
  const r = extractSip(capture([frame], linkType));
  expect(r.findings).toEqual([]);
  expect(r.payloads).toHaveLength(1);
  return r.payloads[0];
}

function sll(proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(proto, 14);
  return Buffer.concat([h, payload]);
}

function sll2(proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(proto, 0);
  h.writeUInt32BE(2, 4);
  h.writeUInt16BE(1, 8);
  h[11] = 6;
  return Buffer.concat([h, payload]);
}

function family(value: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  le ? b.writeUInt32LE(value) : b.writeUInt32BE(value);
  return b;
}

test('Ethernet with stacked 802.1ad / 802.1Q tags', () => {
  const p = one(1, ethernet(0x0800, rawV4, [0x88a8, 0x8100, 0x8100]));
  expect(p.src).toEqual(A);
  expect(p.dst).toEqual(B);
});

test('Ethernet 802.3 with LLC/SNAP', () => {
  const snap = Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd]);
  const frame = ethernet(rawV6.length + 8, Buffer.concat([snap, rawV6]));
  expect(one(1, frame).src.ip).toBe('2001:db8::1');
});

test('Ethernet carrying MPLS and PPPoE', () => {
  const label = Buffer.from([0x00, 0x01, 0x01, 0x40]); // bottom of stack
  expect(one(1, ethernet(0x8847, Buffer.concat([label, rawV4]))).src).toEqual(A);
  const pppoe = Buffer.from([0x11, 0, 0, 1, 0, 0, 0x00, 0x21]);
  expect(one(1, ethernet(0x8864, Buffer.concat([pppoe, rawV4]))).src).toEqual(A);
});

test('EtherType IPv4 with a version-6 header is decoded as IPv6, as tshark does', () => {
  expect(one(1, ethernet(0x0800, rawV6)).src.ip).toBe('2001:db8::1');
});

test('Linux cooked capture v1 and v2', () => {
  expect(one(113, sll(0x0800, rawV4)).src).toEqual(A);
  expect(one(113, sll(0x86dd, rawV6)).dst.ip).toBe('2001:db8::2');
  expect(one(276, sll2(0x0800, rawV4)).src).toEqual(A);
  expect(one(276, sll2(0x8100, Buffer.concat([Buffer.from([0, 5, 0x86, 0xdd]), rawV6]))).src.ip).toBe('2001:db8::1');
});

test.each([101, 12, 14, 228])('raw IPv4 on link type %i', (dlt) => {
  expect(one(dlt, rawV4).src).toEqual(A);
});

test.each([101, 12, 14, 229])('raw IPv6 on link type %i', (dlt) => {
  expect(one(dlt, rawV6).src.ip).toBe('2001:db8::1');
});

test('BSD loopback in either host byte order, and LOOP in network order', () => {
  expect(one(0, Buffer.concat([family(2, true), rawV4])).src).toEqual(A);
  expect(one(0, Buffer.concat([family(2, false), rawV4])).src).toEqual(A);
  for (const af6 of [10, 24, 28, 30]) expect(one(0, Buffer.concat([family(af6, true), rawV6])).src.ip).toBe('2001:db8::1');
  expect(one(108, Buffer.concat([family(2, false), rawV4])).src).toEqual(A);
  expect(one(108, Buffer.concat([family(30, false), rawV6])).src.ip).toBe('2001:db8::1');
});

test('PPP with and without HDLC address/control', () => {
  expect(one(9, Buffer.concat([Buffer.from([0xff, 0x03, 0x00, 0x21]), rawV4])).src).toEqual(A);
  expect(one(9, Buffer.concat([Buffer.from([0x00, 0x57]), rawV6])).src.ip).toBe('2001:db8::1');
});

test('an unknown link type gives one finding, not one per packet', () => {
  const r = extractSip(capture([rawV4, rawV4, rawV4], 147));
  expect(r.payloads).toEqual([]);
  expect(r.frames).toBe(3);
  expect(r.linkTypes).toEqual([147]);
  expect(r.findings).toHaveLength(1);
  expect(r.findings[0]).toMatchObject({ frame: 1, level: 'warning' });
  expect(r.findings[0].message).toMatch(/unsupported link type 147/);
});

test('non-IP frames (ARP) and runts are skipped silently', () => {
  const r = extractSip(capture([ethernet(0x0806, Buffer.alloc(28)), Buffer.alloc(5), ethernet(0x0800, Buffer.alloc(3))]));
  expect(r).toMatchObject({ payloads: [], findings: [], frames: 3 });
});
