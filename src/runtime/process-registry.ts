/**
 * A record on disk of every process group sipwright starts, so that a run which crashed (or a jest worker
 * killed with SIGKILL) has its leftovers removed at the next start. Exit handlers cover the normal cases;
 * this covers the rest.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** Field 3 of /proc/PID/stat: R, S, D, Z (zombie) …; '' when the process is gone. */
function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
  } catch {
    return '';
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

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
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
