/**
 * A record on disk of every process group sipwright starts, so that a run which crashed (or a jest worker
 * killed with SIGKILL) has its leftovers removed at the next start. Exit handlers cover the normal cases;
 * this covers the rest. For a run stopped by a signal, the process groups as the kernel sees them (/proc):
 * stopGroupTree() stops jest's group and the endpoints it started, recorded yet or not.
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface RegistryEntry {
  pgid: number;
  name: string;
  command: string;
  owner: number;
  /** Start time of the owner (from /proc), so a reused pid is not mistaken for a live owner. */
  ownerStart: string;
  /** The group's runtime folder, removed with it when the owner is gone. */
  dir?: string;
}

export function stateDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return process.env.SIPWRIGHT_STATE_DIR ?? join(tmpdir(), `sipwright-${uid}`);
}

function registryDir(): string {
  const dir = join(stateDir(), 'procs');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Field 22 of /proc/PID/stat: the start time in clock ticks since boot; '' when the process is gone. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after the last ')' are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? '';
  } catch {
    return '';
  }
}

/** Field 3 of /proc/PID/stat: R, S, D, T (stopped), Z (zombie) …; '' when the process is gone. */
function processState(pid: number): string {
  return procStat(pid)?.state ?? '';
}

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '', ppid = '0', pgid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state, ppid: Number(ppid), pgid: Number(pgid) };
  } catch {
    return undefined;
  }
}

/**
 * A zombie counts as dead: it runs nothing, and on machines whose PID 1 does not reap orphans (seen here)
 * a killed endpoint's children stay zombies for good.
 */
export function isAlive(pid: number, start?: string): boolean {
  const now = processStartTime(pid);
  if (now === '' || (start !== undefined && now !== start)) return false;
  const state = processState(pid);
  return state !== 'Z' && state !== 'X' && state !== '';
}

export function register(entry: Omit<RegistryEntry, 'owner' | 'ownerStart'>): void {
  const full: RegistryEntry = { ...entry, owner: process.pid, ownerStart: processStartTime(process.pid) };
  writeFileSync(join(registryDir(), `${entry.pgid}.json`), JSON.stringify(full));
}

export function unregister(pgid: number): void {
  rmSync(join(registryDir(), `${pgid}.json`), { force: true });
}

/** Sends `signal` to process group `pgid`; false when the group is gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills (SIGKILL) every process group this process registered and removes their entries and folders: for a
 * process that is ending and cannot wait (an exit handler). Returns what it killed.
 */
export function killOwnedSync(): RegistryEntry[] {
  const dir = registryDir();
  const killed: RegistryEntry[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    try {
      const entry = JSON.parse(readFileSync(join(dir, file), 'utf8')) as RegistryEntry;
      if (entry.owner !== process.pid) continue;
      killGroup(entry.pgid, 'SIGKILL');
      if (entry.dir) rmSync(entry.dir, { recursive: true, force: true });
      rmSync(join(dir, file), { force: true });
      killed.push(entry);
    } catch {
      /* a half-written entry: the next start's reaping handles it */
    }
  }
  return killed;
}

/** Kills the process groups whose owner is gone. Returns what was removed, for a log line. */
export function reapStale(): RegistryEntry[] {
  const dir = registryDir();
  const reaped: RegistryEntry[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    let entry: RegistryEntry;
    try {
      entry = JSON.parse(readFileSync(join(dir, file), 'utf8')) as RegistryEntry;
    } catch {
      rmSync(join(dir, file), { force: true });
      continue;
    }
    if (isAlive(entry.owner, entry.ownerStart)) continue;
    killGroup(entry.pgid, 'SIGKILL');
    if (entry.dir) rmSync(entry.dir, { recursive: true, force: true });
    rmSync(join(dir, file), { force: true });
    reaped.push(entry);
  }
  return reaped;
}

export function liveEntries(): RegistryEntry[] {
  const dir = registryDir();
  const out: RegistryEntry[] = [];
  for (const file of readdirSync(dir)) {
    try {
      const e = JSON.parse(readFileSync(join(dir, file), 'utf8')) as RegistryEntry;
      if (isAlive(e.pgid)) out.push(e);
    } catch {
      /* a half-written entry: ignore */
    }
  }
  return out;
}

/** Every process on the machine that is not a zombie (a zombie runs nothing and holds nothing). */
function liveProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = procStat(Number(name));
    if (p && p.state !== 'Z' && p.state !== 'X') out.push(p);
  }
  return out;
}

/** The pids of process group `pgid` that still run (zombies left out: on this kind of machine nobody reaps them). */
export function groupMembers(pgid: number): number[] {
  return liveProcesses().filter((p) => p.pgid === pgid).map((p) => p.pid);
}

/** The program a process runs (basename of /proc/PID/exe); '' when it is gone or not ours to read. */
export function executableName(pid: number): string {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return '';
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Stops process group `pgid` and every process its members started into groups of their own (detached
 * spawns: the endpoints, Kamailio with all it forked), which a signal to the group does not reach. The group
 * is frozen first (SIGSTOP), so nothing new starts while its children are listed: an endpoint spawned but not
 * yet recorded in the registry (its owner killed between the two) is found as a child all the same. Then
 * `signal` goes to the group, and SIGKILL to each detached child's group but those `spare` keeps (a daemon
 * started to outlive the run). Synchronous, for exit handlers too. Returns the detached children it killed.
 */
export function stopGroupTree(pgid: number, signal: NodeJS.Signals, spare: (pid: number) => boolean = () => false): number[] {
  if (!killGroup(pgid, 'SIGSTOP')) return [];
  // SIGSTOP lands asynchronously on another CPU: wait (briefly) until no member can still fork.
  for (let i = 0; i < 50; i++) {
    const running = liveProcesses().filter((p) => p.pgid === pgid && p.state !== 'T' && p.state !== 't');
    if (running.length === 0) break;
    sleepSync(2);
  }
  const all = liveProcesses();
  const members = new Set(all.filter((p) => p.pgid === pgid).map((p) => p.pid));
  const detached = all.filter((p) => members.has(p.ppid) && p.pgid !== pgid && !spare(p.pid)).map((p) => p.pid);
  killGroup(pgid, signal);
  // A stopped process acts on a signal only once continued (SIGKILL aside).
  killGroup(pgid, 'SIGCONT');
  for (const pid of detached) if (!killGroup(pid, 'SIGKILL')) killPid(pid);
  return detached;
}

/** Waits (blocking: it also runs from an exit handler) until group `pgid` has no live member; false on timeout. */
export function waitForGroupEndSync(pgid: number, timeoutMs: number): boolean {
  for (const deadline = Date.now() + timeoutMs; groupMembers(pgid).length > 0; sleepSync(10)) {
    if (Date.now() > deadline) return false;
  }
  return true;
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
