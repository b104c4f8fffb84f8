/**
 * The transfer suite, run as a user runs it (`sipwright run`), on an Asterisk started here and described in a
 * target file, and on the same Asterisk with transfers turned off (allow_transfer = no): the blind transfer
 * passes on the first; on the second it fails, naming the REFER's answer, while a plain call to its echo extension (the
 * PBX suite's) still passes beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk } from '../../drivers/asterisk/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { rtpRange } from '../../src/lab/started-target.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { asteriskUnavailable, ACCOUNTS, expectControl, notPassed, onTarget, RUN_LIMIT, runSuite, startAll, targets, writeAsteriskTarget } from './support.js';

const why = asteriskUnavailable(
  'the transfer suite tests',
  process.getuid?.() !== 0 ? 'needs root (capture)' : !['sipp', 'tcpdump'].every((c) => which(c)) ? 'needs sipp and tcpdump' : undefined,
);
const d = why ? describe.skip : describe;

const BLIND = /alice REFERs her call with bob to carol/;
/** From the PBX suite: a plain call the broken PBX still answers, so its failure is the transfer alone. */
const ECHO = /echo: the PBX answers with an SDP answer to the offer/;

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
      const files = [writeAsteriskTarget(dir, good, 'good-pbx', lines), writeAsteriskTarget(dir, off, 'broken-transfers-off', lines)];
      const r = runSuite(['transfer', 'pbx'], join(dir, 'run'), [...targets(files), '--grep', `${BLIND.source}|${ECHO.source}`]);
      const mine = onTarget(r.tests, 'good-pbx').filter((t) => BLIND.test(t.name) || ECHO.test(t.name));
      expect(notPassed(mine)).toEqual([]);
      expect(mine.length).toBe(2);
      expectControl(r.tests, 'broken-transfers-off', [BLIND], ECHO);
      expect(onTarget(r.tests, 'broken-transfers-off').find((t) => BLIND.test(t.name))?.failureMessage).toMatch(/REFER to be answered 202, it got (403|405|501|603)/);
      expect(r.code).toBe(1);
    } finally {
      await Promise.all([good.stop(), off.stop()]);
    }
  }, RUN_LIMIT);
});
