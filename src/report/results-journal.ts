/**
 * The run's results as they arrive, one JSON line per event, appended by summary-reporter in jest's parent
 * process. Jest's own reporters write the JSON summary and JUnit only when the whole run completes; when jest
 * is killed first (SIGTERM from `timeout`, a cancelled CI job, Ctrl-C), this file still holds every test that
 * finished, so `sipwright run` can write the report of those (interrupted-report.ts).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JestAggregatedResult, JestAssertionResult, JestTestFileResult } from './jest-results.js';

/** Hidden next to the jest config the CLI writes: it is the run's bookkeeping, not a report for a person. */
export const JOURNAL_FILE = '.results.jsonl';

export const journalPath = (reportDir: string): string => join(reportDir, JOURNAL_FILE);

/** A test file's result with the counts jest-junit reads. */
export interface JournalFileResult extends JestTestFileResult {
  numFailingTests: number;
  numPassingTests: number;
  numPendingTests: number;
}

export type JournalEntry =
  | { kind: 'start'; at: number }
  | { kind: 'case-start'; at: number; file: string; fullName: string }
  | { kind: 'case'; at: number; file: string; result: JestAssertionResult }
  | { kind: 'file'; at: number; result: JournalFileResult };

export function appendEntry(reportDir: string, entry: JournalEntry): void {
  // One write per line: a process killed mid-run leaves whole lines, at worst a torn last one.
  appendFileSync(journalPath(reportDir), JSON.stringify(entry) + '\n');
}

export function readJournal(reportDir: string): JournalEntry[] {
  const file = journalPath(reportDir);
  if (!existsSync(file)) return [];
  const out: JournalEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      // the line being written when the process died
    }
  }
  return out;
}

/** What a journal says about a run that ended before jest reported it. */
export interface JournaledRun {
  /** Jest's aggregated result, made of the files that completed and the finished tests of those that did not. */
  results: JestAggregatedResult & { testResults: JournalFileResult[] };
  /** Tests that had started and not finished: cut short. */
  unfinished: Array<{ file: string; fullName: string }>;
  /** Test files with no result of their own (their finished tests come from per-test entries). */
  incompleteFiles: string[];
}

export function journaledRun(entries: readonly JournalEntry[], fallbackStart = Date.now()): JournaledRun {
  const start = entries.find((e) => e.kind === 'start')?.at ?? Math.min(fallbackStart, ...entries.map((e) => e.at));
  const files = new Map<string, { complete?: JournalFileResult; cases: Array<{ at: number; result: JestAssertionResult }> }>();
  const started = new Map<string, { file: string; fullName: string }>();
  const fileOf = (path: string) => {
    let f = files.get(path);
    if (!f) files.set(path, (f = { cases: [] }));
    return f;
  };
  for (const e of entries) {
    if (e.kind === 'case-start') {
      fileOf(e.file);
      started.set(`${e.file}\u0000${e.fullName}`, { file: e.file, fullName: e.fullName });
    } else if (e.kind === 'case') {
      fileOf(e.file).cases.push({ at: e.at, result: e.result });
      started.delete(`${e.file}\u0000${e.result.fullName}`);
    } else if (e.kind === 'file') {
      fileOf(e.result.testFilePath).complete = e.result;
      for (const a of e.result.testResults) started.delete(`${e.result.testFilePath}\u0000${a.fullName}`);
    }
  }
  const testResults: JournalFileResult[] = [];
  const incompleteFiles: string[] = [];
  for (const [path, f] of files) {
    if (f.complete) {
      testResults.push(f.complete);
      continue;
    }
    incompleteFiles.push(path);
    if (f.cases.length === 0) continue;
    const count = (s: JestAssertionResult['status']) => f.cases.filter((c) => c.result.status === s).length;
    const first = f.cases[0];
    const last = f.cases[f.cases.length - 1];
    testResults.push({
      testFilePath: path,
      testResults: f.cases.map((c) => c.result),
      perfStats: { start: first.at - (first.result.duration ?? 0), end: last.at, runtime: last.at - first.at + (first.result.duration ?? 0) },
      numFailingTests: count('failed'),
      numPassingTests: count('passed'),
      numPendingTests: f.cases.length - count('failed') - count('passed'),
    });
  }
  const numFailedTestSuites = testResults.filter((r) => r.numFailingTests > 0 || r.testExecError).length;
  return {
    results: {
      startTime: start,
      success: false,
      testResults,
      numFailedTestSuites,
      numRuntimeErrorTestSuites: testResults.filter((r) => r.testExecError).length,
    },
    unfinished: [...started.values()],
    incompleteFiles,
  };
}
