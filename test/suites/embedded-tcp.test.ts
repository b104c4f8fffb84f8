/**
 * Every suite on the embedded lab over TCP (`sipwright run --transport tcp`, both embedded targets): what
 * passes over UDP passes over TCP, and what only UDP has (Timer A, a callee that goes silent, SIPp's
 * retransmitted 183) is skipped with the reason. A run here that fails keeps its report in
 * reports/embedded-tcp-failed, captures and endpoint logs included, for the next look.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedUnavailable } from '../../src/lab/embedded.js';
import { loadLabConfig } from '../../src/lab/target.js';
import { which } from '../../src/runtime/native.js';
import { ROOT, RUN_LIMIT, runSuite } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
// CI has the Asterisk image (scripts/test.sh builds it); a machine without it runs the Kamailio alone.
const asteriskAway = process.env.CI ? undefined : embeddedUnavailable('embedded:asterisk', loadLabConfig());

/** Why a test may be skipped over TCP: a declaration of its target, or what only UDP has. */
const SKIPS = [/^over TCP /, /does not declare the role/, /answers too brief an expiry with 423/, /raises too brief an expiry to its minimum/, /reliableRetransmitFromT1: 2/,
  // The security suite's tests of what a target may or may not challenge, and of SHA-256.
  /does not declare that it challenges/, /declares no challenge of a re-INVITE or a BYE/, /declares no SHA-256/, /^SIPS needs TLS/, /^the target's TLS is checked in a run over TLS/, /takes transfers \(pbx\.transfers: false/];

d('every suite on the embedded lab over TCP', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-embedded-tcp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('passes, skipping with the reason only what a target declares or what only UDP has', () => {
    const r = runSuite([], join(dir, 'run'), ['--transport', 'tcp', ...(asteriskAway ? ['--target', 'embedded:kamailio'] : [])]);
    if (r.code !== 0) cpSync(join(dir, 'run'), join(ROOT, 'reports', 'embedded-tcp-failed'), { recursive: true });
    expect(r.tests.filter((t) => t.status === 'failed').map((t) => `${t.target}: ${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
    expect(r.tests.filter((t) => t.status === 'skipped' && !SKIPS.some((re) => re.test(t.skipReason ?? ''))).map((t) => `${t.target}: ${t.name}: ${t.skipReason}`)).toEqual([]);
    // Over TCP, on the proxy: no Timer A, no silent callee, no SIPp copies of a 183, no request too large for
    // UDP; nothing else is TCP's to skip.
    expect(r.tests.filter((t) => t.target === 'embedded:kamailio' && /^over TCP /.test(t.skipReason ?? '')).length).toBe(4);
    expect(r.tests.filter((t) => t.target === 'embedded:kamailio' && t.status === 'passed').length).toBeGreaterThanOrEqual(40);
    if (!asteriskAway) expect(r.tests.filter((t) => t.target === 'embedded:asterisk' && t.status === 'passed').length).toBeGreaterThanOrEqual(30);
    expect(r.code).toBe(0);
  }, RUN_LIMIT);
});
