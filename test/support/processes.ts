/** The process tree as /proc shows it: which processes a run (a `sipwright run` child) started, however deep. */
import { readdirSync, readFileSync } from 'node:fs';

export function parentOf(pid: number): number | undefined {
  try {
    // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** `pid` is `root` or under it. */
export function descends(pid: number, root: number): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf(p), hops++) if (p === root) return true;
  return false;
}

/** Every process under `root`, the run itself included (its jest, the workers, the endpoints they started). */
export function processesUnder(root: number): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => descends(pid, root));
}
