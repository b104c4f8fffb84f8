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

  const PEER_DOMAIN = 'other.test';
  const peers = new Map<StartedKamailio, string>();

  /**
   * A proxy for target.test that routes other.test to an address of the block, where sipwright runs that
   * domain's proxy once the target file declares it (proxy.peer).
   */
  async function startProxy(override?: string): Promise<StartedKamailio> {
    const peer = block.allocateHost();
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withT1(100).withPeer(PEER_DOMAIN, peer);
    if (override) k.withRouteOverride(join(ROOT, 'fixtures', 'kamailio', 'broken', `${override}.cfg`));
    const started = await k.start();
    peers.set(started, `${peer}:5060`);
    return started;
  }

  /** The target file for a proxy from startProxy: its T1, and the other domain it routes. */
  function target(k: StartedKamailio, name: string, o: { roles?: string; peer?: boolean } = {}): string {
    const extra = ['t1: 100', ...(o.peer === false ? [] : [`proxy: { peer: { domain: ${PEER_DOMAIN}, address: "${peers.get(k)}" } }`])];
    return writeTarget(dir, k, name, true, o.roles ?? 'registrar, proxy', extra);
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
      const r = runSuite('calls', join(dir, 'external'), ['--target', target(k, 'my-proxy')]);
      expect(r.tests.filter((t) => t.status !== 'passed').map((t) => `${t.status}: ${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
      expect(r.code).toBe(0);
      const registrarOnly = runSuite('calls', join(dir, 'registrar-only'), ['--target', target(k, 'registrar-only', { roles: 'registrar' })]);
      expect(registrarOnly.tests.length).toBeGreaterThanOrEqual(4);
      for (const t of registrarOnly.tests) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target registrar-only does not declare the role proxy' });
      expect(registrarOnly.code).toBe(0);
      // Without proxy.peer the suite has no second domain to call: those tests say so, the rest still run.
      const noPeer = runSuite('calls', join(dir, 'no-peer'), ['--target', target(k, 'no-peer', { peer: false })]);
      const interDomain = noPeer.tests.filter((t) => /proxyA/.test(t.name));
      expect(interDomain.length).toBeGreaterThanOrEqual(3);
      for (const t of interDomain) expect(t).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/declares no other domain to route to \(proxy\.peer/) });
      expect(noPeer.tests.filter((t) => !/proxyA/.test(t.name) && t.status !== 'passed').map((t) => `${t.status}: ${t.name}`)).toEqual([]);
    } finally {
      await k.stop();
    }
  }, LONG);

  test.each([
    ['no-record-route', /the proxy record-routes/],
    ['unknown-user-500', /a call to a user with no binding/],
    ['sdp-mangled', /relays the offer and the answer byte for byte/],
    ['cancel-not-forwarded', /CANCEL before answer: 200 to the CANCEL/],
    ['foreign-not-record-routed', /both proxies record-route/],
  ])('fails on the broken proxy %s, naming the test for the defect', async (defect, failing) => {
    const k = await startProxy(defect);
    try {
      const r = runSuite('calls', join(dir, defect), ['--target', target(k, `broken-${defect}`)]);
      expect(r.code).toBe(1);
      expect(statusOf(r.tests, failing)).toEqual(['failed']);
    } finally {
      await k.stop();
    }
  }, LONG);
});
