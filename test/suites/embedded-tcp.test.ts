/**
 * Every suite on the embedded Kamailio over TCP (`sipwright run --transport tcp`): what passes over UDP passes
 * over TCP, and what only UDP has (Timer A, a callee that goes silent, SIPp's retransmitted 183) is skipped with
 * the reason. Left out: the forking test whose two 2xx come at once, which alice's SIPp can't take apart when
 * they arrive in one TCP segment (README, "Over TCP"); and, for now, the embedded Asterisk, whose session
 * refresh over TCP went missing once in a loaded CI run (clean in every run alone): until that is understood,
 * a run here that fails keeps its report in reports/embedded-tcp-failed for the next look.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from '../../src/runtime/native.js';
import { ROOT, RUN_LIMIT, runSuite } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

const LEFT_OUT = /Two contacts answer at once/;
/** Why a test may be skipped over TCP: a declaration of its target, or what only UDP has. */
const SKIPS = [/^over TCP /, /does not declare the role/, /answers too brief an expiry with 423/, /raises too brief an expiry to its minimum/, /reliableRetransmitFromT1: 2/];

d('every suite on the embedded Kamailio over TCP', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-embedded-tcp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('passes, skipping with the reason only what a target declares or what only UDP has', () => {
    const r = runSuite([], join(dir, 'run'), ['--transport', 'tcp', '--target', 'embedded:kamailio', '--grep', `^(?!.*${LEFT_OUT.source})`]);
    if (r.code !== 0) cpSync(join(dir, 'run'), join(ROOT, 'reports', 'embedded-tcp-failed'), { recursive: true });
    const kept = r.tests.filter((t) => !LEFT_OUT.test(t.fullName ?? t.name));
    expect(kept.filter((t) => t.status === 'failed').map((t) => `${t.target}: ${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
    expect(kept.filter((t) => t.status === 'skipped' && !SKIPS.some((re) => re.test(t.skipReason ?? ''))).map((t) => `${t.target}: ${t.name}: ${t.skipReason}`)).toEqual([]);
    // Over TCP: no Timer A, no silent callee, no SIPp copies of a 183; nothing else is TCP's to skip.
    expect(kept.filter((t) => /^over TCP /.test(t.skipReason ?? '')).length).toBe(3);
    expect(kept.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(40);
    expect(r.code).toBe(0);
  }, RUN_LIMIT);
});
