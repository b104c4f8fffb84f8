/**
 * Cleanups that must run however this process ends: at 'exit', and on SIGINT/SIGTERM/SIGHUP, whose default
 * action ends the process without 'exit'. The signal is raised again after the cleanups, so the process still
 * dies of it (exit status 128+n) as it would have. Inside a jest worker none of this fires (jest's sandboxed
 * `process`); the process registry and the container labels cover that case.
 */
const cleanups: Array<() => void> = [];
let installed = false;

/** Runs `cleanup` (synchronous) at exit or on a terminating signal, once per process end. */
export function onExitOrSignal(cleanup: () => void): void {
  cleanups.push(cleanup);
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      runAll();
      process.kill(process.pid, sig);
    });
  }
}

function runAll(): void {
  // Each cleanup is independent: one that throws must not keep the others from running.
  for (const c of cleanups) {
    try {
      c();
    } catch {
      /* the next start's reaping is the fallback */
    }
  }
}
