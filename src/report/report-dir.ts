import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { JOURNAL_FILE } from './results-journal.js';

/** The env var through which `sipwright run --report DIR` reaches jest's workers and the reporters. */
export const REPORT_DIR_ENV = 'SIPWRIGHT_REPORT_DIR';
/** Where the JSON summary goes when `--json FILE` is given. */
export const SUMMARY_JSON_ENV = 'SIPWRIGHT_SUMMARY_JSON';

/**
 * The report directory, absolute. One function so that the fixture (in jest workers), the reporters (in
 * jest's parent) and the CLI agree on it: the env var when set, else `reports/` under the working dir.
 */
export function reportDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const fromEnv = env[REPORT_DIR_ENV];
  return resolve(cwd, fromEnv && fromEnv.length > 0 ? fromEnv : 'reports');
}

/** Allure's raw results, written by the allure-jest environment. */
export const allureResultsDir = (report: string): string => resolve(report, 'allure-results');
/** The generated HTML report. */
export const allureReportDir = (report: string): string => resolve(report, 'allure-report');

/**
 * Empties what one run writes (results, artifacts, junit.xml, summary.json, the results journal) so a run
 * never reports a previous run's tests. allure-report is left: `allure generate --clean` replaces it.
 */
export function prepareReportDir(report: string): void {
  for (const name of ['allure-results', 'artifacts', 'junit.xml', 'summary.json', JOURNAL_FILE]) {
    rmSync(resolve(report, name), { recursive: true, force: true });
  }
  mkdirSync(allureResultsDir(report), { recursive: true });
}
