/**
 * The prack suite through `sipwright run`: it passes on the embedded lab (the proxy tests on Kamailio, the PBX
 * tests on Asterisk), on a Kamailio proxy and on an Asterisk described in target files, and fails, naming the
 * test, on a proxy that strips Require, on one that drops PRACK, on an Asterisk with 100rel off, and on an
 * Asterisk whose late first retransmission (2·T1) its target file does not declare.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk, type StartedAsterisk } from '../../drivers/asterisk/index.js';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { embeddedUnavailable } from '../../src/lab/embedded.js';
import { rtpRange } from '../../src/lab/started-target.js';
import { loadLabConfig } from '../../src/lab/target.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { asteriskUnavailable, ACCOUNTS, LONG, notPassed, runSuite, statusOf, writeTarget, type SummaryTest } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const asteriskWhy = asteriskUnavailable("the prack suite's Asterisk tests", canRun ? undefined : 'needs root, sipp, kamailio and tcpdump');

/** The tests for a PBX (its own reliable provisionals); every other test is for a proxy. */
const onPbx = (t: SummaryTest) => /\bthe PBX\b/.test(t.name);
const RETRANSMIT = /the PBX retransmits its unacknowledged reliable provisional/;
const DECLARED_LATE = /declares that it first retransmits an un-PRACKed reliable provisional after 2·T1 \(pbx\.reliableRetransmitFromT1: 2\)/;

let dir: string;
let block: AddressBlock;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwright-prack-'));
  block = claimAddressBlock(221);
});
afterAll(() => {
  block.release();
  rmSync(dir, { recursive: true, force: true });
});

(canRun ? describe : describe.skip)('prack suite through `sipwright run`: proxies', () => {
  async function startProxy(defect?: string): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withT1(100);
    if (defect) k.withDefects(kamailioDefect(defect));
    return k.start();
  }

  const target = (k: StartedKamailio, name: string) => writeTarget(dir, k, name, true, 'registrar, proxy', ['t1: 100']);

  test('passes on the embedded lab: the proxy tests on Kamailio, the PBX tests on Asterisk', () => {
    const r = runSuite('prack', join(dir, 'embedded'), []);
    const onKamailio = r.tests.filter((t) => t.target === 'embedded:kamailio');
    expect(onKamailio.length).toBeGreaterThanOrEqual(5);
    expect(notPassed(onKamailio)).toEqual([]);
    // Only a machine that can't run Asterisk's container may skip its tests (never CI), and says why.
    const away = process.env.CI ? undefined : embeddedUnavailable('embedded:asterisk', loadLabConfig());
    const onAsterisk = r.tests.filter((t) => t.target === 'embedded:asterisk');
    if (!away) {
      expect(onAsterisk.filter(onPbx).length).toBeGreaterThanOrEqual(3);
      // The one test Asterisk does not run is the retransmission schedule, and its declaration says why.
      expect(notPassed(onAsterisk)).toEqual([expect.stringMatching(new RegExp(`^skipped: ${RETRANSMIT.source}[^]*${DECLARED_LATE.source}`))]);
    }
    expect(r.code).toBe(0);
  }, LONG);

  test('passes on a Kamailio proxy described in a target file; the PBX tests are skipped for the role', async () => {
    const k = await startProxy();
    try {
      const r = runSuite('prack', join(dir, 'external'), ['--target', target(k, 'my-proxy')]);
      expect(r.tests.filter((t) => !onPbx(t)).length).toBeGreaterThanOrEqual(5);
      expect(notPassed(r.tests.filter((t) => !onPbx(t)))).toEqual([]);
      for (const t of r.tests.filter(onPbx)) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target my-proxy does not declare the role pbx' });
      expect(r.code).toBe(0);
    } finally {
      await k.stop();
    }
  }, LONG);

  // Every row has both columns: jest would take a missing last one for a done callback and wait for it.
  test.each([
    ['strips-require', /an INVITE that requires 100rel reaches a UAS without it/],
    ['drops-prack', /a reliable 183 with RSeq and early SDP crosses the proxy/],
  ])('fails on the broken proxy %s, naming the test for the defect', async (defect, failing) => {
    const k = await startProxy(defect);
    try {
      const r = runSuite('prack', join(dir, defect), ['--target', target(k, `broken-${defect}`)]);
      expect(r.code).toBe(1);
      expect(statusOf(r.tests, failing)).toEqual(['failed']);
    } finally {
      await k.stop();
    }
  }, LONG);
});

(asteriskWhy ? describe.skip : describe)(`prack suite through \`sipwright run\`: PBXes (${asteriskWhy ?? imageTag('asterisk')})`, () => {
  function pbx(): Asterisk {
    return new Asterisk(block.allocateHost()).withDomain('pbx.test').withAccounts(ACCOUNTS).withT1(100).withRtpPorts(...rtpRange(block));
  }

  /** A target file for an Asterisk started here; `pbx` lines go under pbx: (none: no pbx: section). */
  function target(a: StartedAsterisk, name: string, pbxCaps: string[]): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, [
      `name: ${name}`,
      `address: ${a.hostPort}`,
      'roles: [registrar, pbx]',
      'domain: pbx.test',
      't1: 100',
      ...(pbxCaps.length ? ['pbx:', ...pbxCaps.map((l) => `  ${l}`)] : []),
      'accounts:',
      ...ACCOUNTS.map((x) => `  - { user: ${x.user}, password: ${x.password} }`),
      '',
    ].join('\n'));
    return file;
  }

  test('passes on an Asterisk in a target file that declares its first retransmission at 2·T1; undeclared, the retransmission test fails and says so', async () => {
    const a = await pbx().start();
    try {
      const declared = runSuite('prack', join(dir, 'my-pbx'), ['--target', target(a, 'my-pbx', ['reliableRetransmitFromT1: 2'])]);
      expect(notPassed(declared.tests.filter(onPbx))).toEqual([expect.stringMatching(new RegExp(`^skipped: ${RETRANSMIT.source}`))]);
      expect(declared.tests.filter(onPbx).length).toBeGreaterThanOrEqual(3);
      for (const t of declared.tests.filter((x) => !onPbx(x))) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target my-pbx does not declare the role proxy' });
      expect(declared.code).toBe(0);

      const undeclared = runSuite('prack', join(dir, 'undeclared'), ['--target', target(a, 'undeclared', [])]);
      expect(undeclared.code).toBe(1);
      expect(statusOf(undeclared.tests, RETRANSMIT)).toEqual(['failed']);
      // The verdict gives the gaps measured, the RFC's, and the declaration for a PBX that starts late on purpose.
      expect(undeclared.tests.find((t) => RETRANSMIT.test(t.name))?.failureMessage).toMatch(/RFC 3262 §3 wants 100, 200[^]*pbx\.reliableRetransmitFromT1/);
      expect(notPassed(undeclared.tests.filter((t) => onPbx(t) && !RETRANSMIT.test(t.name)))).toEqual([]);
    } finally {
      await a.stop();
    }
  }, LONG);

  test('fails on an Asterisk with 100rel off, naming the reliable provisional test', async () => {
    const a = await pbx().with100rel('no').start();
    try {
      const r = runSuite('prack', join(dir, 'no-100rel'), ['--target', target(a, 'broken-no-100rel', ['reliableRetransmitFromT1: 2'])]);
      expect(r.code).toBe(1);
      expect(statusOf(r.tests, /the PBX sends alice a reliable provisional/)).toEqual(['failed']);
    } finally {
      await a.stop();
    }
  }, LONG);
});
