/** The lines `sipwright run` prints: one per finished test, then the totals. Pure, so it is tested directly. */
import type { SummaryStatus } from './jest-results.js';

export const MARK: Record<SummaryStatus, string> = { passed: '✓', failed: '✗', skipped: '○' };

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export interface ProgressLine {
  status: SummaryStatus;
  suite: string;
  fullName: string;
  durationMs?: number | null;
  failureMessage?: string;
  skipReason?: string;
}

/** `✓ suite › name (12 ms)`, a failure's message indented under it, a skip's reason after a dash. */
export function formatTestLine(t: ProgressLine, color = false): string {
  const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const mark = paint(t.status === 'passed' ? 32 : t.status === 'failed' ? 31 : 33, MARK[t.status]);
  let line = `${mark} ${t.suite} › ${t.fullName}`;
  if (t.status !== 'skipped' && t.durationMs !== undefined && t.durationMs !== null) line += ` (${formatDuration(t.durationMs)})`;
  if (t.status === 'skipped') line += ` — skipped${t.skipReason ? `: ${t.skipReason}` : ''}`;
  if (t.status === 'failed' && t.failureMessage) {
    const body = t.failureMessage.split('\n').filter((l, i, all) => !(l.trim() === '' && all[i - 1]?.trim() === ''));
    line += '\n' + body.map((l) => (l ? `    ${l}` : '')).join('\n');
  }
  return line;
}

/** The closing line: `N passed, N failed, N skipped`, alone on its line so scripts and CI can read it. */
export function formatTotals(totals: { passed: number; failed: number; skipped: number }): string {
  return `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
}
