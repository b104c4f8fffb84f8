/**
 * A finished SIPp run as data: what the exit means, SIPp's statistics and every error it reported, from
 * the error trace file and from stderr (which is always read: the errors that stop SIPp before its traces
 * open, such as a bind failure or a scenario it cannot parse, are only there).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { redact } from '../../src/report/redact.js';
import type { RunFiles } from './args.js';
import { interpretExit, type SippOutcome } from './exit-codes.js';
import { buildStats, type SippStats } from './stats.js';

export interface SippResult {
  /** SIPp's exit code (0..255), or null when it was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  outcome: SippOutcome;
  /** What the exit means in words, e.g. "at least one call failed". */
  meaning: string;
  /** Exit code 0: every call of the scenario completed. */
  ok: boolean;
  stats: SippStats;
  /** The errors SIPp reported (timestamps removed, duplicates dropped), in order. */
  errors: string[];
  stderr: string;
  /** The scenario XML that ran. */
  xml: string;
  /** The command line, password masked. */
  command: string;
  files: RunFiles & { dir: string; command: string; stderr: string };
  durationMs: number;
  /** True when sipwright's own watchdog had to kill SIPp (it outlived its -timeout). */
  watchdogKilled: boolean;
  /** True when stop() ended SIPp before it ended by itself. */
  stopped: boolean;
  /** Where it ran: the host's SIPp, or the sipp image's. */
  runtime: 'native' | 'container';
}

/** SIPp's error lines start with "2026-11-23<TAB>22:06:50.112993<TAB>1795471610.112993: ". */
const STAMPED = /^\d{4}-\d{2}-\d{2}\t[\d:.]+\t[\d.]+: (.*)$/;
/**
 * Not errors: SIPp's notes, and a recv that timed out into its `ontimeout` label, which is the scenario's own
 * branch ("while NOTIFYs may still come, wait this long"), logged as an event all the same.
 */
const NOISE = [/^Resolving remote host/, /^There were more errors, enable -trace_err/, /^The following events occurred:/, /^\s*$/, /receive timeout on message \S+, jumping to label \S+$/];

export function collectErrors(errorFile: string | undefined, stderr: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (line: string) => {
    const text = (STAMPED.exec(line)?.[1] ?? line).trim();
    if (!text || NOISE.some((re) => re.test(text)) || seen.has(text)) return;
    seen.add(text);
    out.push(text);
  };
  // The error file also gets a copy of the screen after its events; only stamped lines are errors there.
  if (errorFile) for (const line of errorFile.split('\n')) if (STAMPED.test(line)) add(line);
  for (const line of stderr.split('\n')) add(line);
  return out;
}

function readIf(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export interface FinishedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  xml: string;
  command: string;
  files: SippResult['files'];
  secrets: readonly string[];
  durationMs: number;
  watchdogKilled: boolean;
  stopped: boolean;
  runtime: 'native' | 'container';
}

/**
 * Reads the run's files and builds the result. Text files holding a secret are rewritten masked first:
 * SIPp is not known to print the password, but the log dir is a report attachment and must never hold it.
 */
export function buildResult(run: FinishedRun): SippResult {
  const f = run.files;
  for (const path of [f.errors, f.messages, f.screen, f.stats, f.logs]) {
    const text = readIf(path);
    if (text !== undefined && run.secrets.some((s) => s && text.includes(s))) writeFileSync(path, redact(text, run.secrets));
  }
  writeFileSync(f.stderr, run.stderr);
  const errorsText = readIf(f.errors);
  const stats = buildStats(readIf(f.stats), readIf(f.screen));
  const errors = collectErrors(errorsText, run.stderr);
  const { outcome, meaning } = interpretExit(run.code, run.signal, `${errors.join('\n')}\n${run.stderr}`);
  const interpreted = run.watchdogKilled
    ? { outcome: 'killed' as const, meaning: `SIPp outlived its -timeout and was killed by sipwright (${meaning})` }
    : run.stopped
      ? // SIPp exits 0 when told to quit (SIGUSR1, and SIGTERM too), whatever became of its calls.
        { outcome: 'stopped' as const, meaning: `stopped by sipwright before it ended by itself (exit ${run.code ?? run.signal}; see the stats for its calls)` }
      : { outcome, meaning };
  return {
    exitCode: run.code,
    signal: run.signal,
    ...interpreted,
    ok: run.code === 0 && !run.watchdogKilled && !run.stopped,
    stats,
    errors,
    stderr: run.stderr,
    xml: run.xml,
    command: run.command,
    files: f,
    durationMs: run.durationMs,
    watchdogKilled: run.watchdogKilled,
    stopped: run.stopped,
    runtime: run.runtime,
  };
}

/** One paragraph for an assertion message or a log: meaning, counts, first errors, where the files are. */
export function describeResult(r: SippResult): string {
  const head = `SIPp ${r.exitCode === null ? `killed by ${r.signal}` : `exit ${r.exitCode}`}: ${r.meaning}`;
  const counts = `calls: ${r.stats.successful} successful, ${r.stats.failed} failed${Object.keys(r.stats.failedBy).length ? ` (${Object.entries(r.stats.failedBy).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`;
  const errs = r.errors.length ? `\nerrors:\n  ${r.errors.slice(0, 8).join('\n  ')}${r.errors.length > 8 ? `\n  … ${r.errors.length - 8} more` : ''}` : '';
  return `${head}\n${counts}${errs}\nfiles: ${r.files.dir}\ncommand${r.runtime === 'container' ? ' (in the sipp image)' : ''}: ${r.command}`;
}
