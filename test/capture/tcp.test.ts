import { extractSip } from '../../src/capture/extract.js';
import { TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/capture/packet-builder.js';
import { capture, sipRequest, sipResponse, TcpSession } from './helpers.js';

const C = { ip: '10.0.0.1', port: 40000 };
const S = { ip: '10.0.0.2', port: 5060 };
const INVITE = sipRequest('INVITE', 'v=0\r\ns=-\r\n');
const BYE = sipRequest('BYE');
const OK = sipResponse(200, 'OK');

function run(packets: Buffer[], options?: { maxReassemblyBytes?: number }) {
  return extractSip(capture(packets), options);
}
const texts = (r: ReturnType<typeof run>) => r.payloads.map((p) => p.bytes.toString('latin1'));

test('one message per segment, both directions, endpoints and transport', () => {
  const s = new TcpSession(C, S);
  const pk = [...s.handshake(), ...s.send('c', INVITE), ...s.send('s', OK), s.fin('c'), s.fin('s')];
  const r = run(pk);
  expect(r.findings).toEqual([]);
  expect(texts(r)).toEqual([INVITE, OK]);
  expect(r.payloads[0]).toMatchObject({ frame: 3, transport: 'tcp', src: C, dst: S });
  expect(r.payloads[1]).toMatchObject({ frame: 4, src: S, dst: C });
});

test('a message across segments belongs to the segment that completes it', () => {
  const s = new TcpSession(C, S);
  const big = sipRequest('MESSAGE', 'x'.repeat(5000));
  const pk = [...s.handshake(), ...s.send('c', big, 700)];
  const r = run(pk);
  expect(texts(r)).toEqual([big]);
  expect(r.payloads[0].frame).toBe(pk.length);
});

test('several messages in one segment, keep-alives (CRLFCRLF ping, CRLF pong) skipped', () => {
  const s = new TcpSession(C, S);
  const pk = [...s.handshake(), ...s.send('c', '\r\n\r\n' + INVITE + '\r\n\r\n' + BYE), ...s.send('s', '\r\n'), ...s.send('s', OK + OK)];
  const r = run(pk);
  expect(r.findings).toEqual([]);
  expect(texts(r)).toEqual([INVITE, BYE, OK, OK]);
  expect(r.payloads.map((p) => p.frame)).toEqual([3, 3, 5, 5]);
});

test('one and a half messages per segment', () => {
  const s = new TcpSession(C, S);
  const both = INVITE + BYE;
  const cut = INVITE.length + 30;
  const pk = [...s.handshake(), ...s.send('c', both.slice(0, cut)), ...s.send('c', both.slice(cut))];
  expect(run(pk).payloads.map((p) => p.frame)).toEqual([3, 4]);
});

test('out-of-order segments are reordered; the message completes with the gap-filling segment', () => {
  const s = new TcpSession(C, S);
  const hs = s.handshake();
  const segs = s.send('c', INVITE, 60);
  expect(segs).toHaveLength(4);
  const rest = s.send('c', BYE);
  const r = run([...hs, segs[2], segs[3], segs[1], segs[0], ...rest]);
  expect(r.findings).toEqual([]);
  expect(texts(r)).toEqual([INVITE, BYE]);
  expect(r.payloads.map((p) => p.frame)).toEqual([6, 7]);
});

test('retransmitted and overlapping segments do not duplicate data', () => {
  const s = new TcpSession(C, S);
  const hs = s.handshake();
  const base = s.nextSeq('c');
  const bytes = Buffer.from(INVITE + BYE);
  const seg = (from: number, to: number) => s.packetAt('c', base + from, bytes.subarray(from, to), TCP_PSH | TCP_ACK);
  const r = run([...hs, seg(0, 100), seg(0, 100), seg(50, 180), seg(100, 180), seg(180, bytes.length), seg(0, bytes.length)]);
  expect(r.findings).toEqual([]);
  expect(texts(r)).toEqual([INVITE, BYE]);
});

test('sequence numbers wrap around 2^32', () => {
  const s = new TcpSession(C, S, 0xffffff00);
  const r = run([...s.handshake(), ...s.send('c', INVITE + BYE, 100)]);
  expect(texts(r)).toEqual([INVITE, BYE]);
});

test('a capture that starts mid-stream resynchronises at the next SIP start line', () => {
  const s = new TcpSession(C, S);
  s.handshake(); // not captured
  const pk = s.send('c', INVITE + BYE, 120);
  const r = run(pk.slice(1));
  expect(texts(r)).toEqual([BYE]);
  expect(r.findings).toHaveLength(1);
  expect(r.findings[0].message).toMatch(/resynchronised .*mid-stream/);
});

test('resynchronisation prefers a segment start over a line glued across segments', () => {
  // The skipped tail "zzz" has no line end; tshark restarts at the next segment, so "zzzBYE …" must not win.
  const s = new TcpSession(C, S);
  s.handshake();
  const body = sipRequest('INVITE', 'zzz');
  const first = s.send('c', body.slice(40));
  const second = s.send('c', BYE);
  const r = run([...first, ...second]);
  expect(texts(r)).toEqual([BYE]);
});

test('header names are case-insensitive and the compact form l: counts', () => {
  const s = new TcpSession(C, S);
  const m1 = 'OPTIONS sip:a SIP/2.0\r\ncontent-LENGTH : 3\r\n\r\nabc';
  const m2 = 'OPTIONS sip:a SIP/2.0\r\nl:4\r\n\r\nabcd';
  const r = run([...s.handshake(), ...s.send('c', m1 + m2 + BYE)]);
  expect(r.findings).toEqual([]);
  expect(texts(r)).toEqual([m1, m2, BYE]);
});

test('a missing Content-Length means an empty body, with a finding', () => {
  const s = new TcpSession(C, S);
  const m = 'OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n';
  const r = run([...s.handshake(), ...s.send('c', m + BYE)]);
  expect(texts(r)).toEqual([m, BYE]);
  expect(r.findings).toHaveLength(1);
  expect(r.findings[0].message).toMatch(/without Content-Length/);
});

test('an unparsable Content-Length is a finding too', () => {
  const s = new TcpSession(C, S);
  const m = 'OPTIONS sip:a SIP/2.0\r\nContent-Length: ten\r\n\r\n';
  const r = run([...s.handshake(), ...s.send('c', m + BYE)]);
  expect(texts(r)).toEqual([m, BYE]);
  expect(r.findings[0].message).toMatch(/unparsable Content-Length/);
});

test('buffering is capped per stream with a finding', () => {
  const s = new TcpSession(C, S);
  const huge = sipRequest('MESSAGE', 'y'.repeat(20000));
  const r = run([...s.handshake(), ...s.send('c', huge, 1000), ...s.send('c', BYE)], { maxReassemblyBytes: 8192 });
  expect(texts(r)).toEqual([BYE]);
  expect(r.findings.some((f) => /exceeds the 8192-byte reassembly limit/.test(f.message))).toBe(true);
});

test('a header block that never ends is capped too', () => {
  const s = new TcpSession(C, S);
  const r = run([...s.handshake(), ...s.send('c', 'INVITE sip:a SIP/2.0\r\n' + 'X-Long: zz\r\n'.repeat(2000), 1000)], {
    maxReassemblyBytes: 4096,
  });
  expect(r.payloads).toEqual([]);
  expect(r.findings.some((f) => /header block exceeds 4096/.test(f.message))).toBe(true);
});

test('a message incomplete at the end of the capture is a finding', () => {
  const s = new TcpSession(C, S);
  const r = run([...s.handshake(), ...s.send('c', INVITE.slice(0, -4))]);
  expect(r.payloads).toEqual([]);
  expect(r.findings).toHaveLength(1);
  expect(r.findings[0]).toMatchObject({ level: 'error' });
  expect(r.findings[0].message).toMatch(/incomplete at end of stream/);
});

test('a message cut by FIN or RST is a finding', () => {
  const s = new TcpSession(C, S);
  const fin = run([...s.handshake(), ...s.send('c', INVITE.slice(0, 50)), s.fin('c')]);
  expect(fin.findings[0].message).toMatch(/incomplete/);
  const t = new TcpSession(C, S);
  const hs = t.handshake();
  const part = t.send('c', INVITE.slice(0, 50));
  const rst = t.packetAt('c', t.nextSeq('c'), Buffer.alloc(0), TCP_RST);
  const r = run([...hs, ...part, rst, ...t.send('c', BYE)]);
  expect(r.findings[0].message).toMatch(/incomplete/);
  // Data after the RST is a new stream to us, as to tshark; it starts with a start line, so it is found.
  expect(texts(r)).toEqual([BYE]);
});

test('a gap that is never filled is reported and skipped', () => {
  const s = new TcpSession(C, S);
  const hs = s.handshake();
  const first = s.send('c', INVITE);
  const lost = s.send('c', 'OPTIONS sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  const after = [...s.send('c', BYE), ...s.send('c', BYE)];
  const r = run([...hs, ...first, ...after]);
  expect(lost).toHaveLength(1);
  expect(texts(r)).toEqual([INVITE, BYE, BYE]);
  expect(r.payloads.map((p) => p.frame)).toEqual([3, 4, 5]);
  expect(r.findings.some((f) => /never captured/.test(f.message))).toBe(true);
});

test('a new connection on the same 4-tuple starts a fresh stream', () => {
  const s1 = new TcpSession(C, S, 1000);
  const s2 = new TcpSession(C, S, 777777);
  const r = run([...s1.handshake(), ...s1.send('c', INVITE.slice(0, 40)), ...s2.handshake(), ...s2.send('c', BYE)]);
  expect(texts(r)).toEqual([BYE]);
  expect(r.findings).toHaveLength(1); // the abandoned partial INVITE
});

test('data on the SYN is part of the stream', () => {
  const s = new TcpSession(C, S);
  const syn = s.packetAt('c', 5000, Buffer.from(INVITE), TCP_SYN);
  expect(texts(run([syn]))).toEqual([INVITE]);
});

test('a non-SIP stream gives neither payloads nor findings', () => {
  const s = new TcpSession(C, { ip: '10.0.0.2', port: 8000 });
  const junk = Buffer.alloc(20000);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) & 0xff;
  const r = run([...s.handshake(), ...s.send('c', junk), ...s.send('s', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
  expect(r.payloads).toEqual([]);
  expect(r.findings).toEqual([]);
});

test('many tiny segments are reassembled in linear time', () => {
  const s = new TcpSession(C, S);
  const big = sipRequest('MESSAGE', 'z'.repeat(300_000));
  const pk = [...s.handshake(), ...s.send('c', big, 10)];
  const t = Date.now();
  const r = run(pk);
  expect(texts(r)).toEqual([big]);
  expect(Date.now() - t).toBeLessThan(5000);
});

describe('TLS', () => {
  const hello = Buffer.from('160301002e0100002a0303', 'hex');

  test('port 5061: no SIP, one warning per connection', () => {
    const s = new TcpSession(C, { ip: '10.0.0.2', port: 5061 });
    const r = run([...s.handshake(), ...s.send('c', hello), ...s.send('s', Buffer.from('160303003a', 'hex')), ...s.send('c', INVITE)]);
    expect(r.payloads).toEqual([]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ level: 'warning', frame: 3 });
    expect(r.findings[0].message).toMatch(/TLS stream, not decrypted/);
  });

  test('a TLS record on another port is recognised too', () => {
    const s = new TcpSession(C, { ip: '10.0.0.2', port: 5080 });
    const r = run([...s.handshake(), ...s.send('c', hello), ...s.send('c', INVITE)]);
    expect(r.payloads).toEqual([]);
    expect(r.findings).toHaveLength(1);
  });

  test('HTTPS is ignored without a warning', () => {
    const s = new TcpSession(C, { ip: '10.0.0.2', port: 443 });
    const r = run([...s.handshake(), ...s.send('c', hello)]);
    expect(r).toMatchObject({ payloads: [], findings: [] });
  });
});

test('a retransmission after the connection closed is not a new stream', () => {
  const s = new TcpSession(C, S);
  const hs = s.handshake();
  const data = s.send('c', INVITE);
  const r = run([...hs, ...data, s.fin('c'), s.fin('s'), ...data]);
  expect(texts(r)).toEqual([INVITE]);
  expect(r.findings).toEqual([]);
});

test('closed connections leave the live table: a port reused with a new SYN works', () => {
  const pk: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const s = new TcpSession(C, S, 1000 + i * 100000);
    pk.push(...s.handshake(), ...s.send('c', BYE), s.fin('c'), s.fin('s'));
  }
  const r = run(pk);
  expect(r.payloads).toHaveLength(50);
  expect(r.findings).toEqual([]);
});

test('messages cut from joined segments stay intact after later segments arrive', () => {
  const s = new TcpSession(C, S);
  const msgs = Array.from({ length: 50 }, (_, i) => sipRequest('MESSAGE', `body ${i} `.repeat(i % 7)));
  const r = run([...s.handshake(), ...s.send('c', msgs.join(''), 37)]);
  expect(r.findings).toEqual([]);
  expect(texts(r)).toEqual(msgs);
});
