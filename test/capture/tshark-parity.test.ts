/**
 * Synthetic captures checked against live tshark (skipped without it). Where we
 * differ on purpose the scenario says so; everything else must match frame by frame.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractSip } from '../../src/capture/extract.js';
import { TCP_ACK, TCP_PSH } from '../../src/capture/packet-builder.js';
import type { Endpoint } from '../../src/capture/types.js';
import { capture, hasTshark, sipRequest, sipResponse, TcpSession, tsharkSipFrames, udp, wsFrame } from './helpers.js';

interface Scenario {
  name: string;
  packets: Buffer[];
  /** Why tshark's answer differs from ours, if it does; we then only check that we find something. */
  deviation?: string;
}

const body = 'v=0\r\ns=-\r\n';
let nextPort = 40000;
const client = (): Endpoint => ({ ip: '10.0.0.1', port: nextPort++ });

function tcpScenarios(serverPort: number): Scenario[] {
  const S: Endpoint = { ip: '10.0.0.2', port: serverPort };
  const out: Scenario[] = [];
  const add = (name: string, build: (s: TcpSession) => Buffer[], deviation?: string) => {
    const s = new TcpSession(client(), S);
    out.push({ name: `${name} (port ${serverPort})`, packets: build(s), deviation });
  };
  add('one message', (s) => [...s.handshake(), ...s.send('c', sipRequest('INVITE', body))]);
  add('split over segments', (s) => [...s.handshake(), ...s.send('c', sipRequest('INVITE', 'x'.repeat(400)), 100)]);
  add('two in one segment', (s) => [...s.handshake(), ...s.send('c', sipRequest('INVITE') + sipRequest('BYE'))]);
  add(
    'one and a half per segment',
    (s) => {
      const both = sipRequest('INVITE', 'abc') + sipRequest('BYE', 'defg');
      const cut = both.indexOf('BYE ') + 20;
      return [...s.handshake(), ...s.send('c', both.slice(0, cut)), ...s.send('c', both.slice(cut))];
    },
    serverPort === 5060 ? undefined : 'tshark loses the second message when SIP is found by the TCP heuristic',
  );
  add('retransmission', (s) => {
    const hs = s.handshake();
    const seg = s.send('c', sipRequest('INVITE'));
    return [...hs, ...seg, ...seg, ...s.send('c', sipRequest('ACK'))];
  });
  add('mid-stream start', (s) => {
    // No handshake captured; the first segment is the tail of an INVITE, ending in a partial line.
    const m = sipRequest('INVITE', 'zzz');
    const tail = Buffer.from(m.slice(30));
    return [
      s.packetAt('c', 5000, tail, TCP_PSH | TCP_ACK),
      s.packetAt('c', 5000 + tail.length, Buffer.from(sipRequest('BYE')), TCP_PSH | TCP_ACK),
    ];
  });
  add('keep-alives', (s) => [...s.handshake(), ...s.send('c', '\r\n\r\n'), ...s.send('c', sipRequest('OPTIONS')), ...s.send('c', '\r\n'), ...s.send('c', sipRequest('BYE'))]);
  add('no Content-Length', (s) => [...s.handshake(), ...s.send('c', 'OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n'), ...s.send('c', sipRequest('BYE'))]);
  add(
    'out of order',
    (s) => {
      const hs = s.handshake();
      const segs = s.send('c', sipRequest('INVITE', 'y'.repeat(200)), 150);
      return [...hs, ...segs.slice(1), segs[0]];
    },
    'tshark 4.0 defaults to tcp.reassemble_out_of_order FALSE and shows nothing; we reorder',
  );
  add(
    'partly overlapping retransmission',
    (s) => {
      const hs = s.handshake();
      const m = Buffer.from(sipRequest('INVITE', 'q'.repeat(100)));
      const base = s.nextSeq('c');
      const at = (a: number, b: number) => s.packetAt('c', base + a, m.subarray(a, b), TCP_PSH | TCP_ACK);
      return [...hs, at(0, 80), at(40, 120), at(120, m.length)];
    },
    'tshark does not hand overlapping segments to SIP; we keep the first copy of each byte and continue',
  );
  return out;
}

function wsScenario(serverPort: number): Scenario {
  const s = new TcpSession(client(), { ip: '10.0.0.2', port: serverPort });
  const mask = Buffer.from([9, 8, 7, 6]);
  const m = sipRequest('MESSAGE', 'hello there');
  return {
    name: `WebSocket (port ${serverPort})`,
    packets: [
      ...s.handshake(),
      ...s.send('c', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n'),
      ...s.send('s', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n'),
      ...s.send('c', wsFrame(sipRequest('INVITE', body), { mask })),
      ...s.send('s', Buffer.concat([wsFrame(sipResponse(180, 'Ringing')), wsFrame(sipResponse(200, 'OK'))])),
      ...s.send('c', wsFrame(m.slice(0, 40), { mask, fin: false })),
      ...s.send('c', wsFrame('', { mask, opcode: 9 })),
      ...s.send('c', wsFrame(m.slice(40), { mask, opcode: 0 })),
      ...s.send('s', wsFrame(sipRequest('NOTIFY', 'n'.repeat(2000)), { lenBits: 64 }), 700),
    ],
  };
}

function udpScenario(): Scenario {
  const lines = [
    'INVITE sip:a@b SIP/2.0\r\n\r\n', 'SIP/2.0 200 OK\r\n\r\n', 'sip/2.0 200 OK\r\n', 'INVITE sip:a SIP/2.0 \r\n',
    'A b:c SIP/2.0', 'A :bc SIP/2.0\r\n', 'SIP/2.0 200 ', 'SIP/2.0 200', 'OPTIONS * SIP/2.0\r\n', ' INVITE sip:a SIP/2.0\r\n',
  ];
  const packets: Buffer[] = [];
  for (const [sp, dp] of [[5060, 5060], [40000, 40001], [5070, 5080]]) {
    for (const l of lines) packets.push(udp({ ip: '10.1.0.1', port: sp }, { ip: '10.1.0.2', port: dp }, l));
  }
  return { name: 'UDP start-line heuristic on several ports', packets };
}

const scenarios: Scenario[] = [udpScenario(), ...tcpScenarios(5060), ...tcpScenarios(5080), wsScenario(8080), wsScenario(10080)];

const maybe = hasTshark() ? describe : describe.skip;

maybe('parity with tshark on synthetic captures', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-parity-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(scenarios.map((s, i) => [s.name, i] as const))('%s', (_name, i) => {
    const sc = scenarios[i];
    const file = capture(sc.packets);
    const path = join(dir, `s${i}.pcap`);
    writeFileSync(path, file);
    const ours = extractSip(file).payloads.map((p) => p.frame);
    const theirs = tsharkSipFrames(path).flatMap((f) => new Array<number>(f.methods.length + f.statuses.length).fill(f.frame));
    if (sc.deviation) {
      expect(ours).not.toEqual(theirs);
      expect(ours.length).toBeGreaterThan(theirs.length);
    } else {
      expect(ours).toEqual(theirs);
    }
  });
});
