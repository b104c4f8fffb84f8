import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveCapture } from '../../src/capture/live.js';
import { extractSip } from '../../src/capture/extract.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';

const haveTcpdump = which('tcpdump') !== undefined && process.getuid?.() === 0;
const d = haveTcpdump ? describe : describe.skip;

d('live capture (tcpdump)', () => {
  let block: AddressBlock;
  let dir: string;
  beforeAll(() => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-cap-'));
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every SIP datagram sent between start and stop is in the pcap, and nothing outside the filter', async () => {
    const a = block.allocateHost();
    const b = block.allocateHost();
    const cap = await LiveCapture.start({ file: join(dir, 'c.pcap'), filter: `net ${block.cidr}`, markerAddress: b });
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, a, r));
    const msgs: string[] = [];
    // Enough to overflow a small capture buffer when tcpdump is slow to be scheduled (as in CI).
    for (let i = 0; i < 300; i++) {
      const m = `OPTIONS sip:${b} SIP/2.0\r\nVia: SIP/2.0/UDP ${a};branch=z9hG4bK${i}\r\nMax-Forwards: 70\r\nFrom: <sip:a@${a}>;tag=1\r\nTo: <sip:${b}>\r\nCall-ID: c${i}\r\nCSeq: ${i + 1} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      msgs.push(m);
      await new Promise<void>((r, j) => sock.send(m, 5060, b, (e) => (e ? j(e) : r())));
    }
    sock.close();
    // Outside the filter (neither end in the block): must not be captured.
    const outside = createSocket('udp4');
    await new Promise<void>((r) => outside.bind(0, '127.0.0.1', r));
    await new Promise<void>((r, j) => outside.send('OPTIONS sip:x SIP/2.0\r\n\r\n', 5060, '127.0.0.2', (e) => (e ? j(e) : r())));
    outside.close();
    await cap.stop();
    const result = extractSip(cap.bytes());
    expect(result.payloads.map((p) => p.bytes.toString())).toEqual(msgs);
    expect(cap.running).toBe(false);
  });

  test('a filter that never matches the marker fails in seconds with a clear error', async () => {
    await expect(
      LiveCapture.start({ file: join(dir, 'bad.pcap'), filter: 'host 127.0.0.99', markerAddress: block.host(200), timeoutMs: 1000 }),
    ).rejects.toThrow(/marker .* never reached .* filter/);
  });
});
