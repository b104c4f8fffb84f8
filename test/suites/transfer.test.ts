/**
 * The transfer suite, run as a user runs it (`sipwright run`), on an Asterisk started here and described in a
 * target file, and on the same Asterisk with transfers turned off (allow_transfer = no): the blind transfer
 * passes on the first; on the second it fails, naming the REFER's answer, while a plain call through the same
 * PBX (the calls suite's hold test) still passes beside it.
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
const HOLD = /hold with sendonly then resume: the PBX answers recvonly/;

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
      const files = [writeAsteriskTarget(dir, good, 'good-pbx', []), writeAsteriskTarget(dir, off, 'broken-transfers-off', [])];
      const r = runSuite(['transfer', 'calls'], join(dir, 'run'), [...targets(files), '--grep', `${BLIND.source}|${HOLD.source}`]);
      const mine = onTarget(r.tests, 'good-pbx').filter((t) => BLIND.test(t.name) || HOLD.test(t.name));
      expect(notPassed(mine)).toEqual([]);
      expect(mine.length).toBe(2);
      expectControl(r.tests, 'broken-transfers-off', [BLIND], HOLD);
      expect(onTarget(r.tests, 'broken-transfers-off').find((t) => BLIND.test(t.name))?.failureMessage).toMatch(/REFER to be answered 202, it got (403|405|501|603)/);
      expect(r.code).toBe(1);
    } finally {
      await Promise.all([good.stop(), off.stop()]);
    }
  }, RUN_LIMIT);
});
