/**
 * The calls suite through `sipwright run`: it passes on the embedded lab and on a Kamailio proxy described in a
 * target file, fails on each broken proxy under fixtures/kamailio/broken/ (naming the test for the defect), and
 * is skipped, with the reason, on a target that does not declare the proxy role.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { ACCOUNTS, LONG, ROOT, runSuite, statusOf, writeTarget } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

d('calls suite through `sipwright run`', () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-calls-'));
    block = claimAddressBlock(201);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startProxy(override?: string): Promise<StartedKamailio> {
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withT1(100);
    if (override) k.withRouteOverride(join(ROOT, 'fixtures', 'kamailio', 'broken', `${override}.cfg`));
    return k.start();
  }

  test('passes on the embedded lab', () => {
    const r = runSuite('calls', join(dir, 'embedded'), []);
    expect(r.tests.length).toBeGreaterThanOrEqual(4);
    expect(r.tests.filter((t) => t.status !== 'passed').map((t) => `${t.status}: ${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
    expect(r.code).toBe(0);
  }, LONG);

  test('passes on a Kamailio proxy described in a target file, and is skipped where the role is not declared', async () => {
    const k = await startProxy();
    try {
      const r = runSuite('calls', join(dir, 'external'), ['--target', writeTarget(dir, k, 'my-proxy')]);
      expect(r.tests.filter((t) => t.status !== 'passed').map((t) => `${t.status}: ${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
      expect(r.code).toBe(0);
      const registrarOnly = runSuite('calls', join(dir, 'registrar-only'), ['--target', writeTarget(dir, k, 'registrar-only', true, 'registrar')]);
      expect(registrarOnly.tests.length).toBeGreaterThanOrEqual(4);
      for (const t of registrarOnly.tests) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target registrar-only does not declare the role proxy' });
      expect(registrarOnly.code).toBe(0);
    } finally {
      await k.stop();
    }
  }, LONG);

  test.each([
    ['no-record-route', /the proxy record-routes/],
    ['unknown-user-500', /a call to a user with no binding/],
    ['sdp-mangled', /relays the offer and the answer byte for byte/],
    ['cancel-not-forwarded', /CANCEL before answer: 200 to the CANCEL/],
  ])('fails on the broken proxy %s, naming the test for the defect', async (defect, failing) => {
    const k = await startProxy(defect);
    try {
      const r = runSuite('calls', join(dir, defect), ['--target', writeTarget(dir, k, `broken-${defect}`)]);
      expect(r.code).toBe(1);
      expect(statusOf(r.tests, failing)).toEqual(['failed']);
    } finally {
      await k.stop();
    }
  }, LONG);
});
