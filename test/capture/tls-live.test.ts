/**
 * TLS decryption on a real capture: tcpdump records Node TLS clients and servers on loopback exchanging SIP
 * (TLS 1.3 on 5061, TLS 1.2 on another port, and a connection whose key is withheld), our reader decrypts it
 * with the client's key log, and the pcapng copy with the keys embedded reads the same in tshark. Needs root
 * and tcpdump for the capture, tshark for the comparison; skipped cleanly without them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { extractSip } from '../../src/capture/extract.js';
import { LiveCapture } from '../../src/capture/live.js';
import { writePcapngWithSecrets } from '../../src/capture/pcapng-secrets.js';
import type { SipPayload } from '../../src/capture/types.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { hasTshark, tsharkSipFrames, type TsharkFrame } from './helpers.js';
import { clientOptions, closeBoth, EXPECTED_START_LINES, exchange, makeTlsMaterial, TLS12_SUITES, TLS13_SUITES, type TlsChoice, type TlsMaterial } from './tls-exchange.js';

const canCapture = which('tcpdump') !== undefined && process.getuid?.() === 0;
const d = canCapture ? describe : describe.skip;

/** Our payloads as tshark lists them: per frame, the methods and the status codes. */
function asTshark(payloads: SipPayload[]): TsharkFrame[] {
  const out: TsharkFrame[] = [];
  for (const p of payloads) {
    const start = p.bytes.toString('latin1').split('\r\n')[0];
    let row = out[out.length - 1];
    if (!row || row.frame !== p.frame) out.push((row = { frame: p.frame, methods: [], statuses: [] }));
    const status = /^SIP\/2\.0 (\d{3}) /.exec(start);
    if (status) row.statuses.push(status[1]);
    else row.methods.push(start.split(' ')[0]);
  }
  return out;
}

d('TLS decryption of a live capture (tcpdump)', () => {
  let block: AddressBlock;
  let dir: string;
  let material: TlsMaterial;
  const servers: Server[] = [];
  beforeAll(() => {
    block = claimAddressBlock(235);
    dir = mkdtempSync(join(tmpdir(), 'sipwright-tls-live-'));
    material = makeTlsMaterial(dir);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  async function listen(address: string, port: number): Promise<Server> {
    const server = createServer({ cert: material.cert, key: material.key, minVersion: 'TLSv1.2' });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, resolve);
    });
    return server;
  }

  /** One TLS connection from `from` running the SIP exchange; returns the client's key log. */
  async function call(server: Server, from: string, choice: TlsChoice, callId: string): Promise<string> {
    const addr = server.address() as { address: string; port: number };
    const accepted = new Promise<TLSSocket>((r) => server.once('secureConnection', (s: TLSSocket) => r(s)));
    const lines: string[] = [];
    // Our own TCP socket, so that it leaves from `from` (the party's address in the block).
    const tcp = netConnect({ host: addr.address, port: addr.port, localAddress: from });
    const client = connect({ socket: tcp, ...clientOptions(material, choice) });
    client.on('keylog', (line: Buffer) => lines.push(line.toString('latin1')));
    await new Promise<void>((resolve, reject) => {
      client.once('secureConnect', resolve);
      client.once('error', reject);
    });
    const peer = await accepted;
    await exchange(client, peer, callId);
    await closeBoth(client, peer);
    return lines.join('');
  }

  test('SIP inside TLS 1.3 on 5061 and TLS 1.2 on another port is read from the capture; a connection without its key is named; the pcapng copy reads the same in tshark', async () => {
    const serverIp = block.allocateHost();
    const alice = block.allocateHost();
    const carol = block.allocateHost();
    const otherPort = block.allocatePort();
    const sips = await listen(serverIp, 5061);
    const other = await listen(serverIp, otherPort);
    const pcap = join(dir, 'tls.pcap');
    const cap = await LiveCapture.start({ file: pcap, filter: `net ${block.cidr}`, markerAddress: serverIp });
    let keys13: string;
    let keys12: string;
    try {
      keys13 = await call(sips, alice, { maxVersion: 'TLSv1.3', ciphers: TLS13_SUITES[1] }, 'live13');
      keys12 = await call(other, alice, { maxVersion: 'TLSv1.2', ciphers: TLS12_SUITES[2] }, 'live12');
      await call(sips, carol, { maxVersion: 'TLSv1.3', ciphers: TLS13_SUITES[0] }, 'withheld');
    } finally {
      await cap.stop();
    }
    const keylog = keys13 + keys12;

    const result = extractSip(cap.bytes(), { tlsKeys: keylog });
    const lines = result.payloads.map((p) => p.bytes.toString('latin1').split('\r\n')[0]);
    expect(lines).toEqual([...EXPECTED_START_LINES, ...EXPECTED_START_LINES]);
    expect(result.payloads.every((p) => p.transport === 'tls')).toBe(true);
    expect(result.payloads.map((p) => p.src.ip === alice || p.dst.ip === alice)).not.toContain(false);
    expect(result.payloads.slice(7).some((p) => p.dst.port === otherPort)).toBe(true);
    expect(result.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(new RegExp(`^TLS connection ${carol.replace(/\./g, '\\.')}:\\d+ -> ${serverIp.replace(/\./g, '\\.')}:5061 not decrypted: no key for client_random [0-9a-f]{64} in the key log$`)),
    ]);

    // The copy for a report: our reader needs no key log beside it, and neither does tshark.
    const pcapng = join(dir, 'tls.pcapng');
    writeFileSync(pcapng, writePcapngWithSecrets(cap.bytes(), keylog));
    const fromCopy = extractSip(readFileSync(pcapng));
    expect(fromCopy.payloads.map((p) => [p.frame, p.bytes.toString('latin1')])).toEqual(result.payloads.map((p) => [p.frame, p.bytes.toString('latin1')]));

    if (!hasTshark()) return;
    // 5061 is SIP over TLS to tshark by default; the other port is named for both layers.
    const frames = tsharkSipFrames(pcapng, ['-d', `tcp.port==${otherPort},tls`, '-d', `tls.port==${otherPort},sip`]);
    expect(frames).toEqual(asTshark(result.payloads));
    expect(frames.flatMap((f) => [...f.methods, ...f.statuses])).toEqual(['REGISTER', '200', 'INVITE', '100', '180', '200', 'ACK', 'REGISTER', '200', 'INVITE', '100', '180', '200', 'ACK']);
  });
});
