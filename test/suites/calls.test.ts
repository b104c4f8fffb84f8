/**
 * The calls suite through `sipwright run`: it passes on the embedded lab (Kamailio, and Asterisk for the PBX's
 * hold tests) and on a Kamailio proxy described in a target file (which routes a second domain to a proxy
 * sipwright runs: proxy.peer), fails on each broken proxy (a named defect: drivers/kamailio/defects.ts), naming
 * the test for the defect, and is skipped, with the reason, where a target lacks the role or the second domain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { embeddedUnavailable } from '../../src/lab/embedded.js';
import { loadLabConfig } from '../../src/lab/target.js';
import { ACCOUNTS, LONG, notPassed, runSuite, statusOf, writeTarget, type SummaryTest } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

/** The hold tests against a PBX (its music-on-hold extension): a proxy target skips them for the role. */
const needsPbx = (t: SummaryTest) => /the PBX answers/.test(t.name);

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
  async function startProxy(defect?: string): Promise<StartedKamailio> {
    const peer = block.allocateHost();
    const k = new Kamailio(block.allocateHost()).withDomain('target.test').withAccounts(ACCOUNTS).withT1(100).withPeer(PEER_DOMAIN, peer);
    if (defect) k.withDefects(kamailioDefect(defect));
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
    // embedded:asterisk runs the PBX's hold tests; only a machine that can't run its container may skip them (never CI).
    const away = process.env.CI ? undefined : embeddedUnavailable('embedded:asterisk', loadLabConfig());
    const onAsterisk = r.tests.filter((t) => t.target === 'embedded:asterisk');
    expect(onAsterisk.filter(needsPbx).length).toBeGreaterThanOrEqual(2);
    expect(notPassed(r.tests.filter((t) => !(away && t.target === 'embedded:asterisk' && t.status === 'skipped')))).toEqual([]);
    expect(r.code).toBe(0);
  }, LONG);

  test('passes on a Kamailio proxy described in a target file, and is skipped where the role is not declared', async () => {
    const k = await startProxy();
    try {
      const r = runSuite('calls', join(dir, 'external'), ['--target', target(k, 'my-proxy')]);
      expect(notPassed(r.tests.filter((t) => !needsPbx(t)))).toEqual([]);
      for (const t of r.tests.filter(needsPbx)) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target my-proxy does not declare the role pbx' });
      expect(r.code).toBe(0);
      const registrarOnly = runSuite('calls', join(dir, 'registrar-only'), ['--target', target(k, 'registrar-only', { roles: 'registrar' })]);
      expect(registrarOnly.tests.length).toBeGreaterThanOrEqual(4);
      for (const t of registrarOnly.tests) expect(t).toMatchObject({ status: 'skipped', skipReason: `target registrar-only does not declare the role ${needsPbx(t) ? 'pbx' : 'proxy'}` });
      expect(registrarOnly.code).toBe(0);
      // Without proxy.peer the suite has no second domain to call: those tests say so, the rest still run.
      const noPeer = runSuite('calls', join(dir, 'no-peer'), ['--target', target(k, 'no-peer', { peer: false })]);
      const interDomain = noPeer.tests.filter((t) => /proxyA/.test(t.name));
      expect(interDomain.length).toBeGreaterThanOrEqual(3);
      for (const t of interDomain) expect(t).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/declares no other domain to route to \(proxy\.peer/) });
      expect(notPassed(noPeer.tests.filter((t) => !/proxyA/.test(t.name) && !needsPbx(t)))).toEqual([]);
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
    ['foreign-uri-rewritten', /the Request-URI crosses proxyA unchanged/],
    ['sdp-direction-stripped', /hold with sendonly then resume with sendrecv/],
    ['sdp-version-frozen', /hold with inactive then resume with sendrecv/],
    ['bye-answered-by-proxy', /the callee crashes after the ACK/],
    ['bye-timeout-early', /the callee crashes after the ACK/],
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
