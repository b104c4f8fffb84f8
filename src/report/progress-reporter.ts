/**
 * Jest reporter for `sipwright run`: a line per test as its file finishes, the reason for each skip
 * (from the test's meta.json), and the totals with where the report is. Replaces jest's default
 * reporter, whose output is about files and stacks rather than SIP tests. Runs untransformed in jest's
 * parent process: the config names dist/src/report/progress-reporter.js.
 */
import { metaIndex, metaKey } from './artifacts.js';
import { failureText, fileError, summaryStatus, type JestAggregatedResult, type JestTestFileResult, type SummaryStatus } from './jest-results.js';
import { formatDuration, formatTestLine, formatTotals } from './progress-format.js';
import { redact } from './redact.js';
import { resolvedReportDir, type ReporterOptions } from './reporter-options.js';
import { secretsFromEnv } from './secrets-env.js';
import { suiteOfFile } from './suite-name.js';

export default class ProgressReporter {
  private readonly rootDir: string;
  private readonly reportDir: string;
  private readonly secrets = secretsFromEnv();
  private readonly totals: Record<SummaryStatus, number> = { passed: 0, failed: 0, skipped: 0 };
  /** The same counts per target, for the interop matrix (a run over several targets). */
  private readonly byTarget = new Map<string, Record<SummaryStatus, number>>();
  private readonly color: boolean;
  private readonly out: NodeJS.WritableStream = process.stdout;

  constructor(globalConfig: { rootDir: string }, private readonly options: ReporterOptions = {}) {
    this.rootDir = globalConfig.rootDir;
    this.reportDir = resolvedReportDir(options, this.rootDir);
    this.color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  }

  onRunStart(results: { numTotalTestSuites: number }): void {
    this.write(`sipwright: ${results.numTotalTestSuites} test file${results.numTotalTestSuites === 1 ? '' : 's'}, report in ${this.reportDir}`);
  }

  onTestResult(_test: unknown, result: JestTestFileResult): void {
    // meta.json files are written by the worker before its results reach us, so this read sees them.
    const metas = metaIndex(this.reportDir, this.rootDir);
    const fileSuite = suiteOfFile(result.testFilePath, this.rootDir, this.options.suitesDir);
    const broken = fileError(result);
    if (broken !== undefined) {
      this.totals.failed++;
      this.write(formatTestLine({ status: 'failed', suite: fileSuite, fullName: `${result.testFilePath} (file failed to run)`, failureMessage: redact(broken, this.secrets) }, this.color));
    }
    for (const a of result.testResults) {
      const status = summaryStatus(a.status);
      this.totals[status]++;
      const meta = metas.get(metaKey(this.rootDir, result.testFilePath, a.fullName));
      if (meta?.target) {
        const t = this.byTarget.get(meta.target) ?? { passed: 0, failed: 0, skipped: 0 };
        t[status]++;
        this.byTarget.set(meta.target, t);
      }
      const failure = status === 'failed' ? failureText(a.failureMessages) : undefined;
      this.write(formatTestLine({
        status,
        suite: meta?.suite ?? fileSuite,
        fullName: a.fullName,
        durationMs: a.duration,
        failureMessage: failure === undefined ? undefined : redact(failure, this.secrets),
        skipReason: meta?.skipReason,
      }, this.color));
    }
  }

  onRunComplete(_contexts: unknown, results: JestAggregatedResult): void {
    if (results.runExecError) this.write(`jest failed: ${results.runExecError.message}`);
    this.write('');
    if (this.byTarget.size > 1) for (const [target, t] of this.byTarget) this.write(`${target}: ${formatTotals(t)}`);
    this.write(formatTotals(this.totals));
    this.write(`report: ${this.reportDir} (allure-results, junit.xml, summary.json) · ${formatDuration(Date.now() - results.startTime)}`);
  }

  getLastError(): Error | undefined {
    return undefined;
  }

  private write(line: string): void {
    this.out.write(line + '\n');
  }
}
