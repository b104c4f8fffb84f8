/**
 * The JSON run summary (ARCHITECTURE "JSON summary"): per test the suite, the name, the status, the
 * duration, the failure message, the rule ids that fired and the paths of its pcap and ladder. Built
 * from jest's results joined with each test's meta.json by test file and full name.
 */
import { relative } from 'node:path';
import { artifactDir, metaKey, reportRelative, type TestMeta } from './artifacts.js';
import { failureText, fileError, summaryStatus, type JestAggregatedResult, type SummaryStatus } from './jest-results.js';
import { redact } from './redact.js';
import { suiteOfFile } from './suite-name.js';

export interface SummaryTest {
  suite: string;
  /** The test's own title. */
  name: string;
  /** describe titles and title joined by spaces, as jest and meta.json name it. */
  fullName: string;
  /** Test file, relative to the project root. */
  file: string;
  status: SummaryStatus;
  durationMs: number;
  /** The test's own time on the wall (meta.json's elapsedMs): for a background test, its whole wait. */
  elapsedMs?: number;
  failureMessage?: string;
  skipReason?: string;
  target?: string;
  /** Rule ids that fired on the test's capture, sorted. */
  rules: string[];
  findings: number;
  /** Paths relative to the report dir. */
  pcap?: string;
  ladderText?: string;
  ladderHtml?: string;
  artifacts?: string;
}

export interface Totals { passed: number; failed: number; skipped: number; total: number }

export interface RunSummary {
  version: 1;
  startedAt: string;
  durationMs: number;
  /** Absolute; every artifact path in tests[] is relative to it. */
  reportDir: string;
  totals: Totals;
  /** The same totals per target (the interop matrix): which target each verdict belongs to. */
  byTarget: Record<string, Totals>;
  /** Also false when a test file failed to run or jest itself failed. */
  success: boolean;
  tests: SummaryTest[];
  /**
   * Set when the run ended before every test ran (a signal, or jest crashing): `tests` then holds only the
   * tests that finished, and `unfinished` those cut short.
   */
  interrupted?: { reason: string; signal?: string; unfinished: Array<{ file: string; fullName: string }> };
}

export interface SummaryOptions {
  rootDir: string;
  reportDir: string;
  suitesDir?: string;
  /** Values to mask in failure messages (target passwords). */
  secrets?: readonly string[];
  /** For the duration; defaults to now. */
  finishedAt?: number;
}

export function buildSummary(results: JestAggregatedResult, metas: Map<string, TestMeta>, options: SummaryOptions): RunSummary {
  const { rootDir, reportDir, suitesDir, secrets = [] } = options;
  const tests: SummaryTest[] = [];
  for (const file of results.testResults) {
    const relFile = relative(rootDir, file.testFilePath).split('\\').join('/');
    const fileSuite = suiteOfFile(file.testFilePath, rootDir, suitesDir);
    const broken = fileError(file);
    if (broken !== undefined) {
      // A file that never ran its tests must still show up as a failure, not vanish from the summary.
      tests.push({
        suite: fileSuite, name: relFile, fullName: relFile, file: relFile, status: 'failed',
        durationMs: Math.max(0, file.perfStats.end - file.perfStats.start),
        failureMessage: redact(broken, secrets), rules: [], findings: 0,
      });
    }
    for (const a of file.testResults) {
      const meta = metas.get(metaKey(rootDir, file.testFilePath, a.fullName));
      const status = summaryStatus(a.status);
      const failure = status === 'failed' ? failureText(a.failureMessages) : undefined;
      const suite = meta?.suite ?? fileSuite;
      tests.push({
        suite,
        name: a.title,
        fullName: a.fullName,
        file: relFile,
        status,
        durationMs: a.duration ?? 0,
        ...(meta?.elapsedMs !== undefined ? { elapsedMs: meta.elapsedMs } : {}),
        failureMessage: failure === undefined ? undefined : redact(failure, secrets),
        skipReason: status === 'skipped' ? meta?.skipReason : undefined,
        target: meta?.target,
        rules: meta?.rules ?? [],
        findings: meta?.findings ?? 0,
        pcap: meta?.pcap,
        ladderText: meta?.ladderText,
        ladderHtml: meta?.ladderHtml,
        artifacts: meta ? reportRelative(reportDir, artifactDir(reportDir, meta.suite, meta.fullName)) : undefined,
      });
    }
  }
  const totalsOf = (list: SummaryTest[]): Totals => {
    const count = (s: SummaryStatus) => list.filter((t) => t.status === s).length;
    return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), total: list.length };
  };
  const totals = totalsOf(tests);
  const byTarget: Record<string, Totals> = {};
  for (const target of new Set(tests.map((t) => t.target).filter((t): t is string => Boolean(t)))) byTarget[target] = totalsOf(tests.filter((t) => t.target === target));
  return {
    version: 1,
    startedAt: new Date(results.startTime).toISOString(),
    durationMs: Math.max(0, (options.finishedAt ?? Date.now()) - results.startTime),
    reportDir,
    totals,
    byTarget,
    success: totals.failed === 0 && results.numRuntimeErrorTestSuites === 0 && !results.runExecError,
    tests,
  };
}
