import { extractSip } from '../../src/capture/extract.js';
import { buildUdpPacket } from '../../src/capture/packet-builder.js';
import { capture, pcapngSection, sipRequest, T0, udp } from './helpers.js';

const A = { ip: '192.0.2.1', port: 5060 };
const B = { ip: '192.0.2.2', port: 5060 };
const pkt = (m = 'OPTIONS') => udp(A, B, sipRequest(m));

interface Rec {
  sec: number;
  frac: number;
  data: Buffer;
}

/** A classic pcap in either byte order and time precision. */
function pcap(le: boolean, magic: number, linkType: number, recs: Rec[]): Buffer {
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    le ? b.writeUInt32LE(v >>> 0) : b.writeUInt32BE(v >>> 0);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    le ? b.writeUInt16LE(v) : b.writeUInt16BE(v);
    return b;
  };
  const parts: Buffer[] = [u32(magic), u16(2), u16(4), u32(0), u32(0), u32(65535), u32(linkType)];
  for (const r of recs) parts.push(u32(r.sec), u32(r.frac), u32(r.data.length), u32(r.data.length), r.data);
  return Buffer.concat(parts);
}

describe('pcap', () => {
  test.each([
    ['little-endian microseconds', true, 0xa1b2c3d4, 250000, 0.25],
    ['big-endian microseconds', false, 0xa1b2c3d4, 250000, 0.25],
    ['little-endian nanoseconds', true, 0xa1b23c4d, 123456789, 0.123456789],
    ['big-endian nanoseconds', false, 0xa1b23c4d, 500000000, 0.5],
  ])('%s', (_name, le, magic, frac, fraction) => {
    const file = pcap(le as boolean, magic as number, 1, [
      { sec: T0, frac: frac as number, data: pkt('INVITE') },
      { sec: T0 + 1, frac: 0, data: pkt('BYE') },
    ]);
    const r = extractSip(file);
    expect(r.format).toBe('pcap');
    expect(r.frames).toBe(2);
    expect(r.linkTypes).toEqual([1]);
    expect(r.findings).toEqual([]);
    expect(r.payloads.map((p) => p.frame)).toEqual([1, 2]);
    expect(r.payloads[0].time).toBeCloseTo(T0 + (fraction as number), 6);
    expect(r.payloads[1].time).toBe(T0 + 1);
    expect(r.payloads[0].src).toEqual(A);
    expect(r.payloads[0].transport).toBe('udp');
  });

  test("Kuznetzov's modified pcap (24-byte record headers)", () => {
    const data = pkt('INVITE');
    const head = pcap(true, 0xa1b2cd34, 1, []);
    const rec = Buffer.alloc(24);
    rec.writeUInt32LE(T0, 0);
    rec.writeUInt32LE(data.length, 8);
    rec.writeUInt32LE(data.length, 12);
    const r = extractSip(Buffer.concat([head, rec, data]));
    expect(r.findings).toEqual([]);
    expect(r.payloads.map((p) => p.time)).toEqual([T0]);
  });

  test('a truncated last record is a finding and earlier frames are kept', () => {
    const file = capture([pkt('INVITE'), pkt('BYE')]);
    const r = extractSip(file.subarray(0, file.length - 10));
    expect(r.payloads).toHaveLength(1);
    expect(r.frames).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ frame: 2, level: 'error' });
    expect(r.findings[0].message).toMatch(/truncated record/);
  });

  test('a truncated record header is a finding', () => {
    const file = capture([pkt()]);
    const r = extractSip(Buffer.concat([file, Buffer.alloc(7)]));
    expect(r.payloads).toHaveLength(1);
    expect(r.findings[0].message).toMatch(/truncated record header/);
  });

  test('an implausible record length stops reading with a finding', () => {
    const file = capture([pkt(), pkt()]);
    const second = 24 + 16 + pkt().length;
    file.writeUInt32LE(0xfffffff0, second + 8);
    const r = extractSip(file);
    expect(r.payloads).toHaveLength(1);
    expect(r.findings[0].message).toMatch(/implausible/);
  });

  test('only a global header: no frames, no findings', () => {
    const r = extractSip(capture([]));
    expect(r).toMatchObject({ frames: 0, payloads: [], findings: [] });
  });

  test('a truncated global header is a finding, not an exception', () => {
    const r = extractSip(capture([]).subarray(0, 10));
    expect(r.findings[0].message).toMatch(/global header truncated/);
  });
});

