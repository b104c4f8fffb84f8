/**
 * SIP over TLS to a real Asterisk 22 (container) from a real SIPp 3.8: the PBX's tls transport with a
 * certificate made for this instance, alice registering and calling the echo feature over it from a SIPp that
 * runs in the sipp image because the host's SIPp 3.6 has no TLS, and clients that must not get through: one
 * trusting another CA. Evidence: SIPp's own messages and result, what Asterisk recorded and logged (the
 * transport each request came in on), and the capture, which must hold TLS and no readable SIP.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Asterisk, makeTlsMaterial, type StartedAsterisk } from '../../../drivers/asterisk/index.js';
import { Sipp, type ScenarioBuilder, type SippResult } from '../../../drivers/sipp/index.js';
import { nativeCapabilities } from '../../../drivers/sipp/runtime.js';
import { extractSip } from '../../../src/capture/extract.js';
import { LiveCapture } from '../../../src/capture/live.js';
import { dockerStatus } from '../../../src/env/docker.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { imageExists } from '../../../src/runtime/images/build.js';
import { imageTag } from '../../../src/runtime/images/recipe.js';
import { labelledContainers, ownerLabel } from '../../../src/runtime/container.js';
import { which } from '../../../src/runtime/native.js';
import { caller, finals, lastCallId, registration } from '../../support/ua.js';
import { ourContainers, rtpPorts, until } from './support.js';

const daemon = dockerStatus();
const skipReason = !daemon.serverVersion
  ? `docker daemon not answering: ${daemon.problem}`
  : !imageExists(imageTag('asterisk'))
    ? `image ${imageTag('asterisk')} missing (sipwright images build --only asterisk)`
    : !imageExists(imageTag('sipp'))
      ? `image ${imageTag('sipp')} missing (sipwright images build --only sipp)`
      : !which('openssl')
        ? 'openssl not installed'
        : undefined;
if (skipReason && process.env.CI) throw new Error(`the Asterisk TLS tests can't run in CI: ${skipReason}`);
const d = skipReason ? describe.skip : describe;
const canCapture = process.getuid?.() === 0 && which('tcpdump') !== undefined;

const DOMAIN = 'tls.test';
const ALICE = { user: 'alice', password: 'alice-tls-pw-7' };

/**
 * alice's registration over TLS. Her Contact names the transport (;transport=tls), so the PBX reaches her over
 * TLS: src/ua's contact at its own address knows only udp and tcp, so the address is written out here.
 */
const aliceOverTls = (): ScenarioBuilder =>
  registration({ user: ALICE.user, domain: DOMAIN, expires: 300, t1Ms: 100, contact: { host: '[local_ip]:[local_port];transport=[transport]' } });

const seen = (r: SippResult) => r.stats.messages.filter((m) => m.messages > 0).map((m) => `${m.direction}:${m.label}`);

