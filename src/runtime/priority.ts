/**
 * The harness yields the CPU to the endpoints it drives. Between scenarios a suite worker parses captures and
 * runs the rules, CPU-bound, while the other workers' Kamailio, Asterisk and SIPp keep SIP timers of 100 ms.
 * On a 2-core machine, 3 to 5 workers starved them past the rules' tolerance now and then: a good Asterisk
 * was found not retransmitting a 401 within T1 (TMR-09), a good Kamailio relaying a UAS's retransmissions
 * bunched together (REL-05, TMR-13). So a suite worker lowers its own priority, and the endpoints it spawns
 * run at the priority it had (containers are started by dockerd, which never lowered its own). Only root may
 * raise a priority back; elsewhere nothing changes.
 */
import { getPriority, setPriority } from 'node:os';

/** The priority the endpoints run at, as the worker had it before yielding; inherited by child runs. */
const BASE_ENV = 'SIPWRIGHT_ENDPOINT_NICE';
/** How far the harness steps back: at nice +10 the kernel gives a nice-0 task about nine times its share. */
const STEP = 10;

/** Lowers this process's priority below the endpoints' (once, and only as root). */
export function yieldToEndpoints(): void {
  if (process.getuid?.() !== 0 || process.env[BASE_ENV] !== undefined) return;
  const base = getPriority();
  try {
    setPriority(Math.min(19, base + STEP));
    process.env[BASE_ENV] = String(base);
  } catch {
    /* not allowed here: everything keeps one priority, as before */
  }
}

/**
 * The command that starts an endpoint at the endpoints' priority: through nice(1), which sets it before the
 * program runs, so a Kamailio's forked children have it too. Unchanged when the harness has not yielded.
 */
export function atEndpointPriority(path: string, args: string[]): { path: string; args: string[] } {
  const base = process.env[BASE_ENV];
  const delta = base === undefined ? 0 : Number(base) - getPriority();
  if (!Number.isInteger(delta) || delta >= 0) return { path, args };
  return { path: 'nice', args: ['-n', String(delta), path, ...args] };
}