test('an unknown format throws with the magic', () => {
  expect(() => extractSip(Buffer.from('hello world'))).toThrow('not a pcap or pcapng file: bad magic 0x68656c6c');
  expect(() => extractSip(Buffer.alloc(0))).toThrow(/not a pcap or pcapng file/);
});

describe('pcapng', () => {
  const eth = pkt('INVITE');
  const raw = buildUdpPacket({ src: A, dst: B, payload: Buffer.from(sipRequest('BYE')), link: 'raw' });

  test.each([true, false])('little-endian %s: several interfaces, link types and timestamp resolutions', (le) => {
    const file = pcapngSection(
      le,
      [{ linkType: 1 }, { linkType: 101, tsresol: 9 }, { linkType: 1, tsresol: 0x80 | 10, tsoffset: 100 }],
      [
        { kind: 'epb', iface: 0, ts: BigInt(T0) * 1_000_000n + 250_000n, data: eth },
        { kind: 'raw', type: 0x0bad, body: Buffer.from('unknown block, skipped') },
        { kind: 'epb', iface: 1, ts: BigInt(T0) * 1_000_000_000n + 5n, data: raw },
        { kind: 'epb', iface: 2, ts: BigInt(T0) * 1024n + 512n, data: eth },
        { kind: 'raw', type: 5, body: Buffer.alloc(12) }, // interface statistics
      ],
    );
    const r = extractSip(file);
    expect(r.format).toBe('pcapng');
    expect(r.findings).toEqual([]);
    expect(r.frames).toBe(3);
    expect(r.linkTypes.sort()).toEqual([1, 101]);
    expect(r.payloads.map((p) => p.frame)).toEqual([1, 2, 3]);
    expect(r.payloads[0].time).toBeCloseTo(T0 + 0.25, 6);
    expect(r.payloads[1].time).toBeCloseTo(T0, 6);
    expect(r.payloads[2].time).toBeCloseTo(T0 + 100.5, 6);
  });

  test('several sections, each with its own byte order and interfaces', () => {
    const file = Buffer.concat([
      pcapngSection(true, [{ linkType: 1 }], [{ kind: 'epb', iface: 0, ts: BigInt(T0) * 1_000_000n, data: eth }]),
      pcapngSection(false, [{ linkType: 101 }], [{ kind: 'epb', iface: 0, ts: BigInt(T0 + 1) * 1_000_000n, data: raw }]),
    ]);
    const r = extractSip(file);
    expect(r.findings).toEqual([]);
    expect(r.payloads.map((p) => [p.frame, p.time])).toEqual([
      [1, T0],
      [2, T0 + 1],
    ]);
  });

  test('simple and obsolete packet blocks', () => {
    const file = pcapngSection(
      true,
      [{ linkType: 1 }],
      [
        { kind: 'spb', data: eth },
        { kind: 'pb', iface: 0, ts: BigInt(T0) * 1_000_000n, data: eth },
      ],
    );
    const r = extractSip(file);
    expect(r.findings).toEqual([]);
    expect(r.payloads.map((p) => p.frame)).toEqual([1, 2]);
    expect(r.payloads[1].time).toBe(T0);
  });

  test('a packet on an undeclared interface is a finding', () => {
    const file = pcapngSection(true, [{ linkType: 1 }], [{ kind: 'epb', iface: 3, ts: 0n, data: eth }]);
    const r = extractSip(file);
    expect(r.frames).toBe(1);
    expect(r.findings[0].message).toMatch(/undeclared interface 3/);
  });

  test('a truncated last block is a finding and earlier packets are kept', () => {
    const file = pcapngSection(
      true,
      [{ linkType: 1 }],
      [
        { kind: 'epb', iface: 0, ts: 0n, data: eth },
        { kind: 'epb', iface: 0, ts: 0n, data: eth },
      ],
    );
    const r = extractSip(file.subarray(0, file.length - 20));
    expect(r.payloads).toHaveLength(1);
    expect(r.findings[0].message).toMatch(/truncated pcapng block/);
  });

  test('a corrupt block length is a finding', () => {
    const file = pcapngSection(true, [{ linkType: 1 }], [{ kind: 'epb', iface: 0, ts: 0n, data: eth }]);
    const epbAt = file.indexOf(Buffer.from([6, 0, 0, 0]), 28);
    file.writeUInt32LE(13, epbAt + 4);
    const r = extractSip(file);
    expect(r.payloads).toHaveLength(0);
    expect(r.findings[0].message).toMatch(/bad length 13/);
  });
});