d(`SIP over TLS: Asterisk's tls transport and a SIPp 3.8 client (${skipReason ?? imageTag('asterisk')})`, () => {
  let block: AddressBlock;
  let dir: string;
  let pbx: StartedAsterisk;
  let alice: string;
  let mallory: string;

  beforeAll(async () => {
    block = claimAddressBlock(251);
    dir = mkdtempSync(join(tmpdir(), 'sipwright-ast-tls-'));
    alice = block.allocateHost();
    mallory = block.allocateHost();
    pbx = await new Asterisk(block.allocateHost())
      .withDomain(DOMAIN)
      .withAccounts([ALICE])
      .withTransports('udp', 'tcp', 'tls')
      .withT1(100)
      .withRtpPorts(...rtpPorts(block))
      .withRuntime('container')
      .start();
    // Each request Asterisk takes in is logged with the transport it came on ("from TLS:ip:port").
    await pbx.rx('pjsip set logger on');
  }, 40_000);

  afterAll(async () => {
    const caFile = pbx?.tls?.caFile;
    await pbx?.stop();
    block?.release();
    rmSync(dir, { recursive: true, force: true });
    // The instance's keys go with it, and so do the PBX's and every SIPp's containers.
    if (caFile) expect(existsSync(caFile)).toBe(false);
    expect(ourContainers()).toEqual([]);
  });

  /** alice (or another client) over TLS to the PBX's TLS port, trusting `ca`. */
  function overTls(s: ScenarioBuilder, from: string, ca: string, timeoutMs = 6000): Sipp {
    return new Sipp(s).withLocal(from).withRemote(pbx.tls!.hostPort).withTransport('tls').withTls({ ca }).withAuth(ALICE.user, ALICE.password).withT1(100).withTimeout(timeoutMs).withLogDir(dir);
  }

  /** Runs `body` while capturing the block; the pcap's bytes (empty when this machine can't capture). */
  async function wire<T>(body: () => Promise<T>): Promise<{ value: T; pcap?: Buffer; file?: string }> {
    if (!canCapture) return { value: await body() };
    const file = join(dir, `tls-${Date.now()}.pcap`);
    const cap = await LiveCapture.start({ file, filter: `net ${block.cidr}`, markerAddress: block.host(254) });
    try {
      const value = await body();
      await cap.stop();
      return { value, pcap: cap.bytes(), file };
    } finally {
      await cap.stop();
    }
  }

  test('the PBX listens for TLS on its own port, with a certificate for its address signed by this instance\'s CA', async () => {
    expect(pbx.tls).toEqual({ port: pbx.port + 1, hostPort: `${pbx.address}:${pbx.port + 1}`, caFile: expect.stringMatching(/ca\.pem$/) });
    expect(await pbx.rx('pjsip show transports')).toMatch(new RegExp(`transport-tls\\s+tls\\s+\\d+\\s+\\d+\\s+${pbx.address.replace(/\./g, '\\.')}:${pbx.port + 1}`));
    // What the PBX presents verifies against the CA for its IP address, and against another CA it does not.
    const served = spawnSync('openssl', ['s_client', '-connect', pbx.tls!.hostPort, '-CAfile', pbx.tls!.caFile, '-verify_ip', pbx.address, '-verify_return_error', '-brief'], { input: '', encoding: 'utf8', timeout: 10_000 });
    expect(served.stderr).toMatch(/Verification: OK/);
    const other = makeTlsMaterial(join(dir, 'other-pbx'), pbx.address);
    const refused = spawnSync('openssl', ['s_client', '-connect', pbx.tls!.hostPort, '-CAfile', other.caFile, '-verify_return_error', '-brief'], { input: '', encoding: 'utf8', timeout: 10_000 });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/verify error|certificate verify failed/);
    // The key's folder is labelled on the container, so a run killed outright loses it at the next start.
    const container = labelledContainers().find((x) => x.run === ownerLabel() && x.name === `asterisk@${pbx.hostPort}`);
    expect(container?.dir).toBe(dirname(dirname(pbx.tls!.caFile)));
  });

  test('alice REGISTERs over TLS: 401, then 200, the binding is a TLS one, and the wire holds no readable SIP', async () => {
    const { value: r, pcap } = await wire(() =>
      overTls(aliceOverTls(), alice, pbx.tls!.caFile).run(),
    );
    // The host's SIPp 3.6 has no TLS: the driver took the sipp image (SIPp 3.8) by itself.
    expect(r.runtime).toBe(nativeCapabilities('sipp')?.tls ? 'native' : 'container');
    expect({ ok: r.ok, exitCode: r.exitCode, outcome: r.outcome }).toEqual({ ok: true, exitCode: 0, outcome: 'ok' });
    expect(seen(r)).toEqual(['sent:REGISTER', 'received:401', 'sent:REGISTER', 'received:200']);
    expect(finals(r)).toEqual([401, 200]);
    const [binding] = await pbx.contacts(ALICE.user);
    // The binding the PBX recorded is the one this REGISTER made (its Call-ID), over TLS.
    expect(lastCallId(r)).toMatch(/^sipwright-/);
    expect(binding).toMatchObject({ aor: 'alice', uri: `sip:alice@${alice}:5060;transport=TLS`, callId: lastCallId(r) });
    // Asterisk, not just the Contact SIPp wrote, says the REGISTERs came over TLS from alice.
    const fromAlice = (pbx.logs().match(/Received SIP request \(\d+ bytes\) from \S+/g) ?? []).filter((l) => l.includes(alice));
    expect(fromAlice.map((l) => l.replace(/\(\d+ bytes\)/, '(n bytes)'))).toEqual(Array(2).fill(`Received SIP request (n bytes) from TLS:${alice}:5060`));
    if (pcap) {
      // On the wire: a TLS handshake to the PBX's TLS port, and not one readable SIP message.
      expect(extractSip(pcap).payloads).toEqual([]);
      expect(pcap.includes(Buffer.from('REGISTER sip:'))).toBe(false);
      expect(pcap.includes(Buffer.from([0x16, 0x03]))).toBe(true);
    }
  });

  test('with a key log, SIPp writes the secrets of its TLS connection in NSS key log format; without one, none', async () => {
    const keys = join(dir, 'keys', 'alice.keys');
    const r = await overTls(aliceOverTls(), alice, pbx.tls!.caFile).withKeyLog(keys).run();
    expect({ ok: r.ok, runtime: r.runtime }).toEqual({ ok: true, runtime: 'container' });
    const lines = readFileSync(keys, 'utf8').trim().split('\n');
    // TLS 1.3 (what OpenSSL and PJSIP agree on): the four traffic secrets of one connection, one client random.
    const labels = lines.map((l) => l.split(' ')[0]).sort();
    expect(labels).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0']);
    for (const l of lines) expect(l).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/);
    expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBe(1);
    // The same client without a key log (in the same image) writes nothing anywhere.
    expect((await overTls(aliceOverTls(), alice, pbx.tls!.caFile).run()).ok).toBe(true);
    expect(readFileSync(keys, 'utf8').trim().split('\n')).toEqual(lines);
  });

  test('alice calls the echo feature over TLS: challenged, answered, ACKed, hung up', async () => {
    const call = caller({ uri: `sip:600@${DOMAIN}`, identity: { user: ALICE.user, domain: DOMAIN }, canAuth: true, t1Ms: 100, steps: [{ kind: 'bye', afterMs: 300 }] });
    const r = await overTls(call, alice, pbx.tls!.caFile, 8000).run();
    expect({ ok: r.ok, outcome: r.outcome }).toEqual({ ok: true, outcome: 'ok' });
    expect(seen(r)).toEqual(expect.arrayContaining(['sent:INVITE', 'received:401', 'received:200', 'sent:ACK', 'sent:BYE']));
    expect(pbx.logs()).toMatch(new RegExp(`Received SIP request \\(\\d+ bytes\\) from TLS:${alice.replace(/\./g, '\\.')}:5060 --->\\s+INVITE sip:600@`));
    // The call is over: no channel left.
    expect(await until(() => pbx.channels(), (c) => c.length === 0)).toEqual([]);
  });

  test('a client that trusts another CA (another PBX\'s) refuses the certificate: a TLS error, nothing reaches the PBX', async () => {
    const other = makeTlsMaterial(join(dir, 'another-pbx'), pbx.address);
    const r = await overTls(aliceOverTls(), mallory, other.caFile).run();
    expect({ ok: r.ok, outcome: r.outcome }).toEqual({ ok: false, outcome: 'tls-error' });
    expect(r.meaning).toMatch(/TLS handshake failed, the peer's certificate did not verify against -tls_ca \(self-signed certificate in certificate chain\)/);
    expect(r.errors.join('\n')).toMatch(/TLS verification error/);
    expect(seen(r)).toEqual([]);
    expect(pbx.logs()).not.toContain(`from TLS:${mallory}`);
    expect((await pbx.contacts(ALICE.user)).map((c) => c.uri)).toEqual([`sip:alice@${alice}:5060;transport=TLS`]);
  });
});
