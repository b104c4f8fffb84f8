/**
 * Cleanups that must run however this process ends: at 'exit', and on SIGINT/SIGTERM/SIGHUP, whose default
 * action ends the process without 'exit'. The signal is raised again after the cleanups, so the process still
 * dies of it (exit status 128+n) as it would have. Inside a jest worker none of this fires (jest's sandboxed
 * `process`); the process registry and the container labels cover that case.
 *
 * A command with slow work of its own to do first (`sipwright run` stopping jest and writing the report of
 * the tests that finished) intercepts the signals instead, and ends the process with dieOf() when done.
 */
import { constants } from 'node:os';

export const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type TerminatingSignal = (typeof TERMINATING_SIGNALS)[number];

const cleanups = new Set<() => void>();
let exitInstalled = false;
let signalsInstalled = false;
let interceptor: ((signal: TerminatingSignal) => void) | undefined;

/**
 * Runs `cleanup` (synchronous) at exit or on a terminating signal, once per process end. Returns a function
 * that withdraws it (for a resource that ended normally).
 */
export function onExitOrSignal(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  if (!exitInstalled) {
    exitInstalled = true;
    process.on('exit', runAll);
  }
  installSignalListeners();
  return () => cleanups.delete(cleanup);
}

/**
 * Until the returned release function is called, a terminating signal does not end this process: `handler`
 * gets it, with how many have arrived so far (a second Ctrl-C means "stop now"). The handler owns the end:
 * it calls dieOf() once its work is done.
 */
export function interceptSignals(handler: (signal: TerminatingSignal, count: number) => void): () => void {
  let count = 0;
  const mine = (signal: TerminatingSignal) => handler(signal, ++count);
  interceptor = mine;
  installSignalListeners();
  return () => {
    if (interceptor === mine) interceptor = undefined;
  };
}

/** 128 + the signal's number: the status a shell shows for a process killed by it (143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Ends this process by `signal`, after the registered cleanups, so its parent sees what killed it (a shell
 * script stops at a child killed by SIGINT, and `timeout` reports 124 only for a child that died of its signal).
 */
export function dieOf(signal: TerminatingSignal): void {
  interceptor = undefined;
  runAll();
  for (const sig of TERMINATING_SIGNALS) process.removeListener(sig, onSignal);
  process.exitCode = signalExitCode(signal);
  // With no listener left the default action applies, and kill() delivers it before returning. Should some
  // other module still listen, the process ends at once with the same status instead.
  process.kill(process.pid, signal);
  if (process.listenerCount(signal) > 0) process.exit(signalExitCode(signal));
}

function installSignalListeners(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const sig of TERMINATING_SIGNALS) process.on(sig, onSignal);
}

function onSignal(signal: TerminatingSignal): void {
  if (interceptor) interceptor(signal);
  else dieOf(signal);
}

function runAll(): void {
  // Once per process end: 'exit' follows dieOf's cleanups when the signal does not end the process itself.
  const all = [...cleanups];
  cleanups.clear();
  // Each cleanup is independent: one that throws must not keep the others from running.
  for (const c of all) {
    try {
      c();
    } catch {
      /* the next start's reaping is the fallback */
    }
  }
}
