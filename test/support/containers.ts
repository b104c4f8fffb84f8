/**
 * Which labelled containers a test may call its own. Test files run in parallel jest workers, and several
 * start containers (Asterisk, SIPp) at the same time: "any sipwright container" would be another file's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { labelledContainers, type LabelledContainer } from '../../src/runtime/container.js';
import { isAlive } from '../../src/runtime/process-registry.js';
import { ROOT } from '../suites/support.js';
import { descends } from './processes.js';

function ownerPid(c: LabelledContainer): number {
  return Number(c.run.split(':')[0]);
}

/** Containers whose owner process is gone: nothing will remove them but the next run's reaping. A leak. */
export function leakedContainers(): string[] {
  return labelledContainers().filter((c) => {
    const [pid, start] = c.run.split(':');
    return !isAlive(Number(pid), start);
  }).map((c) => c.name || c.id);
}

/** Containers started by `root` or a process under it (a `sipwright run` child and its jest workers). */
export function containersUnder(root: number): string[] {
  return labelledContainers().filter((c) => descends(ownerPid(c), root)).map((c) => c.name || c.id);
}

export interface Interrupted {
  /** 'up', or why the run was not interrupted (no matching container in time, with its output). */
  up: string;
  code: number | null;
  /** Endpoint or capture processes on the lab addresses left orphaned (reparented to PID 1). */
  orphans: string[];
}

/**
 * `sipwright run ARGS` as a user starts it in a terminal, and Ctrl-C (SIGINT to its whole process group) once a
 * container under it matches `up`. The run is killed outright if it is still there at the end.
 */
export async function interruptRunWhen(args: string[], up: (container: string) => boolean, what: string): Promise<Interrupted> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), 'run', ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JEST_WORKER_ID: undefined },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    const deadline = Date.now() + 90_000;
    const isUp = () => containersUnder(child.pid!).some(up);
    while (!isUp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!isUp()) return { up: `no ${what} within 90 s:\n${out}`, code: null, orphans: [] };
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    const orphans = spawnSync('ps', ['-eo', 'ppid=,args='], { encoding: 'utf8' }).stdout.split('\n').filter((l) => /^\s*1\s/.test(l) && /sipp|tcpdump|kamailio/.test(l) && l.includes('127.100.'));
    return { up: 'up', code, orphans };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
  }
}
