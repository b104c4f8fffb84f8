/**
 * Jest reporter writing the JSON run summary. It runs in jest's parent process, which jest does not
 * transform: the jest config names the compiled dist/src/report/summary-reporter.js.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { metaIndex } from './artifacts.js';
import type { JestAggregatedResult } from './jest-results.js';
import { resolvedReportDir, resolvedSummaryPath, type ReporterOptions } from './reporter-options.js';
import { secretsFromEnv } from './secrets-env.js';
import { buildSummary } from './summary.js';

export default class SummaryReporter {
  private readonly rootDir: string;
  private readonly reportDir: string;
  private readonly summaryPath: string;

  constructor(globalConfig: { rootDir: string }, private readonly options: ReporterOptions = {}) {
    this.rootDir = globalConfig.rootDir;
    this.reportDir = resolvedReportDir(options, this.rootDir);
    this.summaryPath = resolvedSummaryPath(options, this.rootDir, this.reportDir);
  }

  onRunComplete(_contexts: unknown, results: JestAggregatedResult): void {
    const summary = buildSummary(results, metaIndex(this.reportDir, this.rootDir), {
      rootDir: this.rootDir,
      reportDir: this.reportDir,
      suitesDir: this.options.suitesDir,
      secrets: secretsFromEnv(),
    });
    mkdirSync(dirname(this.summaryPath), { recursive: true });
    writeFileSync(this.summaryPath, JSON.stringify(summary, null, 2) + '\n');
  }

  /** Jest asks reporters whether the run failed; the summary never adds a failure of its own. */
  getLastError(): Error | undefined {
    return undefined;
  }
}
