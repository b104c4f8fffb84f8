/**
 * Acceptance: the SIP messages we extract from the reference captures are those
 * tshark shows, frame by frame. tshark runs live when installed; the frame lists
 * frozen below (taken from tshark 4.0.17 and INDEX.md) keep the test meaningful
 * without it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extractSip } from '../../src/capture/extract.js';
import type { CaptureResult, Transport } from '../../src/capture/types.js';
import { hasTshark, startToken, tsharkSipFrames } from './helpers.js';

const DIR = fileURLToPath(new URL('../vectors/pcaps/', import.meta.url));

interface Expected {
  /** Frames tshark shows as SIP (ranges). Every one holds exactly one message in these files. */
  frames: string;
  transports: Partial<Record<Transport, number>>;
  /** Frames in the file. */
  total: number;
  /** Whether the capture layer should report findings. */
  findings: boolean;
}

const EXPECTED: Record<string, Expected> = {
  // Plain UDP/IPv4 on 5060; all 81 frames SIP.
  'aaa-register-auth-invite-cancel-udp.pcap': { frames: '1-81', transports: { udp: 81 }, total: 81, findings: false },
  // pcapng written by `tshark -2 -R sip -w`; one section, one Ethernet interface, EPBs.
  'call-2xx-retransmit-no-ack-timer-g-h-sip-only.pcapng': { frames: '1-68', transports: { udp: 68 }, total: 68, findings: false },
  // Frames 20-31 are twelve IPv4 fragments of one ~16 KB T.38 UDPTL datagram, reassembled in 31: not SIP.
  'call-asterisk-b2bua-reinvite.pcap': { frames: '1-19', transports: { udp: 19 }, total: 31, findings: false },
  // Linux SLL v1. Frames 1 and 4 are first IPv6 fragments; the INVITEs complete in frames 2 and 5.
  'call-b2bua-100rel-prack-update-ipv6-frag.pcap': { frames: '2-3,5-34', transports: { udp: 32 }, total: 34, findings: false },
  'call-g711-register-udp-sip-only.pcap': { frames: '1-10', transports: { udp: 10 }, total: 10, findings: false },
  'call-invite-bye-ipv6-udp.pcap': { frames: '1-6', transports: { udp: 6 }, total: 6, findings: false },
  // Port 5060 with SYN; each message in one segment; RTP in between is ignored.
  'call-invite-sdp-bye-tcp.pcap': { frames: '3,5,7,9,11,81,83', transports: { tcp: 7 }, total: 84, findings: false },
  // Frames 2-3 are IPv4-in-IPv4; TCP on port 5090 seen mid-connection (no SYN), found by the start-line heuristic.
  'call-tcp-in-ipip-tunnel.pcap': { frames: '1-4', transports: { tcp: 4 }, total: 4, findings: false },
  // WebSocket on TCP 8080 after an HTTP Upgrade; the INVITE's WS frame spans frames 10-11, so it completes in 11.
  'call-websocket-407-b2bua-183.pcap': {
    frames: '1-2,11,13,15,18-20,22-24,26-32,34,36-44,46,49-50,52,54-56,58-61',
    transports: { udp: 28, ws: 11 },
    total: 61,
    findings: false,
  },
  // SLL v1 / IPv4 / UDP 2152 / GTP-U / IPv6 / TCP and UDP. REGISTERs span two segments (1338 + rest).
  // Frames 83, 84, 89 are ICMPv6 errors quoting RTP: tshark dissects the quote, we never look inside ICMP.
  'ims-volte-register-aka-subscribe-invite-gtpu-sll.pcap': {
    frames: '14,16,27,29,31,34,40,43,45,47,52,80,86,90-91,100,102',
    transports: { tcp: 13, udp: 4 },
    total: 106,
    findings: false,
  },
  // Frame 1 is a DATA chunk with B but not E: the SIP-I INVITE completes in frame 2 (SCTP reassembly).
  'invite-sipi-isup-sctp-sll.pcap': { frames: '2-5', transports: { sctp: 4 }, total: 5, findings: false },
  // Byte-fuzzed aaa.pcap. What tshark (and we) do with the damage:
  // - no checksums are verified, so a fuzzed checksum changes nothing;
  // - a UDP length larger than the IP payload is reported by tshark but the datagram is still
  //   dissected up to the IP payload end (frame 253: UDP length 355, payload 273, ports 4901->29440,
  //   found by the heuristic); a smaller one cuts the payload (frame 182);
  // - an IPv4 total length beyond the captured bytes is dissected as captured (frame 432: 9587 vs 518);
  // - fuzzed flags/offsets make "fragments" that never complete: findings, no SIP (tshark: no SIP either);
  // - a datagram on port 5060 whose start line was damaged (e.g. "SIP/2.0 4p1") is not SIP for either;
  // - "REGIStER pip:sip.cyberc?ty.dk SIP/2.0" (frame 107) is still a request line: any token and a colon.
  'neg-fuzzed-aaa.pcap': {
    frames:
      '19-20,31-32,107,121,144,155,169-170,182,227,247,249,251-253,257,259-260,264,266,325-327,349,421,430,432,' +
      '442,453-454,516,524,526-527,539,548,550,578,580-581,602-603,617,620-622,639-640,648,650',
    transports: { udp: 52 },
    total: 691,
    findings: true,
  },
  // Non-numeric Content-Length over UDP: the datagram is passed whole; judging the header is the SIP parser's job.
  'neg-invalid-content-length.pcap': { frames: '1-2', transports: { udp: 2 }, total: 2, findings: false },
  // Frame 1 is a 4-byte all-zero datagram to 5060 (a finding). INDEX.md's "DB" junk before REGISTER is in
  // fact the UDP checksum field (0x4442); the payload itself starts with "REGISTER".
  'neg-junk-before-request.pcap': { frames: '2', transports: { udp: 1 }, total: 2, findings: true },
  'publish-single.pcap': { frames: '1', transports: { udp: 1 }, total: 1, findings: false },
  // The REGISTER spans frames 4 (400 bytes) and 6: it completes in 6.
  'register-200-tcp.pcap': { frames: '6,8', transports: { tcp: 2 }, total: 11, findings: false },
  // The 22 other frames are 5-byte "hello" datagrams between the same 5060 ports: one finding per direction.
  'register-401-digest-udp.pcapng': { frames: '9-12,25-28', transports: { udp: 8 }, total: 30, findings: true },
  // Raw IP link type (DLT 101).
  'register-401-invite-403-rawip.pcap': { frames: '1-8', transports: { udp: 8 }, total: 8, findings: false },
  // Frame 38 retransmits frame 36's 200 OK: delivered once. TLS to 443 and a binary stream on 60022 stay silent.
  'register-401-tcp-to-udp-proxy-sll.pcap': { frames: '28,30-36', transports: { tcp: 4, udp: 4 }, total: 196, findings: false },
};

