/**
 * A CI matrix's way of running sipwright: the same work split with `--shard i/n` over separate invocations,
 * then put back together with `sipwright report merge`. The parts of a run (a good and a broken proxy, so
 * there are failures to count) and of a grading (three students, one broken) must merge into the same tests,
 * statuses, totals and grades as the one invocation that did all of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio, kamailioDefect, type StartedKamailio } from '../../drivers/kamailio/index.js';
import type { Gradebook } from '../../src/grade/gradebook.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { ACCOUNTS, ROOT, RUN_LIMIT, startAll, targets, writeTarget, type SummaryTest } from '../suites/support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

/** A proxy that does not forward a CANCEL: the calls suite's CANCEL test fails on it, the rest pass. */
const DEFECT = 'cancel-not-forwarded';
const SHARDS = 3;

function sipwright(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: RUN_LIMIT, env: { ...process.env, JEST_WORKER_ID: undefined } });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** A run's tests as comparable lines: target, full name and status, sorted. */
function outcomes(tests: SummaryTest[]): string[] {
  return tests.map((t) => `${t.target} | ${t.fullName ?? t.name} | ${t.status}`).sort();
}

function summary(dir: string): { totals: Record<string, number>; tests: SummaryTest[] } {
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { totals: Record<string, number>; tests: SummaryTest[] };
}

d('--shard i/n and report merge', () => {
  let dir: string;
  let block: AddressBlock;
  let proxies: StartedKamailio[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-shards-'));
    block = claimAddressBlock(243);
    const start = (defect?: string) => {
      const k = new Kamailio(block.allocateHost()).withDomain('shard.test').withAccounts(ACCOUNTS).withT1(100);
      if (defect) k.withDefects(kamailioDefect(defect));
      return k.start();
    };
    proxies = await startAll([start(), start(DEFECT), start()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(proxies.map((k) => k.stop()));
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the parts of a sharded run merge into the same tests, statuses, totals and JUnit counts as one run', () => {
    const files = targets([writeTarget(dir, proxies[0], 'good', true, 'registrar, proxy', ['t1: 100']), writeTarget(dir, proxies[1], 'broken', true, 'registrar, proxy', ['t1: 100'])]);
    // As a CI job runs it: the report directory only, its summary.json in it.
    const run = (name: string, extra: string[] = []) => {
      const report = join(dir, name);
      const r = sipwright(['run', '--suite', 'calls', '--report', report, '--no-allure', ...files, ...extra]);
      return { ...r, report, ...summary(report) };
    };
    const whole = run('whole');
    expect(whole.code).toBe(1);
    expect(whole.tests.filter((t) => t.status === 'failed').map((t) => `${t.target}: ${t.name}`)).toEqual([expect.stringMatching(/^broken: CANCEL before answer/)]);

    const parts = Array.from({ length: SHARDS }, (_, i) => {
      const part = run(`part${i + 1}`, ['--shard', `${i + 1}/${SHARDS}`]);
      // Each part runs some of the files, none all of them.
      expect(part.tests.length).toBeGreaterThan(0);
      expect(part.tests.length).toBeLessThan(whole.tests.length);
      return part.report;
    });
    const merged = join(dir, 'merged');
    const m = sipwright(['report', 'merge', ...parts, '--out', merged]);
    expect(m.code).toBe(0);
    const mergedSummary = summary(merged);
    expect(outcomes(mergedSummary.tests)).toEqual(outcomes(whole.tests));
    expect(mergedSummary.totals).toEqual(whole.totals);
    const junitTests = (report: string) => Number(/<testsuites[^>]*\btests="(\d+)"/.exec(readFileSync(join(report, 'junit.xml'), 'utf8'))?.[1]);
    expect(junitTests(merged)).toBe(junitTests(whole.report));
    const results = (report: string) => readdirSync(join(report, 'allure-results')).filter((f) => f.endsWith('-result.json')).length;
    expect(results(merged)).toBe(results(whole.report));
  }, RUN_LIMIT * (SHARDS + 1));

  test('the parts of a sharded grading merge into the same gradebook as one batch', () => {
    const rubric = join(dir, 'rubric.yaml');
    writeFileSync(rubric, [
      'name: shards',
      'items:',
      '  - { id: reg, title: Registration, points: 2, scoring: proportional, tests: [{ suite: registration, name: "digest challenge|lists every current binding|expires=0 removes" }] }',
      '  - { id: cancel, title: CANCEL, points: 1, tests: [{ suite: calls, name: "CANCEL before answer" }] }',
      '  - { id: call, title: A call, points: 1, tests: [{ suite: calls, name: "INVITE, 100, 180, 200, ACK, BYE, 200 cross the proxy" }] }',
      '',
    ].join('\n'));
    const cls = join(dir, 'class.yaml');
    const target = (k: StartedKamailio, name: string) => ({ name, address: k.hostPort, transport: 'udp', roles: ['registrar', 'proxy'], domain: 'shard.test', t1: 100, registrar: { minExpires: 60 }, accounts: ACCOUNTS });
    writeFileSync(cls, JSON.stringify({ students: proxies.map((k, i) => ({ id: `s${i + 1}`, name: `Student ${i + 1}`, target: target(k, `s${i + 1}`) })) }));

    const whole = sipwright(['grade', '--rubric', rubric, '--class', cls, '--out', join(dir, 'grades-whole')]);
    expect(whole.code).toBe(0);
    const book = JSON.parse(readFileSync(join(dir, 'grades-whole', 'grades.json'), 'utf8')) as Gradebook;
    // The broken proxy's student loses the CANCEL item and nothing else.
    expect(book.students.map((s) => [s.id, s.items.filter((i) => i.points < i.max).map((i) => `${i.id}: ${i.reason}`)])).toEqual([['s1', []], ['s2', [expect.stringMatching(/^cancel: 0 of 1 tests passed; failed: CANCEL before answer/)]], ['s3', []]]);

    const parts = [1, 2].map((i) => {
      const out = join(dir, `grades-part${i}`);
      const r = sipwright(['grade', '--rubric', rubric, '--class', cls, '--out', out, '--shard', `${i}/2`]);
      expect(r.code).toBe(0);
      return out;
    });
    const mergedDir = join(dir, 'grades-merged');
    expect(sipwright(['report', 'merge', ...parts, '--out', mergedDir]).code).toBe(0);
    const merged = JSON.parse(readFileSync(join(mergedDir, 'grades.json'), 'utf8')) as Gradebook;
    const scores = (b: Gradebook) => b.students.map((s) => ({ id: s.id, total: s.total, max: s.max, items: s.items.map((i) => [i.id, i.points]) }));
    expect(scores(merged)).toEqual(scores(book));
    expect(readFileSync(join(mergedDir, 'grades.csv'), 'utf8')).toBe(readFileSync(join(dir, 'grades-whole', 'grades.csv'), 'utf8'));
  }, RUN_LIMIT * 3);
});
