/**
 * The pcapng copy with a Decryption Secrets Block: its blocks are where and what the pcapng spec says, every
 * frame survives with its time, and our own reader decrypts it from the embedded keys alone. (tshark reading
 * the same files is in tls-live.test.ts, with the integration tests.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractSip } from '../../src/capture/extract.js';
import { Findings } from '../../src/capture/findings.js';
import type { FrameSink } from '../../src/capture/frame-sink.js';
import { readPcap } from '../../src/capture/pcap-reader.js';
import { readPcapng } from '../../src/capture/pcapng-reader.js';
import { writePcapngWithSecrets } from '../../src/capture/pcapng-secrets.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { T0, TcpSession } from './helpers.js';
import { EXPECTED_START_LINES, makeTlsMaterial, runInMemory, TLS12_SUITES, TLS13_SUITES, type TlsRun } from './tls-exchange.js';

let dir: string;
let runs: TlsRun[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipwright-dsb-'));
  const material = makeTlsMaterial(dir);
  runs = [
    await runInMemory(material, { maxVersion: 'TLSv1.3', ciphers: TLS13_SUITES[2] }, 'dsb13'),
    await runInMemory(material, { maxVersion: 'TLSv1.2', ciphers: TLS12_SUITES[0] }, 'dsb12'),
  ];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both runs as two connections to port 5061, frames 537 µs apart: odd microseconds check the timestamps. */
function pcap(): Buffer {
  const packets: Buffer[] = [];
  runs.forEach((run, i) => {
    const tcp = new TcpSession({ ip: '10.0.0.1', port: 40000 + i }, { ip: '10.0.0.2', port: 5061 });
    packets.push(...tcp.handshake());
    for (const ch of run.chunks) packets.push(...tcp.send(ch.from, ch.data, 300));
  });
  const w = new PcapWriter();
  packets.forEach((p, i) => w.addPacket(T0 + i * 0.000537, p));
  return w.toBuffer();
}

interface Block {
  type: number;
  body: Buffer;
}

function blocks(file: Buffer): Block[] {
  const out: Block[] = [];
  for (let off = 0; off < file.length; ) {
    const total = file.readUInt32LE(off + 4);
    expect(file.readUInt32LE(off + total - 4)).toBe(total);
    out.push({ type: file.readUInt32LE(off), body: file.subarray(off + 8, off + total - 4) });
    off += total;
  }
  return out;
}

/** Each frame's time in whole microseconds (the two readers' float seconds may differ in the last bit), link type, bytes. */
function frames(file: Buffer, read: typeof readPcap): Array<{ usec: number; bytes: string; linkType: number }> {
  const out: Array<{ usec: number; bytes: string; linkType: number }> = [];
  const sink: FrameSink = { frame: (_n, time, linkType, data, off, end) => out.push({ usec: Math.round(time * 1e6), linkType, bytes: data.toString('hex', off, end) }) };
  read(file, sink, new Findings());
  return out;
}

test('SHB, IDB, then the DSB (type 0x0A, secrets type "TLSK", the key log padded to 32 bits), then one EPB per frame', () => {
  // A comment line makes the length 1 more than a multiple of 4, so 3 bytes of padding must follow.
  let keylog = runs.map((r) => r.keylog).join('') + '#';
  while (Buffer.byteLength(keylog) % 4 !== 1) keylog += 'x';
  const src = pcap();
  const out = writePcapngWithSecrets(src, keylog);
  const b = blocks(out);
  expect(b.map((x) => x.type).slice(0, 3)).toEqual([0x0a0d0d0a, 1, 0x0a]);
  expect(b[0].body.readUInt32LE(0)).toBe(0x1a2b3c4d);
  expect(b[1].body.readUInt16LE(0)).toBe(1); // Ethernet, as the pcap was
  const dsb = b[2].body;
  expect(dsb.toString('latin1', 0, 4)).toBe('KSLT'); // 0x544c534b, little-endian
  expect(dsb.readUInt32LE(4)).toBe(Buffer.byteLength(keylog));
  expect(dsb.length % 4).toBe(0);
  expect(dsb.length).toBe(8 + Buffer.byteLength(keylog) + 3);
  expect(dsb.subarray(8, 8 + Buffer.byteLength(keylog)).toString()).toBe(keylog);
  expect(dsb.subarray(8 + Buffer.byteLength(keylog)).every((x) => x === 0)).toBe(true);
  const epbs = b.slice(3);
  expect(epbs.every((x) => x.type === 6)).toBe(true);
  const times = frames(src, readPcap).map((f) => f.usec);
  expect(times[1] - times[0]).toBe(537);
  expect(frames(out, readPcapng)).toEqual(frames(src, readPcap));
  expect(epbs.length).toBe(frames(src, readPcap).length);
});

test('our reader decrypts the copy from its embedded keys alone, as the pcap with the key log given', () => {
  const keylog = runs.map((r) => r.keylog).join('');
  const src = pcap();
  const given = extractSip(src, { tlsKeys: keylog });
  const embedded = extractSip(writePcapngWithSecrets(src, keylog));
  expect(embedded.format).toBe('pcapng');
  expect(embedded.payloads.map((p) => p.bytes.toString('latin1').split('\r\n')[0])).toEqual([...EXPECTED_START_LINES, ...EXPECTED_START_LINES]);
  expect(embedded.payloads).toEqual(given.payloads);
  expect(embedded.findings).toEqual([]);
});

test('embedded keys for one connection only: the other is named with its client_random, as with a key log given', () => {
  const src = pcap();
  const embedded = extractSip(writePcapngWithSecrets(src, runs[0].keylog));
  expect(embedded.payloads).toHaveLength(7);
  expect(embedded.findings.map((f) => f.message)).toEqual([expect.stringMatching(/^TLS connection 10\.0\.0\.1:40001 -> 10\.0\.0\.2:5061 not decrypted: no key for client_random [0-9a-f]{64} in the key log$/)]);
});

test('a file that is no capture is refused, not converted to an empty one', () => {
  expect(() => writePcapngWithSecrets(Buffer.from('hello world'), '')).toThrow(/not a pcap or pcapng file/);
  const truncated = pcap().subarray(0, 200);
  expect(() => writePcapngWithSecrets(truncated, '')).toThrow(/capture is damaged, not converted: truncated record/);
});
