/**
 * The security suite's TLS tests, run as a user runs them (`sipwright run`) against Kamailios started here and
 * described in target files over TLS (`transport: tls`, `tls: { ca }`): a good one passes them, and each broken
 * one (drivers/kamailio: withTlsCertificate) fails the test for its fault, with the reason, while the test
 * beside it passes: a self-signed certificate for another name, an expired one, one from the right CA for
 * another name, and a server that still takes TLS 1.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { ACCOUNTS, expectControl, grep, onTarget, RUN_LIMIT, runSuite, startAll, targets, writeTarget } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump', 'openssl'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

const CERTIFICATE = /its certificate chains to its CA, names it and is in date/;
const OLD_VERSIONS = /it refuses TLS 1\.1 and 1\.0/;
const REGISTER = /REGISTER is challenged as a registrar/;
/** Short, so that the stale-nonce test waits seconds, not minutes. */
const AUTH_NONCE_LIFETIME_S = 4;

type Broken = Parameters<Kamailio['withTlsCertificate']>[0];

d('security suite, the target\'s TLS, through `sipwright run` on target files over TLS', () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-security-tls-'));
    block = claimAddressBlock(236);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  /** With a nonce lifetime, it also challenges as a proxy (407). */
  function proxy(broken?: Broken, nonceLifetimeS?: number): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withRegistrar({ minExpires: 60 }).withT1(100).withTransports('udp', 'tcp', 'tls');
    if (broken) k.withTlsCertificate(broken);
    if (nonceLifetimeS) k.withNonceLifetime(nonceLifetimeS).withProxyAuth(true);
    return k.start();
  }

  /** A target file for its TLS socket, naming the CA made with it (which vouches for nothing a broken one shows). */
  const tlsTarget = (k: StartedKamailio, name: string, extra: string[] = []) =>
    writeTarget(dir, { hostPort: k.tls!.hostPort, options: k.options }, name, true, 'registrar, proxy', ['transport: tls', `tls: { ca: ${k.tls!.caFile} }`, 't1: 100', ...extra]);

  test('every suite a proxy runs passes on a Kamailio described in a target file over TLS, every ladder read from the decrypted wire', async () => {
    // A proxy that challenges INVITE and the other out-of-dialog requests with 407, as carriers' do.
    const k = await proxy(undefined, AUTH_NONCE_LIFETIME_S);
    try {
      const file = tlsTarget(k, 'my-tls-proxy', [`auth: { challenges: [REGISTER, INVITE, MESSAGE, SUBSCRIBE, REFER, PUBLISH], nonceLifetime: ${AUTH_NONCE_LIFETIME_S} }`]);
      const r = runSuite(['registration', 'calls', 'forking', 'prack', 'session-timers', 'security'], join(dir, 'suites'), ['--target', file]);
      // What it does not declare (another domain, sequential forking, the 423 minimum, the PBX role, SRTP,
      // SHA-256, challenges of other requests) and what only UDP has is skipped with the reason; nothing fails.
      expect(r.tests.filter((t) => t.status === 'failed').map((t) => `${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
      const passed = (suite: string) => r.tests.filter((t) => t.suite === suite && t.status === 'passed').map((t) => t.name);
      expect(r.tests.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(40);
      expect(passed('session-timers').length).toBeGreaterThanOrEqual(6);
      // The challenges, a stale nonce, a wrong password; the certificate and versions; sips: end to end.
      expect(passed('security')).toEqual(expect.arrayContaining([REGISTER, /INVITE is challenged/, /stale/, /wrong password/, CERTIFICATE, OLD_VERSIONS, /sips:/].map((re) => expect.stringMatching(re))));
      // Every capture with SIP in it is kept decryptable, but the certificate and version checks (handshakes
      // alone) and an SDES call's (its decrypted messages carry SRTP keys, which no report shows).
      const plainByDesign = (name: string) => CERTIFICATE.test(name) || OLD_VERSIONS.test(name) || /SDES/.test(name);
      expect(r.tests.filter((t) => t.status === 'passed' && !plainByDesign(t.name) && !t.pcap?.endsWith('.pcapng')).map((t) => `${t.name}: ${t.pcap}`)).toEqual([]);
      expect(r.code).toBe(0);
    } finally {
      await k.stop();
    }
  }, RUN_LIMIT);

  test('passes on a good one; each broken certificate or old version fails its own test, saying why', async () => {
    const controls: Array<[string, Broken, RegExp, RegExp, RegExp]> = [
      ['self-signed-other-name', { name: 'other.example', selfSigned: true }, CERTIFICATE, OLD_VERSIONS, /not trusted by the CA it declares/],
      ['expired', { expired: true }, CERTIFICATE, OLD_VERSIONS, /not trusted by the CA it declares \(CERT_HAS_EXPIRED\)/],
      ['other-name', { name: 'other.example' }, CERTIFICATE, OLD_VERSIONS, /its certificate is for DNS:other\.example, not 127\./],
      ['takes-tls-1.1', { oldVersions: true }, OLD_VERSIONS, CERTIFICATE, /accepted TLSv1\.1/],
    ];
    const started = await startAll([proxy(), ...controls.map(([, broken]) => proxy(broken))]);
    try {
      const files = [tlsTarget(started[0], 'good-tls'), ...controls.map(([name], i) => tlsTarget(started[i + 1], `broken-${name}`))];
      const r = runSuite('security', join(dir, 'run'), [...targets(files), ...grep([CERTIFICATE, OLD_VERSIONS, REGISTER])]);
      // A run that never got to its tests says why in its output.
      if (!r.tests.length) throw new Error(`sipwright run wrote no summary (exit ${r.code}):\n${r.out}`);
      const good = onTarget(r.tests, 'good-tls').filter((t) => [CERTIFICATE, OLD_VERSIONS, REGISTER].some((re) => re.test(t.name)));
      expect(good.map((t) => `${t.status}: ${t.name}`)).toEqual([expect.stringMatching(/^passed: /), expect.stringMatching(/^passed: /), expect.stringMatching(/^passed: /)]);
      for (const [name, , failing, neighbour, why] of controls) {
        expectControl(r.tests, `broken-${name}`, [failing], neighbour);
        expect({ name, failure: onTarget(r.tests, `broken-${name}`).find((t) => failing.test(t.name))?.failureMessage ?? '' }).toEqual({ name, failure: expect.stringMatching(why) });
      }
      expect(r.code).toBe(1);
    } finally {
      await Promise.all(started.map((k) => k.stop()));
    }
  }, RUN_LIMIT);
});
