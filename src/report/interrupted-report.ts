/**
 * The report of a run whose jest ended before its reporters ran (killed by a signal, or crashed): the JSON
 * summary and JUnit are written from the results journal, with the tests that finished and their verdicts.
 * A file jest did write is kept as it is. The Allure results need nothing: each worker wrote them as its
 * tests finished.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { metaIndex } from './artifacts.js';
import type { JestAggregatedResult } from './jest-results.js';
import { redact } from './redact.js';
import { journaledRun, readJournal } from './results-journal.js';
import { buildSummary, type RunSummary, type SummaryTest } from './summary.js';

export interface InterruptedReportOptions {
  rootDir: string;
  reportDir: string;
  summaryPath: string;
  suitesDir?: string;
  /** The jest-junit reporter options of the run's jest config. */
  junit: Record<string, unknown>;
  secrets?: readonly string[];
  /** The signal that stopped the run, when one did. */
  signal?: string;
}

export interface InterruptedReport {
  /** The summary written, or undefined when jest had written one. */
  summary?: RunSummary;
  /** Finished tests whose file never completed: the progress lines (one per test, at the end of its file) missed them. */
  unprinted: SummaryTest[];
  junitWritten: boolean;
}

/** Writes summary.json and junit.xml where jest did not (or died while writing them). */
export function writeInterruptedReport(o: InterruptedReportOptions): InterruptedReport {
  const needSummary = !readable(o.summaryPath, (t) => JSON.parse(t) as unknown);
  const junit = jestJunit(o.junit);
  const needJunit = !readable(junit.path, (t) => {
    if (!t.trimEnd().endsWith('</testsuites>')) throw new Error('cut short');
  });
  if (!needSummary && !needJunit) return { unprinted: [], junitWritten: false };
  const run = journaledRun(readJournal(o.reportDir));
  const why = o.signal ? `the run was stopped by ${o.signal}` : 'jest ended before it reported the run';
  const results: JestAggregatedResult = { ...run.results, runExecError: { message: why } };
  let summary: RunSummary | undefined;
  if (needSummary) {
    summary = {
      ...buildSummary(results, metaIndex(o.reportDir, o.rootDir), { rootDir: o.rootDir, reportDir: o.reportDir, suitesDir: o.suitesDir, secrets: o.secrets }),
      interrupted: {
        reason: why,
        ...(o.signal ? { signal: o.signal } : {}),
        unfinished: run.unfinished.map((u) => ({ file: relativeToRoot(o.rootDir, u.file), fullName: u.fullName })),
      },
    };
    mkdirSync(dirname(o.summaryPath), { recursive: true });
    writeFileSync(o.summaryPath, JSON.stringify(summary, null, 2) + '\n');
  }
  if (needJunit) {
    mkdirSync(dirname(junit.path), { recursive: true });
    writeFileSync(junit.path, redact(junit.xml(results, o.rootDir), o.secrets ?? []));
  }
  const incomplete = new Set(run.incompleteFiles.map((f) => relativeToRoot(o.rootDir, f)));
  return { summary, unprinted: summary?.tests.filter((t) => incomplete.has(t.file)) ?? [], junitWritten: needJunit };
}

/** True when the file exists and `check` accepts its text. */
function readable(path: string, check: (text: string) => void): boolean {
  if (!existsSync(path)) return false;
  try {
    check(readFileSync(path, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

function relativeToRoot(rootDir: string, file: string): string {
  const abs = resolve(rootDir, file);
  return abs.startsWith(rootDir + '/') ? abs.slice(rootDir.length + 1) : abs;
}

type BuildJsonResults = (report: unknown, appDirectory: string, options: Record<string, unknown>, rootDir: string) => unknown;

/**
 * jest-junit's own option handling and builder, so the file lands where a complete run's would and has its shape
 * (CI parses both). The XML is built with the project root as the app directory, as jest (started there) gives
 * it; jest-junit's reporter entry point would take this process's working directory instead.
 */
function jestJunit(reporterOptions: Record<string, unknown>): { path: string; xml: (results: JestAggregatedResult, rootDir: string) => string } {
  const require = createRequire(import.meta.url);
  const junitDir = dirname(require.resolve('jest-junit'));
  const { options: merge } = require(join(junitDir, 'utils', 'getOptions.js')) as { options: (o: Record<string, unknown>) => Record<string, unknown> };
  const options = merge(reporterOptions);
  const path = options.outputFile ? String(options.outputFile) : join(String(options.outputDirectory), String(options.outputName));
  return {
    path,
    xml: (results, rootDir) => {
      const build = require(join(junitDir, 'utils', 'buildJsonResults.js')) as BuildJsonResults;
      const xml = createRequire(join(junitDir, 'index.js'))('xml') as (data: unknown, opts: { indent: string; declaration: boolean }) => string;
      return xml(build(results, rootDir, options, rootDir), { indent: '  ', declaration: true });
    },
  };
}
