/**
 * Which labelled containers a test may call its own. Test files run in parallel jest workers, and several
 * start containers (Asterisk, SIPp) at the same time: "any sipwright container" would be another file's.
 */
import { readFileSync } from 'node:fs';
import { labelledContainers, type LabelledContainer } from '../../src/runtime/container.js';
import { isAlive } from '../../src/runtime/process-registry.js';

function ownerPid(c: LabelledContainer): number {
  return Number(c.run.split(':')[0]);
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function descends(pid: number, root: number): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf(p), hops++) if (p === root) return true;
  return false;
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
