/**
 * The forking suite through `sipwright run` (its run on the embedded lab is in embedded.test.ts): it passes
 * on a Kamailio proxy described in a target file; its sequential tests are skipped, with the reason, on a
 * proxy that does not declare proxy.sequentialForking, and the whole suite on a target without the proxy role
 * (embedded:asterisk among them). Each broken proxy fails the tests for its defect, by name: one that does not
 * fork, one that forks in parallel when asked for a sequential search, and one whose T1 is not the one its
 * target file declares.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { embeddedUnavailable } from '../../src/lab/embedded.js';
import { loadLabConfig } from '../../src/lab/target.js';
import { which } from '../../src/runtime/native.js';
import { ACCOUNTS, notPassed, onTarget, RUN_LIMIT, runSuite, statusOf, targets, writeTarget, startAll } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
// CI has the Asterisk image; elsewhere a machine without it skips that one check rather than building it.
const asteriskAway = process.env.CI ? undefined : embeddedUnavailable('embedded:asterisk', loadLabConfig());

const SEQUENTIAL = /highest-q contact/;
const TESTS = 9;

d('forking suite through `sipwright run`', () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-forking-'));
    block = claimAddressBlock(211);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startProxy(o: { defect?: string; t1?: number } = {}): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withT1(o.t1 ?? 100);
    if (o.defect) k.withDefects(kamailioDefect(o.defect));
    return k.start();
  }

  /** Its target file: T1 100 ms (whatever the proxy really runs), and sequential forking unless told otherwise. */
  function target(k: StartedKamailio, name: string, o: { roles?: string; sequential?: boolean } = {}): string {
    const extra = ['t1: 100', ...(o.sequential === false ? [] : ['proxy: { sequentialForking: true }'])];
    return writeTarget(dir, k, name, true, o.roles ?? 'registrar, proxy', extra);
  }

  test('passes on a Kamailio proxy described in a target file; skips the sequential tests without proxy.sequentialForking, and everything without the proxy role', async () => {
    const k = await startProxy();
    try {
      // One run: the same proxy described three ways, and embedded:asterisk (a PBX: no proxy role).
      const files = [target(k, 'my-proxy'), target(k, 'parallel-only', { sequential: false }), target(k, 'registrar-only', { roles: 'registrar' })];
      const r = runSuite('forking', join(dir, 'external'), [...targets(files), ...(asteriskAway ? [] : ['--target', 'embedded:asterisk'])]);
      // What failed, with its message, before the exit code: a bare "expected 0, received 1" says nothing.
      expect({ code: r.code, failed: notPassed(r.tests.filter((t) => t.status === 'failed')) }).toEqual({ code: 0, failed: [] });
      const mine = onTarget(r.tests, 'my-proxy');
      expect(mine.length).toBeGreaterThanOrEqual(TESTS);
      expect(notPassed(mine)).toEqual([]);

      const parallelOnly = onTarget(r.tests, 'parallel-only');
      const sequential = parallelOnly.filter((t) => SEQUENTIAL.test(t.name));
      expect(sequential.length).toBe(3);
      for (const t of sequential) expect(t).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/^target parallel-only does not declare proxy\.sequentialForking/) });
      expect(notPassed(parallelOnly.filter((t) => !SEQUENTIAL.test(t.name)))).toEqual([]);

      for (const [name, why] of [['registrar-only', 'target registrar-only does not declare the role proxy'], ...(asteriskAway ? [] : [['embedded:asterisk', 'target embedded:asterisk does not declare the role proxy']])]) {
        const skipped = onTarget(r.tests, name);
        expect(skipped.length).toBeGreaterThanOrEqual(TESTS);
        for (const t of skipped) expect(t).toMatchObject({ status: 'skipped', skipReason: why });
      }
    } finally {
      await k.stop();
    }
  }, RUN_LIMIT);

  const PARALLEL = [/forks the INVITE to every contact/, /the first 2xx wins/, /each contact's 180 reaches alice/, /forwards both 2xx/];
  const TIMERS = [/retransmits its INVITE on Timer A/, /waits out the silent branch's Timer B/, /given up at its Timer B/];

  // Each row: the defect, the tests it must fail (by name; every other test must still pass), and for a proxy
  // broken by its timers rather than a route, the T1 it really runs. Nearly every test is some defect's, so
  // the three run the whole suite, one after the other, in one run.
  const controls: Array<[string, RegExp[], number | undefined]> = [
    // Without branches the timer tests' silent contact gets no INVITE either, and a sequential search has
    // nothing to move on to; only the 6xx test (one contact tried) is untouched.
    ['no-fork', [...PARALLEL, ...TIMERS, /the highest-q contact is tried first/], undefined],
    ['serial-ignored', [/the highest-q contact is tried first/, /a highest-q contact that never answers/, /a 6xx from the highest-q contact/], undefined],
    // A proxy that really runs T1 = 200 ms while its target file says 100.
    ['slow-t1', TIMERS, 200],
  ];
  test('fails on each broken proxy, in one run, on the tests for its defect and no other', async () => {
    const started = await startAll(controls.map(([defect, , t1]) => startProxy(t1 ? { t1 } : { defect })));
    try {
      const r = runSuite('forking', join(dir, 'broken'), targets(controls.map(([defect], i) => target(started[i], `broken-${defect}`))));
      expect(r.code).toBe(1);
      for (const [defect, failing] of controls) {
        const mine = onTarget(r.tests, `broken-${defect}`);
        for (const re of failing) expect({ defect, test: re.source, status: statusOf(mine, re) }).toEqual({ defect, test: re.source, status: ['failed'] });
        expect({ defect, others: notPassed(mine.filter((t) => !failing.some((re) => re.test(t.name)))) }).toEqual({ defect, others: [] });
      }
    } finally {
      await Promise.all(started.map((k) => k.stop()));
    }
  }, RUN_LIMIT);
});
