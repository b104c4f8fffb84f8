import { extractSip } from '../../src/capture/extract.js';
import { capture, ethernet, ext6, frag6, gtpu, ipv4, ipv6, sipRequest, udpSegment } from './helpers.js';

const sipBytes = Buffer.from(sipRequest('INVITE', 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n'.repeat(40)));
const udpSip = udpSegment(5070, 5060, sipBytes);
const eth4 = (ip: Buffer) => ethernet(0x0800, ip);
const eth6 = (ip: Buffer) => ethernet(0x86dd, ip);

function fragments4(payload: Buffer, size: number, id = 7): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const more = off + size < payload.length;
    out.push(eth4(ipv4('10.0.0.1', '10.0.0.2', 17, payload.subarray(off, off + size), { id, fragOff: off, more })));
  }
  return out;
}

describe('IPv4', () => {
  test('header options are skipped', () => {
    const opts = Buffer.from([0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00]); // router alert, NOPs, EOL
    const r = extractSip(capture([eth4(ipv4('10.0.0.1', '10.0.0.2', 17, udpSip, { options: opts }))]));
    expect(r.payloads).toHaveLength(1);
    expect(r.payloads[0].bytes.equals(sipBytes)).toBe(true);
    expect(r.payloads[0].src).toEqual({ ip: '10.0.0.1', port: 5070 });
  });

  test('fragments are reassembled and the message belongs to the completing frame', () => {
    const frags = fragments4(udpSip, 512);
    expect(frags.length).toBeGreaterThan(2);
    const r = extractSip(capture(frags));
    expect(r.findings).toEqual([]);
    expect(r.payloads).toHaveLength(1);
    expect(r.payloads[0].frame).toBe(frags.length);
    expect(r.payloads[0].bytes.equals(sipBytes)).toBe(true);
  });

  test('out-of-order, duplicated and overlapping fragments: first copy of each byte wins', () => {
    const frags = fragments4(udpSip, 512);
    const overlap = eth4(ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(600, 0x41), { id: 7, fragOff: 256, more: true }));
    const order = [frags[2], frags[0], overlap, frags[0], ...frags.slice(3), frags[1]];
    const r = extractSip(capture(order));
    expect(r.payloads).toHaveLength(1);
    expect(r.payloads[0].frame).toBe(order.length);
    // Bytes 256..511 came first from frags[0]; 512..855 from the overlap, which arrived before frags[1].
    const got = r.payloads[0].bytes;
    expect(got.subarray(0, 256 - 8).equals(sipBytes.subarray(0, 248))).toBe(true);
    expect(got.subarray(512 - 8, 856 - 8).every((b) => b === 0x41)).toBe(true);
  });

  test('fragments of different datagrams (id, protocol) are kept apart', () => {
    const a = fragments4(udpSip, 704, 1);
    const b = fragments4(udpSegment(5060, 5060, Buffer.from(sipRequest('BYE', 'x'.repeat(900)))), 704, 2);
    const r = extractSip(capture([a[0], b[0], a[1], b[1], ...a.slice(2), ...b.slice(2)]));
    expect(r.payloads.map((p) => p.bytes.toString('latin1', 0, 3))).toEqual(['BYE', 'INV']); // the BYE's two fragments complete first
  });

  test('an incomplete datagram is a finding at the end of the capture', () => {
    const frags = fragments4(udpSip, 512);
    const r = extractSip(capture(frags.slice(0, -1)));
    expect(r.payloads).toEqual([]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ frame: 1, level: 'warning' });
    expect(r.findings[0].message).toMatch(/incomplete fragmented IPv4/);
  });

  test('fragments beyond 64 KiB are rejected', () => {
    const r = extractSip(capture([eth4(ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(100), { fragOff: 65528, more: false }))]));
    expect(r.payloads).toEqual([]);
    expect(r.findings[0].message).toMatch(/beyond the maximum datagram size/);
  });

  test('a fragment the capture snapped is not reassembled (like tshark), only a first one is dissected alone', () => {
    const first = ipv4('10.0.0.1', '10.0.0.2', 17, udpSip, { id: 3, more: true });
    const r = extractSip(capture([eth4(first.subarray(0, 200))]));
    expect(r.payloads).toHaveLength(1);
    expect(r.payloads[0].bytes.length).toBe(200 - 28);
  });

  test('bogus header or total length stops decoding; zero total length means "as captured" (TSO)', () => {
    const bad = ipv4('10.0.0.1', '10.0.0.2', 17, udpSip);
    bad[0] = 0x44;
    const short = ipv4('10.0.0.1', '10.0.0.2', 17, udpSip, { totalLength: 19 });
    const tso = ipv4('10.0.0.1', '10.0.0.2', 17, udpSip, { totalLength: 0 });
    const r = extractSip(capture([eth4(bad), eth4(short), eth4(tso)]));
    expect(r.payloads.map((p) => p.frame)).toEqual([3]);
  });

  test('IP-in-IP, IPv6-in-IPv4 and nested tunnels', () => {
    const inner = ipv4('192.168.0.1', '192.168.0.2', 17, udpSip);
    const inner6 = ipv6('2001:db8::a', '2001:db8::b', 17, udpSip);
    const r = extractSip(
      capture([
        eth4(ipv4('10.0.0.1', '10.0.0.2', 4, inner)),
        eth4(ipv4('10.0.0.1', '10.0.0.2', 41, inner6)),
        eth4(ipv4('10.0.0.1', '10.0.0.2', 4, ipv4('10.9.0.1', '10.9.0.2', 4, inner))),
        eth6(ipv6('2001:db8::1', '2001:db8::2', 4, inner)),
      ]),
    );
    expect(r.payloads.map((p) => p.src.ip)).toEqual(['192.168.0.1', '2001:db8::a', '192.168.0.1', '192.168.0.1']);
  });

  test('runaway tunnel nesting is cut with one finding', () => {
    let pkt = ipv4('192.168.0.1', '192.168.0.2', 17, udpSip);
    for (let i = 0; i < 20; i++) pkt = ipv4('10.0.0.1', '10.0.0.2', 4, pkt);
    const r = extractSip(capture([eth4(pkt), eth4(pkt)]));
    expect(r.payloads).toEqual([]);
    expect(r.findings).toHaveLength(1);
  });

  test('GRE carrying IPv4', () => {
    const gre = Buffer.concat([Buffer.from([0x20, 0, 0x08, 0x00, 0, 0, 0, 42]), ipv4('192.168.0.1', '192.168.0.2', 17, udpSip)]);
    const r = extractSip(capture([eth4(ipv4('10.0.0.1', '10.0.0.2', 47, gre))]));
    expect(r.payloads[0].src.ip).toBe('192.168.0.1');
  });
});

