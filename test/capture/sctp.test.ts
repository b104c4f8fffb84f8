import { extractSip } from '../../src/capture/extract.js';
import { capture, ethernet, ipv4, ipv6, sctpData, sctpIData, sctpPacket, sipRequest, sipResponse } from './helpers.js';

/** An INVITE whose length is not a multiple of 4, so its chunk is padded. */
const INVITE = ((): Buffer => {
  let body = 'v=0\r\n'.repeat(10);
  while (Buffer.byteLength(sipRequest('INVITE', body)) % 4 === 0) body += 'x';
  return Buffer.from(sipRequest('INVITE', body));
})();
const OK = Buffer.from(sipResponse(200, 'OK'));
const pkt = (...chunks: Buffer[]) => ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 132, sctpPacket(5060, 5060, chunks)));
const sack = Buffer.from([3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);

test('each DATA chunk holding SIP is a payload, padding and control chunks skipped', () => {
  expect(INVITE.length % 4).not.toBe(0);
  const r = extractSip(capture([pkt(sack, sctpData(INVITE, { tsn: 1 }), sctpData(OK, { tsn: 2, sid: 3 }))]));
  expect(r.findings).toEqual([]);
  expect(r.payloads.map((p) => p.bytes.toString('latin1'))).toEqual([INVITE.toString('latin1'), OK.toString('latin1')]);
  expect(r.payloads[0]).toMatchObject({ transport: 'sctp', frame: 1, src: { ip: '10.0.0.1', port: 5060 } });
});

test('fragmented user messages are reassembled by TSN, in any arrival order', () => {
  const parts = [INVITE.subarray(0, 100), INVITE.subarray(100, 200), INVITE.subarray(200)];
  const r = extractSip(
    capture([
      pkt(sctpData(parts[2], { tsn: 12, flags: 0x01 })),
      pkt(sctpData(parts[0], { tsn: 10, flags: 0x02 })),
      pkt(sctpData(parts[0], { tsn: 10, flags: 0x02 })), // retransmission
      pkt(sctpData(parts[1], { tsn: 11, flags: 0x00 })),
    ]),
  );
  expect(r.payloads).toHaveLength(1);
  expect(r.payloads[0].frame).toBe(4);
  expect(r.payloads[0].bytes.equals(INVITE)).toBe(true);
});

test('I-DATA chunks, whole and fragmented', () => {
  const r = extractSip(
    capture([
      pkt(sctpIData(OK, { tsn: 1, mid: 0 })),
      pkt(sctpIData(INVITE.subarray(0, 64), { tsn: 2, mid: 1, flags: 0x02 })),
      pkt(sctpIData(INVITE.subarray(64), { tsn: 3, mid: 1, fsn: 1, flags: 0x01 })),
    ]),
  );
  expect(r.payloads.map((p) => p.frame)).toEqual([1, 3]);
  expect(r.payloads[1].bytes.equals(INVITE)).toBe(true);
});

test('non-SIP DATA is ignored; over IPv6 too', () => {
  const v6 = ethernet(0x86dd, ipv6('2001:db8::1', '2001:db8::2', 132, sctpPacket(2905, 2905, [sctpData(Buffer.from([1, 0, 1, 1, 0, 0, 0, 8]), { tsn: 1 }), sctpData(OK, { tsn: 2 })])));
  const r = extractSip(capture([v6]));
  expect(r.payloads).toHaveLength(1);
  expect(r.payloads[0].src).toEqual({ ip: '2001:db8::1', port: 2905 });
});

test('a fragment left over at the end is a finding', () => {
  const r = extractSip(capture([pkt(sctpData(INVITE.subarray(0, 50), { tsn: 1, flags: 0x02 }))]));
  expect(r.payloads).toEqual([]);
  expect(r.findings[0].message).toMatch(/incomplete fragmented/);
});
