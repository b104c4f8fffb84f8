/**
 * The routing suite's number translation, run as a user runs it (`sipwright run`), on a Kamailio started here
 * with a dial plan, described in a target file with its `numbers:`, and on its broken twin whose dial plan forgets
 * the 00 form of its international numbers (drivers/kamailio/defects.ts, numbers-forget-00): the suite passes on
 * the good one, and on the broken one exactly the 00 tests fail (404), while the + form beside them passes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { ACCOUNTS, expectControl, notPassed, onTarget, RUN_LIMIT, runSuite, startAll, targets, writeTarget } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

const NUMBERS = { '200': ACCOUNTS[1].user, '+4940200': ACCOUNTS[1].user, '004940200': ACCOUNTS[1].user };
const DIALS_00 = /^dialling 004940200 reaches/;
const DIALS_PLUS = /^dialling \+4940200 reaches/;

d('routing suite, number translation, through `sipwright run`', () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-routing-'));
    block = claimAddressBlock(237);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  function proxy(defect?: 'numbers-forget-00'): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withRegistrar({ minExpires: 60 }).withT1(100).withNumbers(NUMBERS);
    if (defect) k.withDefects(defect);
    return k.start();
  }

  test('passes on a proxy whose dial plan has every form; the one that forgets the 00 form fails that test alone', async () => {
    const [good, broken] = await startAll([proxy(), proxy('numbers-forget-00')]);
    try {
      const numbers = `numbers: { ${Object.entries(NUMBERS).map(([n, u]) => `"${n}": ${u}`).join(', ')} }`;
      const files = [writeTarget(dir, good, 'good-dialplan', true, 'registrar, proxy', [numbers]), writeTarget(dir, broken, 'broken-numbers-forget-00', true, 'registrar, proxy', [numbers])];
      const r = runSuite('routing', join(dir, 'run'), targets(files));
      // The prefix routing test needs proxy.peer.prefix, which these files leave out (the embedded lab runs it).
      const PREFIX = /the other domain's prefix/;
      for (const t of onTarget(r.tests, 'good-dialplan').filter((x) => PREFIX.test(x.name))) expect(t).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/declares no prefix for the other domain/) });
      const mine = onTarget(r.tests, 'good-dialplan').filter((t) => !PREFIX.test(t.name));
      expect(notPassed(mine)).toEqual([]);
      // Each form, the unknown number and the incomplete one.
      expect(mine.length).toBe(Object.keys(NUMBERS).length + 2);
      expectControl(r.tests, 'broken-numbers-forget-00', [DIALS_00], DIALS_PLUS);
      expect(onTarget(r.tests, 'broken-numbers-forget-00').find((t) => DIALS_00.test(t.name))?.failureMessage).toMatch(/404/);
      expect(r.code).toBe(1);
    } finally {
      await Promise.all([good.stop(), broken.stop()]);
    }
  }, RUN_LIMIT);
});