describe('UDP', () => {
  test('SIP on any port pair', () => {
    const r = extractSip(capture([eth4(ipv4('10.0.0.1', '10.0.0.2', 17, udpSegment(40000, 40001, sipBytes)))]));
    expect(r.payloads[0]).toMatchObject({ src: { port: 40000 }, dst: { port: 40001 }, transport: 'udp' });
  });

  test('the UDP length cuts the payload; an overlong one is ignored; one below 8 stops (as in tshark)', () => {
    const cut = udpSegment(5060, 5060, Buffer.concat([sipBytes, Buffer.from('TRAILER')]), 8 + sipBytes.length);
    const long = udpSegment(5060, 5060, sipBytes, 9000);
    const tiny = udpSegment(5060, 5060, sipBytes, 7);
    const r = extractSip(capture([cut, long, tiny].map((u) => eth4(ipv4('10.0.0.1', '10.0.0.2', 17, u)))));
    expect(r.payloads.map((p) => p.frame)).toEqual([1, 2]);
    expect(r.payloads[0].bytes.equals(sipBytes)).toBe(true);
    expect(r.payloads[1].bytes.equals(sipBytes)).toBe(true);
  });

  test('the whole datagram is the payload, even with several messages or trailing bytes', () => {
    const two = Buffer.from(sipRequest('INVITE') + sipRequest('BYE') + '\0\0');
    const r = extractSip(capture([eth4(ipv4('10.0.0.1', '10.0.0.2', 17, udpSegment(5060, 5060, two)))]));
    expect(r.payloads).toHaveLength(1);
    expect(r.payloads[0].bytes.equals(two)).toBe(true);
  });

  test('non-SIP datagrams on 5060 give one finding per flow; CRLF keep-alives none', () => {
    const junk = udpSegment(5060, 5060, Buffer.from('hello'));
    const ka = udpSegment(5060, 5060, Buffer.from('\r\n\r\n'));
    const r = extractSip(capture([junk, junk, ka].map((u) => eth4(ipv4('10.0.0.1', '10.0.0.2', 17, u)))));
    expect(r.payloads).toEqual([]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0].message).toMatch(/not SIP/);
  });
});

