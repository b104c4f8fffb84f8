import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractSip } from '../../src/capture/extract.js';
import { buildTcpPacket, buildTcpSegments, buildUdpPacket, TCP_ACK, TCP_SYN } from '../../src/capture/packet-builder.js';
import { fdSink, LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapStreamWriter, PcapWriter } from '../../src/capture/pcap-writer.js';
import type { Endpoint } from '../../src/capture/types.js';
import { hasTshark, sipRequest, sipResponse, T0, tsharkSipFrames } from './helpers.js';

const A4: Endpoint = { ip: '192.0.2.10', port: 5060 };
const B4: Endpoint = { ip: '198.51.100.20', port: 5080 };
const A6: Endpoint = { ip: '2001:db8::a', port: 5060 };
const B6: Endpoint = { ip: '2001:db8:0:0:1::b', port: 15060 };
/** How B6 must come back: RFC 5952 compresses the longer zero run. */
const B6_CANONICAL: Endpoint = { ip: '2001:db8::1:0:0:b', port: 15060 };

interface Sent {
  time: number;
  src: Endpoint;
  dst: Endpoint;
  text: string;
  transport: 'udp' | 'tcp';
}

/** A mixed capture: UDP over IPv4 and IPv6, and one TCP connection with a message split over segments. */
function scenario(link: 'ethernet' | 'raw'): { packets: Array<[number, Buffer]>; sent: Sent[] } {
  const packets: Array<[number, Buffer]> = [];
  const sent: Sent[] = [];
  let t = T0 + 0.123456;
  for (let i = 0; i < 20; i++) {
    const [src, dst] = i % 2 ? [A6, B6] : [A4, B4];
    const text = i % 3 ? sipRequest('OPTIONS', `n=${i}`) : sipResponse(200, 'OK');
    packets.push([t, buildUdpPacket({ src, dst, payload: Buffer.from(text), link })]);
    sent.push({ time: t, src, dst, text, transport: 'udp' });
    t += 0.000731;
  }
  const tc = { ip: '192.0.2.10', port: 41000 };
  const ts = { ip: '192.0.2.11', port: 5060 };
  packets.push([t, buildTcpPacket({ src: tc, dst: ts, seq: 99, payload: Buffer.alloc(0), flags: TCP_SYN, link })]);
  packets.push([t + 0.001, buildTcpPacket({ src: ts, dst: tc, seq: 499, ack: 100, payload: Buffer.alloc(0), flags: TCP_SYN | TCP_ACK, link })]);
  const big = sipRequest('INVITE', 'v=0\r\n' + 'a=x\r\n'.repeat(600));
  const segs = buildTcpSegments({ src: tc, dst: ts, seq: 100, ack: 500, payload: Buffer.from(big), mss: 1200, link });
  segs.forEach((s, i) => packets.push([t + 0.002 + i / 1e4, s]));
  sent.push({ time: t + 0.002 + (segs.length - 1) / 1e4, src: tc, dst: ts, text: big, transport: 'tcp' });
  return { packets, sent };
}

describe.each([
  ['Ethernet', LINKTYPE_ETHERNET, 'ethernet'],
  ['raw IP', LINKTYPE_RAW, 'raw'],
] as const)('%s', (_name, linkType, link) => {
  const { packets, sent } = scenario(link);
  const w = new PcapWriter(linkType);
  for (const [time, data] of packets) w.addPacket(time, data);
  const file = w.toBuffer();

  test('round-trips through extractSip: payloads, times, endpoints, transports', () => {
    const r = extractSip(file);
    expect(r.findings).toEqual([]);
    expect(r.frames).toBe(packets.length);
    expect(r.linkTypes).toEqual([linkType]);
    expect(r.payloads).toHaveLength(sent.length);
    r.payloads.forEach((p, i) => {
      expect(p.bytes.toString('latin1')).toBe(sent[i].text);
      expect(p.src).toEqual(sent[i].src);
      expect(p.dst).toEqual(sent[i].dst === B6 ? B6_CANONICAL : sent[i].dst);
      expect(p.transport).toBe(sent[i].transport);
      expect(Math.abs(p.time - sent[i].time)).toBeLessThan(1e-6);
    });
  });

  test('the streaming writer produces the same bytes through a file descriptor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipwright-pcap-'));
    try {
      const path = join(dir, 'out.pcap');
      const fd = openSync(path, 'w');
      const sw = new PcapStreamWriter(linkType, fdSink(fd), 4096); // small chunks: several flushes
      for (const [time, data] of packets) sw.addPacket(time, data);
      sw.flush();
      closeSync(fd);
      expect(readFileSync(path).equals(file)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  (hasTshark() ? test : test.skip)('tshark reads it cleanly, finds the same SIP frames and good checksums', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipwright-pcap-'));
    try {
      const path = join(dir, 'out.pcap');
      writeFileSync(path, file);
      const r = extractSip(file);
      expect(tsharkSipFrames(path).map((f) => f.frame)).toEqual(r.payloads.map((p) => p.frame));
      const check = spawnSync(
        'tshark',
        ['-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
          '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', 'tcp.checksum.status', '-e', '_ws.expert.severity'],
        { encoding: 'utf8' },
      );
      expect(check.status).toBe(0);
      expect(check.stderr).not.toMatch(/appears to be damaged|cut short|isn't a capture file/);
      for (const line of check.stdout.trim().split('\n')) {
        const [ip, udp, tcp] = line.split('\t');
        // 1 = Good; IPv6 has no header checksum.
        if (ip) expect(ip).toBe('1');
        expect(udp || tcp).toBe('1');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('times keep microsecond precision and never carry an out-of-range fraction', () => {
  const w = new PcapWriter();
  const p = buildUdpPacket({ src: A4, dst: B4, payload: Buffer.from(sipRequest('BYE')) });
  w.addPacket(T0 + 0.9999996, p);
  w.addPacket(T0 + 0.000001, p);
  const r = extractSip(w.toBuffer());
  expect(r.payloads[0].time).toBe(T0 + 1);
  expect(r.payloads[1].time).toBeCloseTo(T0 + 0.000001, 6);
});

test('buildTcpSegments splits at the MSS and advances the sequence number', () => {
  const payload = Buffer.alloc(2500, 0x61);
  const segs = buildTcpSegments({ src: A4, dst: B4, payload, seq: 0xfffffff0, mss: 1000 });
  expect(segs.map((s) => s.length - 14 - 20 - 20)).toEqual([1000, 1000, 500]);
  expect(segs.map((s) => s.readUInt32BE(14 + 20 + 4))).toEqual([0xfffffff0, (0xfffffff0 + 1000) >>> 0, (0xfffffff0 + 2000) >>> 0]);
});

test('buildUdpPacket sets the IP and UDP lengths', () => {
  const p = buildUdpPacket({ src: A4, dst: B4, payload: Buffer.alloc(100) });
  expect(p.readUInt16BE(14 + 2)).toBe(128);
  expect(p.readUInt16BE(14 + 20 + 4)).toBe(108);
  const p6 = buildUdpPacket({ src: A6, dst: B6, payload: Buffer.alloc(100) });
  expect(p6.readUInt16BE(12)).toBe(0x86dd);
  expect(p6.readUInt16BE(14 + 4)).toBe(108);
  expect(() => buildUdpPacket({ src: A4, dst: B6, payload: Buffer.alloc(1) })).toThrow(/address family/);
});
