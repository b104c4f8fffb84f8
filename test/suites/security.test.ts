/**
 * The security suite's authentication tests, run as a user runs them (`sipwright run`), on a Kamailio started
 * here that authenticates as a proxy (407 to its users' INVITE, MESSAGE, SUBSCRIBE, REFER, PUBLISH, and to
 * their re-INVITEs and BYEs in a dialog; nonces that go stale after 4 s), described in a target file, and on its broken twin that challenges INVITE with 401
 * as a registrar would (drivers/kamailio/defects.ts, proxy-challenge-401): the suite passes on the good one and
 * fails the INVITE challenge test on the broken one, which still passes the REGISTER test beside it. The SRTP
 * tests of the suite have their own file (security-srtp.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { ACCOUNTS, expectControl, grep, notPassed, onTarget, RUN_LIMIT, runSuite, startAll, targets, writeTarget } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

const AUTHENTICATION = /Authentication \(RFC 3261 §22\)/;
const INVITE_CHALLENGE = /INVITE is challenged as its role/;
const REGISTER_CHALLENGE = /REGISTER is challenged as a registrar/;

d('security suite, authentication, through `sipwright run`', () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-security-'));
    block = claimAddressBlock(234);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  function proxy(o: { proxyAuth: boolean; defect?: 'proxy-challenge-401' }): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withRegistrar({ minExpires: 60 }).withT1(100).withNonceLifetime(4).withProxyAuth(o.proxyAuth, { inDialog: true });
    if (o.defect) k.withDefects(o.defect);
    return k.start();
  }

  test('passes on a proxy that challenges with 407, and the proxy that challenges INVITE with 401 fails the INVITE test', async () => {
    const [good, broken] = await startAll([proxy({ proxyAuth: true }), proxy({ proxyAuth: false, defect: 'proxy-challenge-401' })]);
    try {
      const files = [
        writeTarget(dir, good, 'good-proxy', true, 'registrar, proxy', ['auth: { challenges: [REGISTER, INVITE, MESSAGE, SUBSCRIBE, REFER, PUBLISH], nonceLifetime: 4, inDialog: [INVITE, BYE] }']),
        writeTarget(dir, broken, 'broken-proxy-challenge-401', true, 'registrar, proxy', ['auth: { challenges: [REGISTER, INVITE] }']),
      ];
      const r = runSuite('security', join(dir, 'run'), [...targets(files), ...grep([AUTHENTICATION])]);
      // A file whose roles a named target lacks still reports its tests, skipped: the SRTP tests (a PBX's).
      const mine = onTarget(r.tests, 'good-proxy').filter((t) => AUTHENTICATION.test(t.fullName ?? ''));
      // Every authentication test ran and passed on the good proxy but SHA-256, which it does not offer.
      expect(mine.filter((t) => t.status === 'passed').length).toBe(10);
      expect(notPassed(mine)).toEqual([expect.stringMatching(/^skipped: SHA-256 is offered first[^]*declares no SHA-256/)]);
      expectControl(r.tests, 'broken-proxy-challenge-401', [INVITE_CHALLENGE], REGISTER_CHALLENGE);
      const failure = onTarget(r.tests, 'broken-proxy-challenge-401').find((t) => INVITE_CHALLENGE.test(t.name))?.failureMessage ?? '';
      expect(failure).toMatch(/"status": 401/);
      expect(r.code).toBe(1);
    } finally {
      await Promise.all([good.stop(), broken.stop()]);
    }
  }, RUN_LIMIT);
});
