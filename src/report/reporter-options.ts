/** Options shared by the sipwright jest reporters (from the reporters entry in the jest config). */
import { resolve } from 'node:path';
import { reportDir as reportDirFromEnv, SUMMARY_JSON_ENV } from './report-dir.js';

export interface ReporterOptions {
  /** Report dir; default SIPWRIGHT_REPORT_DIR, else `reports/`. */
  reportDir?: string;
  /** Folder of the suites, relative to rootDir (names each test's suite); default `suites`. */
  suitesDir?: string;
  /** summary-reporter: where to write the JSON; default SIPWRIGHT_SUMMARY_JSON, else `<report>/summary.json`. */
  summaryJson?: string;
}

export function resolvedReportDir(options: ReporterOptions | undefined, rootDir: string): string {
  return options?.reportDir ? resolve(rootDir, options.reportDir) : reportDirFromEnv();
}

export function resolvedSummaryPath(options: ReporterOptions | undefined, rootDir: string, report: string): string {
  if (options?.summaryJson) return resolve(rootDir, options.summaryJson);
  const fromEnv = process.env[SUMMARY_JSON_ENV];
  if (fromEnv) return resolve(fromEnv);
  return resolve(report, 'summary.json');
}
