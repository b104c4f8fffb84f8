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

  function proxy(broken?: Broken): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withRegistrar({ minExpires: 60 }).withT1(100).withTransports('udp', 'tcp', 'tls');
    if (broken) k.withTlsCertificate(broken);
    return k.start();
  }

  /** A target file for its TLS socket, naming the CA made with it (which vouches for nothing a broken one shows). */
  const tlsTarget = (k: StartedKamailio, name: string) =>
    writeTarget(dir, { hostPort: k.tls!.hostPort, options: k.options }, name, true, 'registrar, proxy', ['transport: tls', `tls: { ca: ${k.tls!.caFile} }`, 't1: 100']);

  test('the proxy suites pass on a Kamailio described in a target file over TLS, every ladder read from the decrypted wire', async () => {
    const k = await proxy();
    try {
      const r = runSuite(['registration', 'calls', 'forking', 'prack'], join(dir, 'suites'), ['--target', tlsTarget(k, 'my-tls-proxy')]);
      // What it does not declare (another domain, sequential forking, the 423 minimum) and what only UDP has is
      // skipped with the reason; nothing fails.
      expect(r.tests.filter((t) => t.status === 'failed').map((t) => `${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
      expect(r.tests.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(25);
      expect(r.tests.filter((t) => t.status === 'passed').every((t) => t.pcap?.endsWith('.pcapng'))).toBe(true);
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
