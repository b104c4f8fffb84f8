/**
 * The prack suite through `sipwright run` (its run on the embedded lab is in embedded.test.ts): it passes on a
 * Kamailio proxy and on an Asterisk described in target files, skipping what a target is not, with the
 * reason, and fails, naming the test, on a proxy that strips Require, on one that drops PRACK, on an Asterisk
 * with 100rel off, and on an Asterisk whose late first retransmission (2·T1) its target file does not declare.
 * The good and the broken targets of each kind run in one run, one after the other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk, type StartedAsterisk } from '../../drivers/asterisk/index.js';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { rtpRange } from '../../src/lab/started-target.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { asteriskUnavailable, ACCOUNTS, expectControl, notPassed, onTarget, RUN_LIMIT, runSuite, targets, writeTarget, type SummaryTest, startAll, writeAsteriskTarget } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const asteriskWhy = asteriskUnavailable("the prack suite's Asterisk tests", canRun ? undefined : 'needs root, sipp, kamailio and tcpdump');

/** The tests for a PBX (its own reliable provisionals); every other test is for a proxy. */
const onPbx = (t: SummaryTest) => /\bthe PBX\b/.test(t.name);
const RETRANSMIT = /the PBX retransmits its unacknowledged reliable provisional/;

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
  const REQUIRE_420 = /an INVITE that requires 100rel reaches a UAS without it/;
  // Each row: the defect, the test it must fail, and a neighbour that must pass: a defect breaks its own test,
  // not every reliable provisional (without PRACK there is no early UPDATE either, but a 420 still crosses).
  const controls: Array<[string, RegExp, RegExp]> = [
    ['strips-require', REQUIRE_420, /UPDATE in the early dialog: after the PRACK/],
    ['drops-prack', /a reliable 183 with RSeq and early SDP crosses the proxy/, REQUIRE_420],
  ];

  test('passes on a Kamailio proxy in a target file, skipping the PBX tests for the role, and fails on each broken proxy, naming the test for its defect', async () => {
    const started = await startAll([startProxy(), ...controls.map(([defect]) => startProxy(defect))]);
    try {
      const files = [target(started[0], 'my-proxy'), ...controls.map(([defect], i) => target(started[i + 1], `broken-${defect}`))];
      const r = runSuite('prack', join(dir, 'proxies'), targets(files));
      expect(r.code).toBe(1);
      const mine = onTarget(r.tests, 'my-proxy');
      expect(mine.filter((t) => !onPbx(t)).length).toBeGreaterThanOrEqual(5);
      expect(notPassed(mine.filter((t) => !onPbx(t)))).toEqual([]);
      for (const t of mine.filter(onPbx)) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target my-proxy does not declare the role pbx' });
      for (const [defect, failing, neighbour] of controls) expectControl(r.tests, `broken-${defect}`, [failing], neighbour);
    } finally {
      await Promise.all(started.map((k) => k.stop()));
    }
  }, RUN_LIMIT);
});

(asteriskWhy ? describe.skip : describe)(`prack suite through \`sipwright run\`: PBXes (${asteriskWhy ?? imageTag('asterisk')})`, () => {
  function pbx(): Asterisk {
    return new Asterisk(block.allocateHost()).withDomain('pbx.test').withAccounts(ACCOUNTS).withT1(100).withRtpPorts(...rtpRange(block));
  }

  /** A target file for an Asterisk started here; `pbx` lines go under pbx: (none: no pbx: section). */
  function target(a: StartedAsterisk, name: string, pbxCaps: string[]): string {
    return writeAsteriskTarget(dir, a, name, pbxCaps.length ? ['pbx:', ...pbxCaps.map((l) => `  ${l}`)] : []);
  }

  test('passes on an Asterisk whose target file declares its first retransmission at 2·T1; undeclared, the retransmission test fails and says so; with 100rel off, the reliable provisional test fails', async () => {
    const [a, no100rel] = await startAll([pbx().start(), pbx().with100rel('no').start()]);
    try {
      const r = runSuite('prack', join(dir, 'pbxes'), targets([
        target(a, 'my-pbx', ['reliableRetransmitFromT1: 2']),
        target(a, 'undeclared', []),
        target(no100rel, 'broken-no-100rel', ['reliableRetransmitFromT1: 2']),
      ]));
      expect(r.code).toBe(1);

      const declared = onTarget(r.tests, 'my-pbx');
      expect(notPassed(declared.filter(onPbx))).toEqual([expect.stringMatching(new RegExp(`^skipped: ${RETRANSMIT.source}`))]);
      expect(declared.filter(onPbx).length).toBeGreaterThanOrEqual(3);
      for (const t of declared.filter((x) => !onPbx(x))) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target my-pbx does not declare the role proxy' });

      // Undeclared, the verdict gives the gaps measured, the RFC's, and the declaration for a PBX that starts late on purpose.
      const undeclared = onTarget(r.tests, 'undeclared');
      expectControl(r.tests, 'undeclared', [RETRANSMIT], /UPDATE in the early dialog: the PBX answers/);
      expect(undeclared.find((t) => RETRANSMIT.test(t.name))?.failureMessage).toMatch(/RFC 3262 §3 wants 100, 200[^]*pbx\.reliableRetransmitFromT1/);
      expect(notPassed(undeclared.filter((t) => onPbx(t) && !RETRANSMIT.test(t.name)))).toEqual([]);

      const offTests = onTarget(r.tests, 'broken-no-100rel');
      expect(offTests.filter((t) => /the PBX sends alice a reliable provisional/.test(t.name)).map((t) => t.status)).toEqual(['failed']);
    } finally {
      await Promise.all([a.stop(), no100rel.stop()]);
    }
  }, RUN_LIMIT);
});
