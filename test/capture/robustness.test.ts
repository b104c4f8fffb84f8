/** Hostile and damaged input: findings, never an exception, a hang or unbounded memory. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extractSip } from '../../src/capture/extract.js';
import { buildUdpPacket } from '../../src/capture/packet-builder.js';
import { capture, ethernet, ipv4, pcapngSection, sipRequest, TcpSession, udpSegment } from './helpers.js';

const DIR = fileURLToPath(new URL('../vectors/pcaps/', import.meta.url));

/** Deterministic xorshift so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

function mutate(file: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(file);
  const kind = rand();
  if (kind < 0.7) {
    const n = 1 + Math.floor(rand() * 40);
    // Keep the magic most of the time so the decoders, not the format check, get exercised.
    for (let i = 0; i < n; i++) out[4 + Math.floor(rand() * (out.length - 4))] = Math.floor(rand() * 256);
    return out;
  }
  if (kind < 0.85) return out.subarray(0, Math.floor(rand() * out.length));
  const at = 24 + Math.floor(rand() * (out.length - 24));
  return Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))), out.subarray(at)]);
}

test.each([
  'call-websocket-407-b2bua-183.pcap',
  'ims-volte-register-aka-subscribe-invite-gtpu-sll.pcap',
  'call-b2bua-100rel-prack-update-ipv6-frag.pcap',
  'register-401-digest-udp.pcapng',
  'invite-sipi-isup-sctp-sll.pcap',
  'register-401-tcp-to-udp-proxy-sll.pcap',
])('random damage to %s never throws', (name) => {
  const file = readFileSync(DIR + name);
  const rand = rng(name.length * 7919);
  const start = Date.now();
  for (let i = 0; i < 150; i++) {
    const r = extractSip(mutate(file, rand));
    expect(r.findings.length).toBeLessThanOrEqual(1001);
    for (const p of r.payloads) expect(p.bytes.length).toBeGreaterThan(0);
  }
  expect(Date.now() - start).toBeLessThan(20000);
});

test('findings are capped, with a summary of what was suppressed', () => {
  const junk = buildUdpPacket({ src: { ip: '10.0.0.1', port: 5060 }, dst: { ip: '10.0.0.2', port: 5060 }, payload: Buffer.from('x') });
  const frags = Array.from({ length: 3000 }, (_, i) =>
    ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(16), { id: i, fragOff: 65520, more: false })),
  );
  const r = extractSip(capture([junk, ...frags]));
  expect(r.findings).toHaveLength(1001);
  expect(r.findings[1000].message).toMatch(/further findings suppressed/);
});

test('a flood of unfinished fragments stays bounded', () => {
  const frags = Array.from({ length: 6000 }, (_, i) =>
    ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(64), { id: i, fragOff: 0, more: true })),
  );
  const r = extractSip(capture(frags));
  expect(r.payloads).toEqual([]);
  expect(r.findings.some((f) => /too many pending/.test(f.message))).toBe(true);
});

test('a TCP stream of garbage without line ends does not accumulate', () => {
  const s = new TcpSession({ ip: '10.0.0.1', port: 1234 }, { ip: '10.0.0.2', port: 5060 });
  const blob = Buffer.alloc(3_000_000, 0x41);
  const r = extractSip(capture([...s.handshake(), ...s.send('c', blob, 60000), ...s.send('c', sipRequest('BYE'))]));
  expect(r.payloads.map((p) => p.bytes.toString('latin1', 0, 3))).toEqual(['BYE']);
});

test('a giant Content-Length is refused up front', () => {
  const s = new TcpSession({ ip: '10.0.0.1', port: 1234 }, { ip: '10.0.0.2', port: 5060 });
  const m = 'INVITE sip:a SIP/2.0\r\nContent-Length: 99999999999\r\n\r\n';
  const r = extractSip(capture([...s.handshake(), ...s.send('c', m)]));
  expect(r.payloads).toEqual([]);
  expect(r.findings.length).toBeGreaterThan(0);
});

test('pcapng blocks claiming huge sizes, and zero-length records', () => {
  const ng = pcapngSection(true, [{ linkType: 1 }], [{ kind: 'raw', type: 6, body: Buffer.alloc(40) }]);
  ng.writeUInt32LE(0x7ffffff0, ng.length - 52 + 4); // the last block is 12 + 40 bytes
  expect(extractSip(ng).findings[0].message).toMatch(/bad length|truncated/);
  const empties = capture(Array.from({ length: 100 }, () => Buffer.alloc(0)));
  expect(extractSip(empties)).toMatchObject({ frames: 100, payloads: [], findings: [] });
});

test('truncated headers at every layer', () => {
  const full = ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, udpSegment(5060, 5060, Buffer.from(sipRequest('INVITE')))));
  const cuts = Array.from({ length: 60 }, (_, i) => full.subarray(0, i));
  const r = extractSip(capture(cuts));
  expect(r.frames).toBe(60);
  expect(r.payloads.length).toBeLessThanOrEqual(60 - 43);
});

test('a line trickling in byte by byte costs linear time', () => {
  const s = new TcpSession({ ip: '10.0.0.1', port: 1234 }, { ip: '10.0.0.2', port: 5060 });
  const pk = [...s.handshake(), ...s.send('c', 'X'.repeat(40000) + '\r\n', 1), ...s.send('c', 'INVITE sip:a SIP/2.0\r\n' + 'V: x\r\n'.repeat(3000) + 'l: 0\r\n\r\n', 1)];
  const file = capture(pk);
  const t = Date.now();
  const r = extractSip(file);
  expect(Date.now() - t).toBeLessThan(5000);
  expect(r.payloads).toHaveLength(1);
});

test('a datagram cut into thousands of tiny fragments is refused', () => {
  const frags = Array.from({ length: 2000 }, (_, i) =>
    ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(8), { id: 9, fragOff: i * 8, more: true })),
  );
  const r = extractSip(capture(frags));
  expect(r.findings.some((f) => /more than 1024 fragments/.test(f.message))).toBe(true);
});
