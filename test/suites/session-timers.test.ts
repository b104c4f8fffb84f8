/**
 * The session-timers suite through `sipwright run` (its run on the embedded lab is in embedded.test.ts): it
 * passes on a Kamailio proxy described in a target file, skipping the PBX tests with the reason, and fails,
 * naming the test, on a proxy that strips Session-Expires and on an Asterisk whose session timers are off
 * while its target file declares them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk } from '../../drivers/asterisk/index.js';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { rtpRange } from '../../src/lab/started-target.js';
import { which } from '../../src/runtime/native.js';
import { asteriskUnavailable, ACCOUNTS, grep, notPassed, onTarget, RUN_LIMIT, runSuite, statusOf, targets, writeTarget, type SummaryTest, startAll } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
const asteriskMissing = asteriskUnavailable('the session-timers tests on Asterisk', canRun ? undefined : 'needs root, sipp, kamailio and tcpdump');
const withAsterisk = asteriskMissing ? test.skip : test;

const SUITE = 'session-timers';
/** Tests whose full name (target, describe block, title) matches: the summary's `name` is the title alone. */
const named = (tests: SummaryTest[], re: RegExp) => tests.filter((t) => re.test((t as SummaryTest & { fullName?: string }).fullName ?? ''));
const PROXY_TESTS = /Session timers through a proxy/;
const PBX_TESTS = /Session timers on a PBX/;
const ANSWERS = /the PBX answers a timer offer with Session-Expires and the refresher/;
const ENDS = /the PBX ends the session with a BYE before it expires/;
const CARRIES = /the proxy carries Supported: timer, Session-Expires and Min-SE to the UAS/;

d('session-timers suite through `sipwright run`', () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-session-timers-'));
    block = claimAddressBlock(231);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startProxy(defect?: string): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withT1(100);
    if (defect) k.withDefects(kamailioDefect(defect));
    return k.start();
  }

  test('passes on a Kamailio proxy in a target file, skipping the PBX tests for the role, and fails on a proxy that strips Session-Expires, naming the test', async () => {
    const [k, stripping] = await startAll([startProxy(), startProxy('strips-session-expires')]);
    try {
      const r = runSuite(SUITE, join(dir, 'proxies'), targets([writeTarget(dir, k, 'my-proxy'), writeTarget(dir, stripping, 'broken-strips-session-expires')]));
      expect(r.code).toBe(1);
      const mine = onTarget(r.tests, 'my-proxy');
      expect(notPassed(named(mine, PROXY_TESTS))).toEqual([]);
      expect(named(mine, PROXY_TESTS).length).toBeGreaterThanOrEqual(6);
      const pbx = named(mine, PBX_TESTS);
      expect(pbx.length).toBeGreaterThanOrEqual(7);
      for (const t of pbx) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target my-proxy does not declare the role pbx' });

      // Every proxy test needs the header through, so no neighbour passes here: the test for the defect names it.
      const broken = onTarget(r.tests, 'broken-strips-session-expires');
      expect(statusOf(broken, CARRIES)).toEqual(['failed']);
      expect(broken.find((t) => CARRIES.test(t.name))?.failureMessage).toMatch(/to have a Session-Expires header, it has no Session-Expires header/);
    } finally {
      await Promise.all([k.stop(), stripping.stop()]);
    }
  }, RUN_LIMIT);

  withAsterisk('fails on an Asterisk with session timers off whose target file declares them, naming the test', async () => {
    const a = await new Asterisk(block.allocateHost())
      .withDomain('pbx.test')
      .withAccounts(ACCOUNTS)
      .withT1(100)
      .withRtpPorts(...rtpRange(block))
      .withSessionTimers({ mode: 'no' })
      .start();
    try {
      const file = join(dir, 'timers-off.yaml');
      writeFileSync(file, [
        'name: timers-off',
        `address: ${a.hostPort}`,
        'roles: [registrar, pbx]',
        'domain: pbx.test',
        't1: 100',
        'features: { echo: "600" }',
        'sessionTimers: { minSE: 90 }',
        'accounts:',
        ...ACCOUNTS.map((x) => `  - { user: ${x.user}, password: ${x.password} }`),
        '',
      ].join('\n'));
      // Only the PBX tests (the proxy ones are skipped for the role): the two that must fail, the BYE one waiting 60 s.
      const r = runSuite(SUITE, join(dir, 'timers-off'), ['--target', file, ...grep([ANSWERS, ENDS])]);
      expect(r.code).toBe(1);
      expect(statusOf(r.tests, ANSWERS)).toEqual(['failed']);
      expect(statusOf(r.tests, ENDS)).toEqual(['failed']);
    } finally {
      await a.stop();
    }
  }, RUN_LIMIT);
});
