import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURE_RING_PACKETS, LiveCapture } from '../../src/capture/live.js';
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

  const options = (a: string, b: string, i: number): string =>
    `OPTIONS sip:${b} SIP/2.0\r\nVia: SIP/2.0/UDP ${a};branch=z9hG4bK${i}\r\nMax-Forwards: 70\r\nFrom: <sip:a@${a}>;tag=1\r\nTo: <sip:${b}>\r\nCall-ID: c${i}\r\nCSeq: ${i + 1} OPTIONS\r\nContent-Length: 0\r\n\r\n`;

  /** Sends `n` datagrams from a to b while tcpdump is stopped: the kernel's ring alone must hold them. */
  async function burstWhileStopped(pid: number, a: string, b: string, n: number): Promise<string[]> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, a, r));
    // Someone listens at b, as a SIP endpoint would: a closed port would add an ICMP error per datagram.
    const listener = createSocket('udp4');
    await new Promise<void>((r) => listener.bind(5060, b, r));
    const msgs: string[] = [];
    process.kill(pid, 'SIGSTOP');
    try {
      for (let i = 0; i < n; i++) {
        msgs.push(options(a, b, i));
        await new Promise<void>((r, j) => sock.send(msgs[i], 5060, b, (e) => (e ? j(e) : r())));
      }
    } finally {
      process.kill(pid, 'SIGCONT');
      sock.close();
      listener.close();
    }
    return msgs;
  }

  test('every SIP datagram sent between start and stop is in the pcap, and nothing outside the filter, even a burst while tcpdump is not scheduled', async () => {
    const a = block.allocateHost();
    const b = block.allocateHost();
    const cap = await LiveCapture.start({ file: join(dir, 'c.pcap'), filter: `net ${block.cidr}`, markerAddress: b });
    // A busy machine may leave tcpdump unscheduled through a whole exchange: the ring holds it meanwhile.
    const msgs = await burstWhileStopped(cap.pid, a, b, CAPTURE_RING_PACKETS - 8);
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

  test('a capture that lost packets is an error naming the count, not evidence', async () => {
    const a = block.allocateHost();
    const b = block.allocateHost();
    const cap = await LiveCapture.start({ file: join(dir, 'lossy.pcap'), filter: `net ${block.cidr}`, markerAddress: b });
    await burstWhileStopped(cap.pid, a, b, CAPTURE_RING_PACKETS + 40);
    await expect(cap.stop()).rejects.toThrow(/the kernel dropped \d+ packets during the capture, so .*lossy\.pcap is incomplete/);
  });

  test('a filter that never matches the marker fails in seconds with a clear error', async () => {
    await expect(
      LiveCapture.start({ file: join(dir, 'bad.pcap'), filter: 'host 127.0.0.99', markerAddress: block.host(200), timeoutMs: 1000 }),
    ).rejects.toThrow(/marker .* never reached .* filter/);
  });
});
