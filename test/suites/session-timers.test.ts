/**
 * The session-timers suite through `sipwright run`: it passes on the embedded lab (the proxy tests on
 * embedded:kamailio, the PBX tests on embedded:asterisk) in about the time of its longest wait, since its
 * 45 s and 60 s tests run in the background; it passes on a Kamailio proxy described in a target file and on
 * embedded:asterisk, skipping what the target is not, with the reason; and it fails, naming the test, on a
 * proxy that strips Session-Expires and on an Asterisk whose session timers are off while its target file
 * declares them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk } from '../../drivers/asterisk/index.js';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { rtpRange } from '../../src/lab/started-target.js';
import { which } from '../../src/runtime/native.js';
import { asteriskUnavailable, ACCOUNTS, LONG, notPassed, runSuite, statusOf, writeTarget, type SummaryTest } from './support.js';
import { leakedContainers } from '../support/containers.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
const asteriskMissing = asteriskUnavailable('the session-timers tests on Asterisk', canRun ? undefined : 'needs root, sipp, kamailio and tcpdump');
const withAsterisk = asteriskMissing ? test.skip : test;

const SUITE = 'session-timers';
/** Tests whose full name (target, describe block, title) matches: the summary's `name` is the title alone. */
const named = (tests: SummaryTest[], re: RegExp) => tests.filter((t) => re.test((t as SummaryTest & { fullName?: string }).fullName ?? ''));
const PROXY_TESTS = /Session timers through a proxy/;
const PBX_TESTS = /Session timers on a PBX/;

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

  test('passes on the embedded lab, the proxy tests on embedded:kamailio and the PBX tests on embedded:asterisk, in about the time of its longest wait', () => {
    const started = Date.now();
    const r = runSuite(SUITE, join(dir, 'embedded'), []);
    const seconds = (Date.now() - started) / 1000;
    expect(named(r.tests, PROXY_TESTS).length).toBeGreaterThanOrEqual(6);
    expect(named(r.tests, PROXY_TESTS).every((t) => t.target === 'embedded:kamailio')).toBe(true);
    if (asteriskMissing) {
      expect(notPassed(named(r.tests, PROXY_TESTS))).toEqual([]);
    } else {
      expect(named(r.tests, PBX_TESTS).length).toBeGreaterThanOrEqual(7);
      expect(notPassed(r.tests)).toEqual([]);
      expect(r.code).toBe(0);
    }
    // Four waits of 45 to 60 s each, both targets' tests, and a compile: one after another they would take
    // well over 200 s. Run in the background, the 60 s wait and the targets' start-up are about all there is.
    expect({ seconds: Math.round(seconds), under: seconds < 150 }).toEqual({ seconds: Math.round(seconds), under: true });
  }, LONG);

  test('passes on a Kamailio proxy described in a target file, and skips the PBX tests with the reason', async () => {
    const k = await startProxy();
    try {
      const r = runSuite(SUITE, join(dir, 'external'), ['--target', writeTarget(dir, k, 'my-proxy')]);
      expect(notPassed(named(r.tests, PROXY_TESTS))).toEqual([]);
      expect(named(r.tests, PROXY_TESTS).length).toBeGreaterThanOrEqual(6);
      const pbx = named(r.tests, PBX_TESTS);
      expect(pbx.length).toBeGreaterThanOrEqual(7);
      for (const t of pbx) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target my-proxy does not declare the role pbx' });
      expect(r.code).toBe(0);
    } finally {
      await k.stop();
    }
  }, LONG);

  withAsterisk('on embedded:asterisk the PBX tests pass, the proxy tests are skipped with the reason, and no container is left', () => {
    const r = runSuite(SUITE, join(dir, 'asterisk'), ['--target', 'embedded:asterisk']);
    expect(notPassed(named(r.tests, PBX_TESTS))).toEqual([]);
    expect(named(r.tests, PBX_TESTS).length).toBeGreaterThanOrEqual(7);
    for (const t of named(r.tests, PROXY_TESTS)) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target embedded:asterisk does not declare the role proxy' });
    expect(r.code).toBe(0);
    expect(leakedContainers()).toEqual([]);
  }, LONG);

  test('fails on the broken proxy strips-session-expires, naming the test for the defect', async () => {
    const k = await startProxy('strips-session-expires');
    try {
      const r = runSuite(SUITE, join(dir, 'strips-session-expires'), ['--target', writeTarget(dir, k, 'broken-strips-session-expires')]);
      expect(r.code).toBe(1);
      expect(statusOf(r.tests, /the proxy carries Supported: timer, Session-Expires and Min-SE to the UAS/)).toEqual(['failed']);
      expect(r.tests.find((t) => /the proxy carries Supported: timer/.test(t.name))?.failureMessage).toMatch(/to have a Session-Expires header, it has no Session-Expires header/);
    } finally {
      await k.stop();
    }
  }, LONG);

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
      const r = runSuite(SUITE, join(dir, 'timers-off'), ['--target', file]);
      expect(r.code).toBe(1);
      expect(statusOf(r.tests, /the PBX answers a timer offer with Session-Expires and the refresher/)).toEqual(['failed']);
      expect(statusOf(r.tests, /the PBX ends the session with a BYE before it expires/)).toEqual(['failed']);
    } finally {
      await a.stop();
    }
  }, LONG);
});
