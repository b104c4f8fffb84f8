/**
 * Background tests in the lab fixture (src/lab/background.ts), on the embedded Kamailio through jest with the
 * suites config: the background test runs while the others do, jest reports it at the end of its block, and each
 * capture holds its own test's messages only (the background test's party never appears in the others', and
 * theirs never in its).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractSip } from '../../src/capture/extract.js';
import type { RunSummary } from '../../src/report/summary.js';
import { which } from '../../src/runtime/native.js';
import { runFixtureJest } from '../support/fixture-jest.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const REPORT = join(ROOT, 'reports', 'background-test');
/** How long the background test goes on registering (the fixture reads it from the environment). */
const WAIT_MS = 4000;
const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

/** The REGISTERs of a test's capture, with their time and sender. */
function registers(pcap: string): Array<{ time: number; src: string }> {
  return extractSip(readFileSync(pcap)).payloads
    .filter((p) => p.bytes.subarray(0, 9).toString() === 'REGISTER ')
    .map((p) => ({ time: p.time, src: p.src.ip }));
}

d('background tests', () => {
  let jest: { code: number | null; out: string };
  let summary: RunSummary;

  beforeAll(async () => {
    jest = await runFixtureJest({
      root: ROOT, report: REPORT, suitesDir: 'test/lab/fixture-suites', suites: ['background'], testTimeout: 30_000,
      env: { SIPWRIGHT_TARGETS: JSON.stringify(['embedded:kamailio']), BACKGROUND_WAIT_MS: String(WAIT_MS) },
    });
    summary = JSON.parse(readFileSync(join(REPORT, 'summary.json'), 'utf8')) as RunSummary;
  }, 120_000);

  test('jest reports the background test after the others of its block, though it is written first, and every test passes', () => {
    expect({ code: jest.code, out: jest.out }).toMatchObject({ code: 0 });
    expect(summary.tests.map((t) => [t.name, t.status])).toEqual([
      ['registers meanwhile', 'passed'],
      ['registers meanwhile too', 'passed'],
      ['waits in the background', 'passed'],
    ]);
  });

  test('the other tests run while the background test waits, and no capture holds another test\'s messages', () => {
    const pcapOf = (name: string) => resolve(REPORT, summary.tests.find((t) => t.name === name)!.pcap!);
    const slow = registers(pcapOf('waits in the background'));
    const quick = [...registers(pcapOf('registers meanwhile')), ...registers(pcapOf('registers meanwhile too'))];
    expect(slow.length).toBeGreaterThanOrEqual(2);
    expect(quick.length).toBeGreaterThanOrEqual(2);
    const slowFrom = new Set(slow.map((r) => r.src));
    const quickFrom = new Set(quick.map((r) => r.src));
    expect(slowFrom.size).toBe(1);
    expect([...quickFrom].filter((a) => slowFrom.has(a))).toEqual([]);
    // While the background test was registering (for WAIT_MS), both other tests had theirs.
    const [first, last] = [slow[0].time, slow[slow.length - 1].time];
    expect(last - first).toBeGreaterThanOrEqual(WAIT_MS / 2000);
    for (const r of quick) expect({ during: r.time > first && r.time < last }).toEqual({ during: true });
  });
});
