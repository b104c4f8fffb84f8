/**
 * Every suite on the embedded lab, run once as a user runs it (`sipwright run`, no --target: every embedded
 * target with the suites its roles allow, on its default workers), then read suite by suite: each passes on the
 * targets that play its roles, skips only what a target declares it does not do, keeps a pcap and a ladder per
 * test, and leaves nothing behind. The files beside this one run each suite on targets described in target
 * files and on the broken ones.
 */
import { join } from 'node:path';
import { embeddedUnavailable } from '../../src/lab/embedded.js';
import { loadLabConfig } from '../../src/lab/target.js';
import { isAlive, liveEntries } from '../../src/runtime/process-registry.js';
import { which } from '../../src/runtime/native.js';
import { leakedContainers } from '../support/containers.js';
import { notPassed, ROOT, RUN_LIMIT, runSuite, type SummaryTest } from './support.js';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
// CI has the Asterisk image (scripts/test.sh builds it); a machine without it skips its tests, saying why.
const asteriskAway = process.env.CI ? undefined : embeddedUnavailable('embedded:asterisk', loadLabConfig());

const on = (tests: SummaryTest[], suite: string, target?: string) => tests.filter((t) => t.suite === suite && (target === undefined || t.target === target));
/** What did not pass, but for an Asterisk the machine can't run. */
const failedOrSkipped = (tests: SummaryTest[]) => notPassed(tests.filter((t) => !(asteriskAway && t.target === 'embedded:asterisk' && t.status === 'skipped')));

d('every suite on the embedded lab, through `sipwright run`', () => {
  let dir: string;
  let r: ReturnType<typeof runSuite>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-embedded-'));
    r = runSuite([], join(dir, 'run'), []);
    // A failed run keeps its report (captures, endpoint logs) for the next look: the temp folder goes at the end.
    if (r.code !== 0) cpSync(join(dir, 'run'), join(ROOT, 'reports', 'embedded-failed'), { recursive: true });
  }, RUN_LIMIT);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the run passes, with a pcap and a ladder per test, no password in its output, and nothing left behind', () => {
    expect({ code: r.code, failed: r.tests.filter((t) => t.status === 'failed').map((t) => `${t.target}: ${t.name}\n${t.failureMessage ?? ''}`) }).toEqual({ code: 0, failed: [] });
    for (const t of r.tests.filter((x) => x.status === 'passed')) {
      expect(t.pcap).toBeTruthy();
      expect(t.ladderHtml).toBeTruthy();
    }
    expect(r.out).not.toContain('alice-lab-secret');
    // A leak is a process group still alive whose owner (a jest worker of that run) is gone.
    expect(liveEntries().filter((e) => !isAlive(e.owner, e.ownerStart)).map((e) => e.name)).toEqual([]);
    expect(leakedContainers()).toEqual([]);
  });

  test('registration: both registrars pass, each skipping only the test for the other way of treating a too brief expiry', () => {
    const tests = on(r.tests, 'registration');
    expect(tests.length).toBeGreaterThanOrEqual(20);
    expect(failedOrSkipped(tests).sort()).toEqual([
      ...(asteriskAway ? [] : [expect.stringMatching(/^skipped: too brief an expiry gets 423[^]*raises too brief an expiry to its minimum/)]),
      expect.stringMatching(/^skipped: too brief an expiry is raised/),
    ]);
    expect(r.out).toMatch(/^embedded:kamailio: \d+ passed, 0 failed, \d+ skipped$/m);
  });

  test('calls: the proxy tests pass on Kamailio, the PBX\'s hold tests on Asterisk', () => {
    expect(on(r.tests, 'calls', 'embedded:kamailio').length).toBeGreaterThanOrEqual(10);
    if (!asteriskAway) expect(on(r.tests, 'calls', 'embedded:asterisk').filter((t) => /the PBX answers/.test(t.name)).length).toBe(2);
    expect(failedOrSkipped(on(r.tests, 'calls'))).toEqual([]);
  });

  test('forking: only embedded:kamailio plays the proxy role, and passes every test', () => {
    const tests = on(r.tests, 'forking');
    expect(tests.length).toBeGreaterThanOrEqual(9);
    expect(new Set(tests.map((t) => t.target))).toEqual(new Set(['embedded:kamailio']));
    expect(notPassed(tests)).toEqual([]);
  });

  test('prack: the proxy tests pass on Kamailio; on Asterisk the PBX tests pass but the retransmission schedule, skipped as its declaration says', () => {
    expect(on(r.tests, 'prack', 'embedded:kamailio').length).toBeGreaterThanOrEqual(5);
    expect(notPassed(on(r.tests, 'prack', 'embedded:kamailio'))).toEqual([]);
    if (!asteriskAway) {
      expect(on(r.tests, 'prack', 'embedded:asterisk').filter((t) => /\bthe PBX\b/.test(t.name)).length).toBeGreaterThanOrEqual(3);
      expect(notPassed(on(r.tests, 'prack', 'embedded:asterisk'))).toEqual([
        expect.stringMatching(/^skipped: the PBX retransmits its unacknowledged reliable provisional[^]*pbx\.reliableRetransmitFromT1: 2/),
      ]);
    }
  });

  test('session-timers: the proxy tests pass on Kamailio and the PBX tests on Asterisk, the 45 s and 60 s waits included', () => {
    expect(on(r.tests, 'session-timers', 'embedded:kamailio').length).toBeGreaterThanOrEqual(6);
    if (!asteriskAway) expect(on(r.tests, 'session-timers', 'embedded:asterisk').length).toBeGreaterThanOrEqual(7);
    expect(failedOrSkipped(on(r.tests, 'session-timers'))).toEqual([]);
    // A background test counts its whole wait: the refresh comes at half of 90 s, the BYE by 60 s.
    const longest = Math.max(...on(r.tests, 'session-timers').map((t) => t.elapsedMs ?? 0));
    expect(longest).toBeGreaterThan(45_000);
  });

  test('pbx: only embedded:asterisk plays the PBX role, and passes every test', () => {
    const tests = on(r.tests, 'pbx');
    if (asteriskAway) {
      for (const t of tests) expect(t.status).toBe('skipped');
      return;
    }
    expect(tests.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(9);
    expect(new Set(tests.map((t) => t.target))).toEqual(new Set(['embedded:asterisk']));
    expect(notPassed(tests)).toEqual([]);
  });
});
