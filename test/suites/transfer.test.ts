/**
 * The transfer suite, run as a user runs it (`sipwright run`):
 * - on an Asterisk started here and described in a target file, and on the same Asterisk with transfers turned
 *   off (allow_transfer = no): the blind transfer passes on the first; on the second it fails, naming the
 *   REFER's answer, while a plain call to its echo extension (the PBX suite's) still passes beside it;
 * - on a Kamailio proxy, with a real phone (baresip) as the transferee, and on its broken twins
 *   (drivers/kamailio/defects.ts): one that answers an in-dialog REFER 403, one that drops NOTIFYs, one that
 *   strips Referred-By. Each fails the blind transfer, saying why, while the basic call beside it passes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk } from '../../drivers/asterisk/index.js';
import { Kamailio, type KamailioDefect } from '../../drivers/kamailio/index.js';
import { phoneUnavailable } from '../../src/lab/embedded.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { rtpRange } from '../../src/lab/started-target.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { asteriskUnavailable, ACCOUNTS, expectControl, notPassed, onTarget, RUN_LIMIT, runSuite, startAll, targets, writeAsteriskTarget, writeTarget } from './support.js';

const why = asteriskUnavailable(
  'the transfer suite tests',
  process.getuid?.() !== 0 ? 'needs root (capture)' : !['sipp', 'tcpdump'].every((c) => which(c)) ? 'needs sipp and tcpdump' : undefined,
);
const d = why ? describe.skip : describe;

const BLIND = /alice REFERs her call with bob to carol/;
/** From the PBX suite: a plain call the broken PBX still answers, so its failure is the transfer alone. */
const ECHO = /echo: the PBX answers with an SDP answer to the offer/;
const REFUSES = /a PBX that takes no transfers refuses the REFER/;

d(`transfer suite on Asterisk through \`sipwright run\` (${why ?? imageTag('asterisk')})`, () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-transfer-'));
    block = claimAddressBlock(238);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  const pbx = (transfers: boolean) =>
    new Asterisk(block.allocateHost()).withDomain('pbx.test').withAccounts(ACCOUNTS).withT1(100).withRtpPorts(...rtpRange(block)).withTransfers(transfers).start();

  test('passes on a PBX that transfers; the one with transfers off fails the blind transfer, naming the REFER\'s answer', async () => {
    const [good, off] = await startAll([pbx(true), pbx(false)]);
    try {
      // carol, the transfer target, is not qualified here (no registrar.qualify).
      const lines = ['features: { echo: "600" }'];
      // The same PBX, declared for what it is: one that takes no transfers.
      const declared = writeAsteriskTarget(dir, off, 'declared-no-transfers', [...lines, 'pbx: { transfers: false }']);
      const files = [writeAsteriskTarget(dir, good, 'good-pbx', lines), writeAsteriskTarget(dir, off, 'broken-transfers-off', lines), declared];
      const r = runSuite(['transfer', 'pbx'], join(dir, 'run'), [...targets(files), '--grep', `${BLIND.source}|${ECHO.source}|${REFUSES.source}`]);
      const mine = onTarget(r.tests, 'good-pbx').filter((t) => BLIND.test(t.name) || ECHO.test(t.name));
      expect(notPassed(mine)).toEqual([]);
      expect(mine.length).toBe(2);
      expectControl(r.tests, 'broken-transfers-off', [BLIND], ECHO);
      expect(onTarget(r.tests, 'broken-transfers-off').find((t) => BLIND.test(t.name))?.failureMessage).toMatch(/REFER to be answered 202, it got (403|405|501|603)/);
      // Declared so, the same PBX passes the refusal test and skips the transfer with the reason.
      const mineOff = onTarget(r.tests, 'declared-no-transfers');
      expect(mineOff.find((t) => REFUSES.test(t.name))?.status).toBe('passed');
      expect(mineOff.find((t) => BLIND.test(t.name))).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/declares that it takes no transfers/) });
      // On a PBX that takes transfers, the refusal test is skipped with its reason.
      expect(onTarget(r.tests, 'good-pbx').find((t) => REFUSES.test(t.name))).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/takes transfers/) });
      expect(r.code).toBe(1);
    } finally {
      await Promise.all([good.stop(), off.stop()]);
    }
  }, RUN_LIMIT);
});

const noPhone = process.getuid?.() !== 0 || !['sipp', 'tcpdump', 'kamailio'].every((c) => which(c)) ? 'needs root, sipp, tcpdump and kamailio' : phoneUnavailable();
if (noPhone && process.env.CI) throw new Error(`the transfer suite's proxy tests can't run in CI: ${noPhone}`);
const withPhone = noPhone ? describe.skip : describe;

const THROUGH_PROXY = /bob REFERs alice to carol: Refer-To and Referred-By reach alice/;
const BASIC_CALL = /INVITE, 100, 180, 200, ACK, BYE, 200 cross the proxy in both directions/;
/** Each broken proxy, and what its failure says. */
const BROKEN: Array<[KamailioDefect, RegExp]> = [
  ['refer-rejected', /REFER to be answered 202, it got 403/],
  ['drops-notify', /no NOTIFY reached bob/],
  ['strips-referred-by', /Referred-By/],
];

withPhone(`transfer suite on a Kamailio proxy through \`sipwright run\`, a baresip phone the transferee (${noPhone ?? imageTag('baresip')})`, () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-transfer-proxy-'));
    block = claimAddressBlock(239);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  const proxy = (defect?: KamailioDefect) => {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withRegistrar({ minExpires: 60 }).withT1(100);
    if (defect) k.withDefects(defect);
    return k.start();
  };

  test('passes on a proxy that routes REFER and NOTIFY in the dialog; each broken one fails the transfer, saying why, and passes the basic call', async () => {
    const [good, ...broken] = await startAll([proxy(), ...BROKEN.map(([d]) => proxy(d))]);
    try {
      const files = [writeTarget(dir, good, 'good-proxy'), ...broken.map((k, i) => writeTarget(dir, k, `broken-${BROKEN[i][0]}`))];
      const r = runSuite(['transfer', 'calls'], join(dir, 'run'), [...targets(files), '--grep', `${THROUGH_PROXY.source}|${BASIC_CALL.source}`]);
      const mine = onTarget(r.tests, 'good-proxy').filter((t) => THROUGH_PROXY.test(t.name) || BASIC_CALL.test(t.name));
      expect(notPassed(mine)).toEqual([]);
      expect(mine.length).toBe(2);
      for (const [defect, why] of BROKEN) {
        expectControl(r.tests, `broken-${defect}`, [THROUGH_PROXY], BASIC_CALL);
        expect({ defect, failure: onTarget(r.tests, `broken-${defect}`).find((t) => THROUGH_PROXY.test(t.name))?.failureMessage ?? '' }).toEqual({ defect, failure: expect.stringMatching(why) });
      }
      expect(r.code).toBe(1);
    } finally {
      await Promise.all([good, ...broken].map((k) => k.stop()));
    }
  }, RUN_LIMIT);
});
