/**
 * A test whose capture holds SIP over TLS that no key decrypts is skipped with that reason, never passed nor
 * failed on an assertion it could not make (issue 19): jest with the suites config runs a stand-in suite over TLS
 * on the embedded Kamailio, and every report of the run says "skipped" with the reason, the connection named:
 * jest's own results, the summary, JUnit, Allure and the progress line. Its twin, whose party's secrets the
 * lab reads, passes on the same target.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../../src/report/summary.js';
import { which } from '../../src/runtime/native.js';
import { runFixtureJest } from '../support/fixture-jest.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const REPORT = join(ROOT, 'reports', 'tls-unread-test');
const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump', 'openssl'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
const UNREAD = 'a party whose secrets the lab never sees';
const READ = 'a party whose secrets the lab reads';
/** The reason, naming the connection from the no-keys party's address to the target's TLS port. */
const REASON = /^no key decrypts SIP over TLS in this test's capture, so its SIP assertions are not made: TLS connection 127\.[0-9.]+:\d+ -> 127\.[0-9.]+:\d+ /;

interface AllureResult { name: string; status: string; statusDetails?: { message?: string } }

d('a TLS capture no key decrypts', () => {
  let jest: { code: number | null; out: string };
  let summary: RunSummary;

  beforeAll(async () => {
    jest = await runFixtureJest({
      root: ROOT, report: REPORT, suitesDir: 'test/lab/fixture-suites', suites: ['tls-unread'], testTimeout: 60_000,
      env: { SIPWRIGHT_TARGETS: JSON.stringify(['embedded:kamailio']), SIPWRIGHT_TRANSPORT: 'tls' },
    });
    summary = JSON.parse(readFileSync(join(REPORT, 'summary.json'), 'utf8')) as RunSummary;
  }, 180_000);

  test('jest ends well, with the unread test skipped (not failed, not passed) and its twin passed', () => {
    expect({ code: jest.code, out: jest.out }).toMatchObject({ code: 0 });
    expect(summary.tests.map((t) => [t.name, t.status])).toEqual([[UNREAD, 'skipped'], [READ, 'passed']]);
    expect(summary.totals).toMatchObject({ passed: 1, failed: 0, skipped: 1 });
  });

  test('the summary and the progress line give the reason, naming the connection', () => {
    const t = summary.tests.find((x) => x.name === UNREAD)!;
    expect(t.skipReason).toMatch(REASON);
    expect(t.failureMessage).toBeUndefined();
    // The evidence stays: the capture that could not be read, for a person to look at.
    expect(t.pcap).toBeDefined();
    expect(jest.out).toMatch(new RegExp(`${UNREAD} — skipped: no key decrypts SIP over TLS`));
  });

  test('JUnit marks it skipped, with no failure', () => {
    const xml = readFileSync(join(REPORT, 'junit.xml'), 'utf8');
    const testcase = new RegExp(`<testcase[^>]*name="[^"]*${UNREAD}"[^>]*>\\s*<skipped/>`);
    expect(xml).toMatch(testcase);
    expect(xml).not.toMatch(/<failure/);
  });

  test('Allure marks it skipped, with the reason as its message', () => {
    const results = readdirSync(join(REPORT, 'allure-results')).filter((f) => f.endsWith('-result.json'))
      .map((f) => JSON.parse(readFileSync(join(REPORT, 'allure-results', f), 'utf8')) as AllureResult);
    const unread = results.find((r) => r.name === UNREAD);
    expect(unread?.status).toBe('skipped');
    expect(unread?.statusDetails?.message).toMatch(/^skipped: no key decrypts SIP over TLS/);
    expect(results.find((r) => r.name === READ)?.status).toBe('passed');
  });
});
