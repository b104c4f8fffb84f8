/**
 * The calls suite through `sipwright run` (its run on the embedded lab is in embedded.test.ts): it passes on a
 * Kamailio proxy described in a target file (which routes a second domain to a proxy sipwright runs:
 * proxy.peer), is skipped, with the reason, where a target lacks the role or the second domain, and fails on
 * each broken proxy (a named defect: drivers/kamailio/defects.ts), naming the test for the defect. The broken
 * proxies run in one run each group, with only the tests they must fail and a neighbour that must pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { ACCOUNTS, expectControl, grep, notPassed, onTarget, RUN_LIMIT, runSuite, targets, writeTarget, type SummaryTest, startAll } from './support.js';

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

  test('passes on a Kamailio proxy described in a target file, and is skipped where the role or the second domain is not declared', async () => {
    const k = await startProxy();
    try {
      // One run, the three descriptions of the same proxy one after the other.
      const r = runSuite('calls', join(dir, 'external'), targets([target(k, 'my-proxy'), target(k, 'registrar-only', { roles: 'registrar' }), target(k, 'no-peer', { peer: false })]));
      expect(r.code).toBe(0);
      const mine = onTarget(r.tests, 'my-proxy');
      expect(notPassed(mine.filter((t) => !needsPbx(t)))).toEqual([]);
      for (const t of mine.filter(needsPbx)) expect(t).toMatchObject({ status: 'skipped', skipReason: 'target my-proxy does not declare the role pbx' });
      const registrarOnly = onTarget(r.tests, 'registrar-only');
      expect(registrarOnly.length).toBeGreaterThanOrEqual(4);
      for (const t of registrarOnly) expect(t).toMatchObject({ status: 'skipped', skipReason: `target registrar-only does not declare the role ${needsPbx(t) ? 'pbx' : 'proxy'}` });
      // Without proxy.peer the suite has no second domain to call: those tests say so, the rest still run.
      const noPeer = onTarget(r.tests, 'no-peer');
      const interDomain = noPeer.filter((t) => /proxyA/.test(t.name));
      expect(interDomain.length).toBeGreaterThanOrEqual(3);
      for (const t of interDomain) expect(t).toMatchObject({ status: 'skipped', skipReason: expect.stringMatching(/declares no other domain to route to \(proxy\.peer/) });
      expect(notPassed(noPeer.filter((t) => !/proxyA/.test(t.name) && !needsPbx(t)))).toEqual([]);
    } finally {
      await k.stop();
    }
  }, RUN_LIMIT);

  /** Runs on a broken proxy and must pass there: a defect breaks its own tests, not every call. */
  const NEIGHBOUR = /INVITE, 100, 180, 200, ACK, BYE, 200 cross the proxy in both directions/;
  /** The neighbour where the basic call is the defect's own (its BYE follows the record-route). */
  const UNKNOWN_USER = /a call to a user with no binding/;
  // Each row: the defect, the tests it must fail, and its neighbour. The crash test waits out Timer F: its
  // controls run apart.
  const groups: Array<Array<[string, RegExp[], RegExp]>> = [
    [
      ['no-record-route', [/the proxy record-routes/], UNKNOWN_USER],
      ['unknown-user-500', [UNKNOWN_USER], NEIGHBOUR],
      ['sdp-mangled', [/relays the offer and the answer byte for byte/], NEIGHBOUR],
      ['cancel-not-forwarded', [/CANCEL before answer: 200 to the CANCEL/], NEIGHBOUR],
      ['foreign-not-record-routed', [/both proxies record-route/], NEIGHBOUR],
      ['foreign-uri-rewritten', [/the Request-URI crosses proxyA unchanged/], NEIGHBOUR],
      ['sdp-direction-stripped', [/hold with sendonly then resume with sendrecv/], NEIGHBOUR],
      ['sdp-version-frozen', [/hold with inactive then resume with sendrecv/], NEIGHBOUR],
    ],
    [
      ['bye-answered-by-proxy', [/the callee crashes after the ACK/], NEIGHBOUR],
      ['bye-timeout-early', [/the callee crashes after the ACK/], NEIGHBOUR],
    ],
  ];
  test.each(groups.map((g) => [g.map(([d]) => d).join(', '), g] as const))('fails on each broken proxy (%s), in one run, naming the tests for its defect', async (_, controls) => {
    const started = await startAll(controls.map(([defect]) => startProxy(defect)));
    try {
      const files = controls.map(([defect], i) => target(started[i], `broken-${defect}`));
      const r = runSuite('calls', join(dir, `broken-${controls[0][0]}`), [...targets(files), ...grep(controls.flatMap(([, failing, neighbour]) => [...failing, neighbour]))]);
      expect(r.code).toBe(1);
      for (const [defect, failing, neighbour] of controls) expectControl(r.tests, `broken-${defect}`, failing, neighbour);
    } finally {
      await Promise.all(started.map((k) => k.stop()));
    }
  }, RUN_LIMIT);
});
