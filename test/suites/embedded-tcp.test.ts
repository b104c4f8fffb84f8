/**
 * Every suite on the embedded lab over TCP (`sipwright run --transport tcp`): what passes over UDP passes over
 * TCP, and what only UDP has (Timer A, a callee that goes silent, SIPp's retransmitted 183) is skipped with
 * the reason. Left out: the forking test whose two 2xx come at once, which alice's SIPp can't take apart when
 * they arrive in one TCP segment (README, "Over TCP").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedUnavailable } from '../../src/lab/embedded.js';
import { loadLabConfig } from '../../src/lab/target.js';
import { which } from '../../src/runtime/native.js';
import { RUN_LIMIT, runSuite } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
const asteriskAway = process.env.CI ? undefined : embeddedUnavailable('embedded:asterisk', loadLabConfig());

const LEFT_OUT = /Two contacts answer at once/;
/** Why a test may be skipped over TCP: a declaration of its target, or what only UDP has. */
const SKIPS = [/^over TCP /, /does not declare the role/, /answers too brief an expiry with 423/, /raises too brief an expiry to its minimum/, /reliableRetransmitFromT1: 2/];

d('every suite on the embedded lab over TCP', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-embedded-tcp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('passes, skipping with the reason only what a target declares or what only UDP has', () => {
    const r = runSuite([], join(dir, 'run'), ['--transport', 'tcp', '--grep', `^(?!.*${LEFT_OUT.source})`]);
    const kept = r.tests.filter((t) => !LEFT_OUT.test(t.fullName ?? t.name) && !(asteriskAway && t.target === 'embedded:asterisk'));
    expect(kept.filter((t) => t.status === 'failed').map((t) => `${t.target}: ${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
    expect(kept.filter((t) => t.status === 'skipped' && !SKIPS.some((re) => re.test(t.skipReason ?? ''))).map((t) => `${t.target}: ${t.name}: ${t.skipReason}`)).toEqual([]);
    // Over TCP: no Timer A, no silent callee, no SIPp copies of a 183; nothing else is TCP's to skip.
    expect(kept.filter((t) => /^over TCP /.test(t.skipReason ?? '')).length).toBe(3);
    expect(kept.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(asteriskAway ? 40 : 70);
    expect(r.code).toBe(0);
  }, RUN_LIMIT);
});
