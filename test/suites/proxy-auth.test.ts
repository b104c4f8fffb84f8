/**
 * Every suite a proxy plays, on an embedded Kamailio that authenticates its own users as real carrier and PBX
 * proxies do (`proxyAuth: true` in the lab config: 407 on their INVITE, RFC 3261 §22.3). The callers call as
 * their accounts, so each call takes the authenticated path: a 407 to the first INVITE, then the INVITE again
 * with Proxy-Authorization, and the rest of the test as on an open proxy. The security suite's authentication
 * tests run here too: this is the embedded proxy that challenges what they ask about.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractSip } from '../../src/capture/extract.js';
import { Trace } from '../../src/trace/trace.js';
import { which } from '../../src/runtime/native.js';
import { notPassed, RUN_LIMIT, runSuite, type SummaryTest } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
const SUITES = ['calls', 'forking', 'prack', 'session-timers', 'security'];

/** What a test's capture shows of the caller's authentication: a 407 to an INVITE, and an INVITE with credentials. */
function authenticated(dir: string, t: SummaryTest): { challenged: boolean; retried: boolean } | undefined {
  if (!t.pcap) return undefined;
  const trace = Trace.fromCapture(extractSip(readFileSync(join(dir, 'report', t.pcap))));
  const invites = trace.find({ method: 'INVITE', retransmissions: false }).filter((m) => m.message.toTag === undefined);
  if (!invites.length) return undefined;
  return {
    challenged: trace.find({ status: 407, cseqMethod: 'INVITE' }).some((r) => r.message.get('Proxy-Authenticate') !== undefined),
    retried: invites.some((m) => m.message.get('Proxy-Authorization') !== undefined),
  };
}

d('the suites on a proxy that challenges its users\' INVITEs with 407', () => {
  let dir: string;
  let r: ReturnType<typeof runSuite>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-proxyauth-'));
    const labConfig = join(dir, 'lab.yaml');
    writeFileSync(labConfig, 'proxyAuth: true\n');
    r = runSuite(SUITES, dir, ['--target', 'embedded:kamailio', '--lab-config', labConfig]);
  }, RUN_LIMIT);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every test passes, as on the open proxy', () => {
    expect(r.tests.length).toBeGreaterThanOrEqual(30);
    // The PBX tests of the same files are skipped: Kamailio plays no PBX.
    // So are the security suite's tests of SHA-256 (it offers MD5 alone), of challenges inside a dialog (that is
    // proxyAuth: in-dialog) and of SIPS (a TLS run's).
    const pbxOnly = (t: SummaryTest) => t.status === 'skipped' && /does not declare the role pbx|declares no SHA-256|declares no challenge of a re-INVITE|^SIPS needs TLS|^the target's TLS is checked in a run over TLS/.test(t.skipReason ?? '');
    expect({ code: r.code, notPassed: notPassed(r.tests.filter((t) => !pbxOnly(t))) }).toEqual({ code: 0, notPassed: [] });
    expect(new Set(r.tests.map((t) => t.suite))).toEqual(new Set(SUITES));
  });

  test('every call in them took the authenticated path: the 407 and the INVITE with Proxy-Authorization are on the wire', () => {
    const calls = r.tests.map((t) => ({ name: `${t.suite} › ${t.name}`, auth: authenticated(dir, t) })).filter((x) => x.auth !== undefined);
    expect(calls.length).toBeGreaterThanOrEqual(25);
    expect(calls.filter((c) => !c.auth!.challenged || !c.auth!.retried).map((c) => c.name)).toEqual([]);
  });
});
