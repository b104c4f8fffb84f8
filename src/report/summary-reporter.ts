/**
 * Jest reporter writing the JSON run summary. It runs in jest's parent process, which jest does not
 * transform: the jest config names the compiled dist/src/report/summary-reporter.js.
 *
 * It also records each test's result the moment jest's parent learns it (results-journal.ts): the summary is
 * written at onRunComplete, which never comes when jest is killed (SIGTERM from `timeout`, a cancelled CI job),
 * and `sipwright run` then writes the summary of the tests that finished from that record.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { metaIndex } from './artifacts.js';
import type { JestAggregatedResult, JestAssertionResult } from './jest-results.js';
import { redact } from './redact.js';
import { resolvedReportDir, resolvedSummaryPath, type ReporterOptions } from './reporter-options.js';
import { appendEntry, type JournalEntry, type JournalFileResult } from './results-journal.js';
import { secretsFromEnv } from './secrets-env.js';
import { buildSummary } from './summary.js';

interface JestTest {
  path: string;
}

export default class SummaryReporter {
  private readonly rootDir: string;
  private readonly reportDir: string;
  private readonly summaryPath: string;
  private readonly secrets = secretsFromEnv();
  private journalError?: Error;

  constructor(globalConfig: { rootDir: string }, private readonly options: ReporterOptions = {}) {
    this.rootDir = globalConfig.rootDir;
    this.reportDir = resolvedReportDir(options, this.rootDir);
    this.summaryPath = resolvedSummaryPath(options, this.rootDir, this.reportDir);
  }

  onRunStart(): void {
    this.record({ kind: 'start', at: Date.now() });
  }

  onTestCaseStart(test: JestTest, info: { fullName: string }): void {
    this.record({ kind: 'case-start', at: Date.now(), file: test.path, fullName: info.fullName });
  }

  onTestCaseResult(test: JestTest, result: JestAssertionResult): void {
    this.record({ kind: 'case', at: Date.now(), file: test.path, result: this.assertion(result) });
  }

  /** The file's whole result: it also holds the skipped tests and a file that failed to run, which come as no case. */
  onTestResult(_test: JestTest, result: JournalFileResult): void {
    this.record({
      kind: 'file',
      at: Date.now(),
      result: {
        testFilePath: result.testFilePath,
        testResults: result.testResults.map((a) => this.assertion(a)),
        failureMessage: result.failureMessage ? redact(result.failureMessage, this.secrets) : result.failureMessage,
        testExecError: result.testExecError ? { message: redact(result.testExecError.message, this.secrets) } : undefined,
        perfStats: { start: result.perfStats.start, end: result.perfStats.end, runtime: result.perfStats.runtime },
        numFailingTests: result.numFailingTests,
        numPassingTests: result.numPassingTests,
        numPendingTests: result.numPendingTests,
      },
    });
  }

  onRunComplete(_contexts: unknown, results: JestAggregatedResult): void {
    const summary = buildSummary(results, metaIndex(this.reportDir, this.rootDir), {
      rootDir: this.rootDir,
      reportDir: this.reportDir,
      suitesDir: this.options.suitesDir,
      secrets: this.secrets,
    });
    mkdirSync(dirname(this.summaryPath), { recursive: true });
    writeFileSync(this.summaryPath, JSON.stringify(summary, null, 2) + '\n');
  }

  /** Jest asks reporters whether the run failed; the summary never adds a failure of its own. */
  getLastError(): Error | undefined {
    return undefined;
  }

  /** Only what the summary and JUnit read, with the target's passwords masked before they reach the disk. */
  private assertion(a: JestAssertionResult): JestAssertionResult {
    return {
      ancestorTitles: a.ancestorTitles,
      title: a.title,
      fullName: a.fullName,
      status: a.status,
      duration: a.duration,
      failureMessages: a.failureMessages.map((m) => redact(m, this.secrets)),
    };
  }

  /** A record that cannot be written costs only the report of a run cut short: said once, never fatal. */
  private record(entry: JournalEntry): void {
    if (this.journalError) return;
    try {
      appendEntry(this.reportDir, entry);
    } catch (e) {
      this.journalError = e as Error;
      process.stderr.write(`sipwright: cannot record results in ${this.reportDir} (${this.journalError.message}); a run stopped early will have no summary\n`);
    }
  }
}
