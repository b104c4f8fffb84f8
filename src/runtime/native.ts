/**
 * Native runtime: an endpoint as a child process in a process group of its own, so stopping it stops every
 * process it forked (Kamailio forks a dozen). Readiness comes from a line the process prints, never a sleep.
 * Groups are recorded in the process registry and killed on exit, on SIGINT/SIGTERM, and (for a crashed owner)
 * at the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, type WriteStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import { redact } from '../report/redact.js';
import { onExitOrSignal } from './exit-cleanup.js';
import { atEndpointPriority } from './priority.js';
import { register, unregister } from './process-registry.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Shown in errors and logs, e.g. "kamailio@127.20.1.3:5060". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve once a line of stdout or stderr matches. */
  readyLine?: RegExp;
  readyTimeoutMs?: number;
  /** Also append everything the process prints to this file (an attachment for reports). */
  logFile?: string;
  /** How the binary is installed, for the error when it is missing (e.g. "apt-get install kamailio"). */
  installHint?: string;
  /**
   * Values passed in `args` that must not be recorded (a password given to SIPp with -ap): masked as `***`
   * in the registry entry on disk, in the kept output and in error messages. The process itself gets them.
   */
  secrets?: readonly string[];
  /** The process's runtime folder: recorded with its group, so a run killed outright has it removed too. */
  dir?: string;
  /** Run it inside this network namespace (`ip netns exec`), as a host of its own (see netns.ts). */
  netns?: string;
}

export class EnvironmentError extends Error {}

export class ProcessStartError extends Error {}

const MAX_KEPT = 8 * 1024 * 1024;

/** Finds a binary on PATH (plus the sbin folders, where Debian puts kamailio). */
export function which(command: string): string | undefined {
  if (command.includes('/')) {
    // A path is checked too, so a missing binary given by path is an EnvironmentError, not a spawn failure.
    try {
      accessSync(command, constants.X_OK);
      return command;
    } catch {
      return undefined;
    }
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/local/sbin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, command);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

const live = new Set<NativeProcess>();
let handlersInstalled = false;

function killAllSync(): void {
  for (const p of live) p.killGroup('SIGKILL');
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  onExitOrSignal(killAllSync);
}

export class NativeProcess {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private out = '';
  private err = '';
  private exitInfo: ExitInfo | undefined;
  private lineWaiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  private partial = '';

  constructor(private readonly child: ChildProcess, name: string, log?: WriteStream, private readonly secrets: readonly string[] = []) {
    this.name = name;
    this.pid = child.pid!;
    const onData = (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      // Per chunk: a secret split across two chunks would slip through, so callers with secrets should not
      // rely on logFile alone (output() below redacts the whole text).
      log?.write(this.secrets.length ? redact(s, this.secrets) : chunk);
      if (this.out.length < MAX_KEPT) this.out += s;
      this.scanLines(s);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    // stderr alone too: for SIPp it holds the errors, while stdout holds its periodic screen.
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.err.length < MAX_KEPT) this.err += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        unregister(this.pid);
        log?.end();
        resolve(this.exitInfo);
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Everything printed so far, stdout and stderr interleaved as they arrived. */
  output(): string {
    return this.secrets.length ? redact(this.out, this.secrets) : this.out;
  }

  /** What the process wrote to stderr only. */
  stderr(): string {
    return this.secrets.length ? redact(this.err, this.secrets) : this.err;
  }

  /** The last lines of output, for error messages. */
  tail(lines = 15): string {
    return this.output().trimEnd().split('\n').slice(-lines).join('\n');
  }

  private scanLines(s: string): void {
    const text = this.partial + s;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      for (const w of [...this.lineWaiters]) {
        if (w.re.test(line)) {
          this.lineWaiters.splice(this.lineWaiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  }

  /** Waits for a line matching `re` (already printed lines count too). Rejects if the process exits first. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.out.split('\n').find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lineWaiters = this.lineWaiters.filter((w) => w.resolve !== done);
        reject(new ProcessStartError(`${this.name}: not ready after ${timeoutMs} ms (waiting for ${re}). Last output:\n${this.tail()}`));
      }, timeoutMs);
      const done = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.lineWaiters.push({ re, resolve: done });
      void this.exited.then((info) => {
        if (!this.lineWaiters.some((w) => w.resolve === done)) return;
        clearTimeout(timer);
        this.lineWaiters = this.lineWaiters.filter((w) => w.resolve !== done);
        reject(new ProcessStartError(`${this.name} exited (${describeExit(info)}) before it was ready. Last output:\n${this.tail()}`));
      });
    });
  }

  killGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      /* already gone */
    }
  }

  /** Stops the whole process group: `signal` first, SIGKILL after `graceMs`. Safe to call twice. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<ExitInfo> {
    if (this.exitInfo) {
      // The leader is gone, but children it forked may not be.
      this.killGroup('SIGKILL');
      return this.exitInfo;
    }
    // The leader first: Kamailio's main process stops its children itself, and does so promptly only when
    // they are not all signalled at once. Whatever is left of the group is killed after it.
    try {
      process.kill(this.pid, signal);
    } catch {
      this.killGroup(signal);
    }
    const timer = setTimeout(() => this.killGroup('SIGKILL'), graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    this.killGroup('SIGKILL');
    return info;
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
}

/** Starts a process in its own group; resolves when it is ready (its ready line, or at once without one). */
export async function spawnNative(opts: SpawnOptions): Promise<NativeProcess> {
  const path = which(opts.command);
  if (!path) {
    throw new EnvironmentError(`${opts.command} is not installed${opts.installHint ? `: ${opts.installHint}` : ''} (needed by ${opts.name})`);
  }
  installExitHandlers();
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const prioritised = atEndpointPriority(path, opts.args);
  // `ip netns exec` execs the command in place: the group, the pid and the signals stay the endpoint's.
  const command = opts.netns ? { path: which('ip') ?? 'ip', args: ['netns', 'exec', opts.netns, prioritised.path, ...prioritised.args] } : prioritised;
  const child = spawn(command.path, command.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  if (child.pid === undefined) {
    const err = await spawnError;
    throw new ProcessStartError(`${opts.name}: could not start ${path}: ${err.message}`);
  }
  const proc = new NativeProcess(child, opts.name, log, opts.secrets);
  live.add(proc);
  register({ pgid: child.pid, name: opts.name, command: redact([path, ...opts.args].join(' '), opts.secrets ?? []), ...(opts.dir ? { dir: opts.dir } : {}) });
  if (opts.readyLine) {
    try {
      await proc.waitForLine(opts.readyLine, opts.readyTimeoutMs ?? 10_000);
    } catch (e) {
      await proc.stop('SIGKILL', 0);
      throw e;
    }
  }
  return proc;
}

/** Runs a command to completion (no group bookkeeping needed: it is short-lived) and returns its output. */
export function runToEnd(command: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const path = which(command);
    if (!path) {
      reject(new EnvironmentError(`${command} is not installed`));
      return;
    }
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
