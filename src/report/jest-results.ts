/**
 * The parts of jest's result objects the reporters read, typed here structurally: the full types live
 * in @jest/test-result, which is only a transitive dependency of jest.
 */
export type JestStatus = 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled' | 'focused';

export interface JestAssertionResult {
  ancestorTitles: string[];
  title: string;
  fullName: string;
  status: JestStatus;
  duration?: number | null;
  failureMessages: string[];
}

export interface JestTestFileResult {
  testFilePath: string;
  testResults: JestAssertionResult[];
  failureMessage?: string | null;
  testExecError?: { message: string; stack?: string | null };
  perfStats: { start: number; end: number; runtime: number };
}

export interface JestAggregatedResult {
  startTime: number;
  success: boolean;
  testResults: JestTestFileResult[];
  numFailedTestSuites: number;
  numRuntimeErrorTestSuites: number;
  runExecError?: { message: string };
}

/** What the summary and the progress lines call a status. */
export type SummaryStatus = 'passed' | 'failed' | 'skipped';

export function summaryStatus(s: JestStatus): SummaryStatus {
  if (s === 'passed' || s === 'failed') return s;
  // pending = test.skip / a skipped describe; todo and disabled never ran either
  return 'skipped';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * A failure message for a person or a script: jest's first failure without colour codes and without
 * the stack (the stack points into the harness, the message says what the wire did wrong).
 */
export function failureText(messages: readonly string[]): string | undefined {
  const first = messages.find((m) => m.trim().length > 0);
  if (first === undefined) return undefined;
  const plain = first.replace(ANSI, '');
  const lines = plain.split('\n');
  const stackAt = lines.findIndex((l) => /^\s+at .+/.test(l));
  return (stackAt >= 0 ? lines.slice(0, stackAt) : lines).join('\n').trimEnd();
}

/** A test file that failed before its tests ran (syntax error, import failure, a throwing describe). */
export function fileError(r: JestTestFileResult): string | undefined {
  if (r.testExecError) return failureText([r.testExecError.message]) ?? 'test file failed to run';
  if (r.testResults.length === 0 && r.failureMessage) return failureText([r.failureMessage]);
  return undefined;
}