function expand(ranges: string): number[] {
  return ranges.split(',').flatMap((r) => {
    const [a, b] = r.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

const results = new Map<string, CaptureResult>();
function result(file: string): CaptureResult {
  let r = results.get(file);
  if (!r) {
    r = extractSip(readFileSync(DIR + file));
    results.set(file, r);
  }
  return r;
}

const files = Object.keys(EXPECTED);

test('every capture in the vectors directory is covered', () => {
  const index = readFileSync(DIR + 'INDEX.md', 'utf8');
  for (const f of files) expect(index).toContain(f);
  expect(files).toHaveLength(19);
});

describe.each(files)('%s', (file) => {
  const exp = EXPECTED[file];

  test('matches the frozen tshark frames', () => {
    const r = result(file);
    expect(r.frames).toBe(exp.total);
    expect(r.payloads.map((p) => p.frame)).toEqual(expand(exp.frames));
    const transports: Partial<Record<Transport, number>> = {};
    for (const p of r.payloads) transports[p.transport] = (transports[p.transport] ?? 0) + 1;
    expect(transports).toEqual(exp.transports);
    expect(r.findings.length > 0).toBe(exp.findings);
  });

  test('payloads are well formed', () => {
    const r = result(file);
    let last = 0;
    for (const p of r.payloads) {
      expect(p.frame).toBeGreaterThanOrEqual(last);
      last = p.frame;
      expect(p.time).toBeGreaterThan(1e9);
      expect(p.src.port).toBeGreaterThan(0);
      expect(p.dst.port).toBeGreaterThan(0);
      expect(p.src.ip).toMatch(/^(\d+\.\d+\.\d+\.\d+|[0-9a-f:]+)$/);
      expect(p.bytes.length).toBeGreaterThan(0);
    }
  });

  (hasTshark() ? test : test.skip)('matches live tshark frame by frame', () => {
    const r = result(file);
    const ours = new Map<number, { methods: string[]; statuses: string[] }>();
    for (const p of r.payloads) {
      const e = ours.get(p.frame) ?? { methods: [], statuses: [] };
      const t = startToken(p.bytes);
      if (t.method !== undefined) e.methods.push(t.method);
      if (t.status !== undefined) e.statuses.push(t.status);
      ours.set(p.frame, e);
    }
    const theirs = tsharkSipFrames(DIR + file);
    expect([...ours.keys()]).toEqual(theirs.map((t) => t.frame));
    for (const t of theirs) expect(ours.get(t.frame)).toEqual({ methods: t.methods, statuses: t.statuses });
  });
});