describe('IPv6', () => {
  test('hop-by-hop, routing and destination options are skipped', () => {
    const chain = Buffer.concat([ext6(43), ext6(60), ext6(17, 2), udpSip]); // HBH -> routing -> dest opts -> UDP
    const r = extractSip(capture([eth6(ipv6('2001:db8::1', '2001:db8::2', 0, chain))]));
    expect(r.payloads).toHaveLength(1);
    expect(r.payloads[0].src).toEqual({ ip: '2001:db8::1', port: 5070 });
    expect(r.payloads[0].bytes.equals(sipBytes)).toBe(true);
  });

  test('fragments are reassembled, with extension headers before and after the fragment header', () => {
    const fragmentable = Buffer.concat([ext6(17), udpSip]); // destination options, then UDP
    const size = 800;
    const frags: Buffer[] = [];
    for (let off = 0; off < fragmentable.length; off += size) {
      const more = off + size < fragmentable.length;
      const part = Buffer.concat([ext6(44), frag6(60, off, more, 0xabcdef), fragmentable.subarray(off, off + size)]);
      frags.push(eth6(ipv6('fe80::1', 'fe80::2', 0, part)));
    }
    const r = extractSip(capture([frags[1], frags[0], ...frags.slice(2)]));
    expect(r.findings).toEqual([]);
    expect(r.payloads).toHaveLength(1);
    expect(r.payloads[0].frame).toBe(frags.length);
    expect(r.payloads[0].src.ip).toBe('fe80::1');
    expect(r.payloads[0].bytes.equals(sipBytes)).toBe(true);
  });

  test('an atomic fragment is a whole datagram', () => {
    const r = extractSip(capture([eth6(ipv6('2001:db8::1', '2001:db8::2', 44, Buffer.concat([frag6(17, 0, false, 1), udpSip])))]));
    expect(r.payloads).toHaveLength(1);
  });
});

describe('GTP-U', () => {
  const inner6 = ipv6('fd00::1', 'fd01::183', 17, udpSip);
  const outer = (gtp: Buffer) => eth4(ipv4('127.0.1.1', '127.0.1.2', 17, udpSegment(2152, 2152, gtp)));

  test('plain, with sequence number, and with extension headers', () => {
    const r = extractSip(
      capture([outer(gtpu(inner6)), outer(gtpu(inner6, { seq: true })), outer(gtpu(inner6, { ext: [Buffer.from([1, 2]), Buffer.from([3, 4, 5, 6, 7])] }))]),
    );
    expect(r.findings).toEqual([]);
    expect(r.payloads.map((p) => p.src.ip)).toEqual(['fd00::1', 'fd00::1', 'fd00::1']);
    expect(r.payloads[0].bytes.equals(sipBytes)).toBe(true);
  });

  test('GTP-U carrying IPv4 with TCP inside is tracked like any TCP', () => {
    const r = extractSip(capture([outer(gtpu(ipv4('10.45.0.2', '10.45.0.1', 17, udpSip)))]));
    expect(r.payloads[0].dst.ip).toBe('10.45.0.1');
  });

  test('non-T-PDU messages (echo request) are ignored', () => {
    const echo = Buffer.from([0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0]);
    const r = extractSip(capture([outer(echo)]));
    expect(r.payloads).toEqual([]);
  });
});
