/**
 * The forking suite through `sipwright run`: it passes on the embedded lab and on a Kamailio proxy described in
 * a target file; its sequential tests are skipped, with the reason, on a proxy that does not declare
 * proxy.sequentialForking, and the whole suite on a target without the proxy role (embedded:asterisk among
 * them). Each broken proxy fails the tests for its defect, by name: one that does not fork, one that forks in
 * parallel when asked for a sequential search, and one whose T1 is not the one its target file declares.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { embeddedUnavailable } from '../../src/lab/embedded.js';
import { loadLabConfig } from '../../src/lab/target.js';
import { which } from '../../src/runtime/native.js';
import { ACCOUNTS, LONG, notPassed, runSuite, statusOf, writeTarget } from './support.js';

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

  test('passes on the embedded lab', () => {
    const r = runSuite('forking', join(dir, 'embedded'), []);
    expect(r.tests.length).toBeGreaterThanOrEqual(TESTS);
    // Only embedded:kamailio plays the proxy role: embedded:asterisk does not run the suite at all.
    expect(new Set(r.tests.map((t) => t.target))).toEqual(new Set(['embedded:kamailio']));
    expect(notPassed(r.tests)).toEqual([]);
    expect(r.code).toBe(0);
  }, LONG);

  test('passes on a Kamailio proxy described in a target file; skips the sequential tests without proxy.sequentialForking, and everything without the proxy role', async () => {
    const k = await startProxy();
    try {
      const r = runSuite('forking', join(dir, 'external'), ['--target', target(k, 'my-proxy')]);
      expect(r.tests.length).toBeGreaterThanOrEqual(TESTS);
      expect(notPassed(r.tests)).toEqual([]);
      expect(r.code).toBe(0);

      const parallelOnly = runSuite('forking', join(dir, 'parallel-only'), ['--target', target(k, 'parallel-only', { sequential: false })]);
      const sequential = parallelOnly.tests.filter((t) => SEQUENTIAL.test(t.name));
      expect(sequential.length).toBe(3);
      for (const t of sequential) expect(t).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/^target parallel-only does not declare proxy\.sequentialForking/) });
      expect(notPassed(parallelOnly.tests.filter((t) => !SEQUENTIAL.test(t.name)))).toEqual([]);
      expect(parallelOnly.code).toBe(0);

      const registrarOnly = runSuite('forking', join(dir, 'registrar-only'), ['--target', target(k, 'registrar-only', { roles: 'registrar' })]);
      expect(registrarOnly.tests.length).toBeGreaterThanOrEqual(TESTS);
      for (const t of registrarOnly.tests) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target registrar-only does not declare the role proxy' });
      expect(registrarOnly.code).toBe(0);
    } finally {
      await k.stop();
    }
  }, LONG);

  (asteriskAway ? test.skip : test)('is skipped with the reason on embedded:asterisk, a PBX without the proxy role', () => {
    const r = runSuite('forking', join(dir, 'asterisk'), ['--target', 'embedded:asterisk']);
    expect(r.tests.length).toBeGreaterThanOrEqual(TESTS);
    for (const t of r.tests) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target embedded:asterisk does not declare the role proxy' });
    expect(r.code).toBe(0);
  }, LONG);

  const PARALLEL = [/forks the INVITE to every contact/, /the first 2xx wins/, /each contact's 180 reaches alice/, /forwards both 2xx/];
  const TIMERS = [/retransmits its INVITE on Timer A/, /waits out the silent branch's Timer B/, /given up at its Timer B/];

  // Each row: the defect, the tests it must fail (by name; every other test must still pass), and for a proxy
  // broken by its timers rather than a route, the T1 it really runs.
  test.each([
    // Without branches the timer tests' silent contact gets no INVITE either, and a sequential search has
    // nothing to move on to; only the 6xx test (one contact tried) is untouched.
    ['no-fork', [...PARALLEL, ...TIMERS, /the highest-q contact is tried first/], undefined],
    ['serial-ignored', [/the highest-q contact is tried first/, /a highest-q contact that never answers/, /a 6xx from the highest-q contact/], undefined],
    // A proxy that really runs T1 = 200 ms while its target file says 100.
    ['slow-t1', TIMERS, 200],
  ] as Array<[string, RegExp[], number | undefined]>)('fails on the broken proxy %s, naming the tests for the defect', async (defect, failing, t1) => {
    const k = await startProxy(t1 ? { t1 } : { defect });
    try {
      const r = runSuite('forking', join(dir, defect), ['--target', target(k, `broken-${defect}`)]);
      expect(r.code).toBe(1);
      for (const re of failing) expect({ test: re.source, status: statusOf(r.tests, re) }).toEqual({ test: re.source, status: ['failed'] });
      expect(notPassed(r.tests.filter((t) => !failing.some((re) => re.test(t.name))))).toEqual([]);
    } finally {
      await k.stop();
    }
  }, LONG);
});
