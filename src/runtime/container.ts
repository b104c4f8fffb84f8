/**
 * Container runtime: an endpoint in a container from one of the lab's images (testcontainers 11; 12 needs
 * Node 22). Host network, so the endpoint binds its own 127.x address and Via/Contact are what the wire shows.
 * Readiness comes from a line the endpoint logs (port waits don't see UDP on the host network).
 *
 * With no registry the reaper (Ryuk) can't be pulled, so it is off, and cleanup is ours: every container
 * carries `sipwright.run=<owner pid>:<owner start time>`, is removed on exit and on SIGINT/SIGTERM, and a
 * crashed owner's containers are removed at the next start (reapStaleContainers).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { StartedTestContainer } from 'testcontainers';
import { ensureDocker } from '../env/docker.js';
import { redact } from '../report/redact.js';
import { onExitOrSignal } from './exit-cleanup.js';
import { isAlive, processStartTime } from './process-registry.js';
import { EnvironmentError, ProcessStartError } from './native.js';

// Read by testcontainers when it first talks to docker; set before it is loaded (it is imported lazily below).
// Without them it pulls the reaper and an alpine image to find the host, and neither can be pulled here.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

export const RUN_LABEL = 'sipwright.run';
/** Names the endpoint (e.g. "kamailio@127.100.3.10:5060") in `docker ps`. */
export const NAME_LABEL = 'sipwright.name';
/** The host folder made for the container's runtime files (see ContainerOptions.hostDir). */
export const DIR_LABEL = 'sipwright.dir';

export interface ContainerFile {
  /** Path inside the container. */
  target: string;
  content: string | Buffer;
  /** File mode (0o600 for files holding secrets). */
  mode?: number;
}

export interface ContainerOptions {
  name: string;
  image: string;
  command: string[];
  /** Copied in before the container starts. */
  files?: ContainerFile[];
  /** Host folders or files mounted at the same or another path (a control socket the host talks to); rw by default. */
  binds?: Array<{ source: string; target: string; mode?: 'ro' | 'rw' }>;
  /** The command's working directory. */
  workingDir?: string;
  /** "uid:gid" to run as (files it writes into a bound host folder then belong to that user). */
  user?: string;
  env?: Record<string, string>;
  readyLine?: RegExp;
  readyTimeoutMs?: number;
  /** Also append the container's output to this file (a report attachment). */
  logFile?: string;
  /** Values to mask as `***` in the kept output and errors. */
  secrets?: readonly string[];
  /**
   * A folder made on the host for this container (ownTempDir: a config with account hashes, a TLS key). Its path
   * is labelled on the container, so when this process is killed outright the next start removes the folder with
   * the container. The driver still removes it at stop().
   */
  hostDir?: string;
}

/**
 * CPU shares while a container boots, and once it is ready. Docker puts the containers in cgroups of their own
 * (cgroup v1 here: all of them together weigh what one nice-0 host process does), where they split the CPU
 * evenly. An Asterisk booting (seconds of CPU, as another jest worker starts its targets) halved what the
 * running one serving a test got, and that one answered an INVITE 300 ms late, after the UA's retransmission
 * (seen: two 401s, TMR-09 on a good PBX). Booting, a container weighs an eighth of a running one.
 */
const BOOT_CPU_SHARES = 128;
const RUN_CPU_SHARES = 1024;

export function ownerLabel(pid = process.pid): string {
  return `${pid}:${processStartTime(pid)}`;
}

export interface LabelledContainer {
  id: string;
  run: string;
  name: string;
  /** The host folder made for it, if any. */
  dir: string;
}

/** Every container sipwright started on this machine (any owner, running or not). */
export function labelledContainers(): LabelledContainer[] {
  const r = spawnSync('docker', ['ps', '-a', '--filter', `label=${RUN_LABEL}`, '--format', `{{.ID}}\t{{.Label "${RUN_LABEL}"}}\t{{.Label "${NAME_LABEL}"}}\t{{.Label "${DIR_LABEL}"}}`], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) return [];
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [id = '', run = '', name = '', dir = ''] = l.split('\t');
    return { id, run, name, dir };
  });
}

function removeContainers(ids: string[]): void {
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore', timeout: 30_000 });
}

/**
 * Removes this process's containers without waiting for docker: a detached `docker rm -f` that outlives an
 * exiting process. For an exit handler; a container it misses has a dead owner afterwards and is reaped.
 */
export function removeOwnedDetached(): void {
  const r = spawnSync('docker', ['ps', '-aq', '--filter', `label=${RUN_LABEL}=${ownerLabel()}`], { encoding: 'utf8', timeout: 5_000 });
  const ids = (r.stdout ?? '').split('\n').filter(Boolean);
  if (ids.length) spawn('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore', detached: true }).unref();
}

/** Removes containers whose owner process is gone (a run that crashed or was killed). Returns them. */
export function reapStaleContainers(): LabelledContainer[] {
  const stale = labelledContainers().filter((c) => {
    const [pid, start] = c.run.split(':');
    return !isAlive(Number(pid), start);
  });
  removeContainers(stale.map((c) => c.id));
  for (const c of stale) if (ownFolder(c.dir)) rmSync(c.dir, { recursive: true, force: true });
  return stale;
}

/** A label is only a string: only a folder of the shape ownTempDir makes, in the temp dir, is removed for it. */
function ownFolder(dir: string): boolean {
  return dir !== '' && isAbsolute(dir) && dirname(dir) === resolve(tmpdir()) && /^sipwright-[a-z]+-[A-Za-z0-9]{6}$/.test(basename(dir));
}

const live = new Set<string>();
/** Starts in flight: their container exists before start() resolves, so it is found by label instead. */
let starting = 0;
let handlersInstalled = false;

function removeAllSync(): void {
  const ids = [...live];
  if (starting > 0) {
    const r = spawnSync('docker', ['ps', '-aq', '--filter', `label=${RUN_LABEL}=${ownerLabel()}`], { encoding: 'utf8', timeout: 10_000 });
    ids.push(...(r.stdout ?? '').split('\n').filter(Boolean));
  }
  // One created by the daemon after this runs has a dead owner by then: the next start reaps it.
  removeContainers(ids);
  live.clear();
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  onExitOrSignal(removeAllSync);
}

let prepared: Promise<void> | undefined;

/** Once per process: a daemon that answers, and no leftovers of a crashed run. */
function prepare(): Promise<void> {
  prepared ??= (async () => {
    try {
      await ensureDocker();
    } catch (e) {
      prepared = undefined;
      throw new EnvironmentError((e as Error).message);
    }
    reapStaleContainers();
  })();
  return prepared;
}

export class ContainerProcess {
  private out: string;
  private ended = false;
  /** Resolves once the container's output stream has ended: everything it printed is in output(). */
  private readonly logsEnded: Promise<void>;

  /** `initial` is what the container printed before this object listened (its start, up to the ready line). */
  constructor(
    readonly name: string,
    private readonly container: StartedTestContainer,
    private readonly secrets: readonly string[],
    logs: Readable,
    initial: string,
    logFile?: string,
  ) {
    this.out = initial;
    // Appended synchronously, chunk by chunk: the file is as current as output() at any moment, so a report
    // attached right after a failure holds everything the container printed (a write stream lagged behind).
    if (logFile) appendFileSync(logFile, this.output());
    logs.on('data', (chunk: Buffer | string) => {
      const s = chunk.toString();
      this.out += s;
      if (logFile) appendFileSync(logFile, this.secrets.length ? redact(s, this.secrets) : s);
    });
    this.logsEnded = new Promise((done) => {
      logs.on('end', () => {
        this.ended = true;
        done();
      });
      // A container that already exited (a one-shot endpoint such as SIPp) may have ended its stream already.
      if (logs.readableEnded) {
        this.ended = true;
        done();
      }
    });
  }

  private async docker() {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    return { client, container: client.container.getById(this.id) };
  }

  /** The pid of the container's first process as the host sees it (0 once it has exited). */
  async hostPid(): Promise<number> {
    const { client, container } = await this.docker();
    return (await client.container.inspect(container)).State.Pid;
  }

  /** Sends a signal to the container's first process (SIGUSR1 for SIPp's "quit"); nothing when it has stopped. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!live.has(this.id)) return;
    const { container } = await this.docker();
    try {
      await container.kill({ signal });
    } catch {
      /* not running any more */
    }
  }

  /**
   * For a container that ends by itself: resolves with its exit code once it has stopped and its output has
   * been read to the end (the container itself stays until stop()). null when it was removed first.
   */
  async waitExit(): Promise<number | null> {
    let code: number | null = null;
    try {
      const { container } = await this.docker();
      code = ((await container.wait()) as { StatusCode: number }).StatusCode;
    } catch {
      /* removed by stop() meanwhile */
    }
    // The stream ends a moment after the process; a bound, so a stuck stream can't hold a result back.
    await Promise.race([this.logsEnded, new Promise((r) => setTimeout(r, 2000).unref())]);
    return code;
  }

  get id(): string {
    return this.container.getId();
  }

  /** Everything the container printed so far (stdout and stderr), secrets masked. */
  output(): string {
    return this.secrets.length ? redact(this.out, this.secrets) : this.out;
  }

  tail(lines = 15): string {
    return this.output().trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** True while the container runs (its log stream ends when it stops). */
  get running(): boolean {
    return !this.ended && live.has(this.id);
  }

  /** Runs a command inside the container (e.g. kamcmd, asterisk -rx). */
  async exec(command: string[]): Promise<{ exitCode: number; output: string }> {
    const r = await this.container.exec(command);
    return { exitCode: r.exitCode, output: r.output };
  }

  /** Stops and removes the container: SIGTERM, then SIGKILL after `graceMs`. Safe to call twice. */
  async stop(graceMs = 3000): Promise<void> {
    if (!live.has(this.id)) return;
    try {
      await this.container.stop({ timeout: graceMs, remove: true, removeVolumes: true });
    } finally {
      live.delete(this.id);
      removeContainers([this.id]);
    }
  }
}

/** Starts a container and resolves when its ready line appears (or at once without one). */
export async function startContainer(opts: ContainerOptions): Promise<ContainerProcess> {
  await prepare();
  installExitHandlers();
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  // testcontainers' way to reach a create option it has no method for: a container class of one's own.
  class EndpointContainer extends GenericContainer {
    withCpuShares(shares: number): this {
      this.hostConfig.CpuShares = shares;
      return this;
    }
  }
  const ownId = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  let stream: Readable | undefined;
  let kept = '';
  const keep = (d: Buffer | string) => (kept += d.toString());
  let c = new EndpointContainer(opts.image)
    .withNetworkMode('host')
    .withLabels({ [RUN_LABEL]: ownerLabel(), [NAME_LABEL]: opts.name, 'sipwright.id': ownId, ...(opts.hostDir ? { [DIR_LABEL]: opts.hostDir } : {}) })
    .withCommand(opts.command)
    .withEnvironment(opts.env ?? {})
    .withLogConsumer((s) => {
      stream = s;
      s.on('data', keep);
    });
  if (opts.files?.length) c = c.withCopyContentToContainer(opts.files.map((f) => ({ content: f.content, target: f.target, mode: f.mode })));
  if (opts.binds?.length) c = c.withBindMounts(opts.binds.map((b) => ({ source: b.source, target: b.target, mode: b.mode ?? 'rw' })));
  if (opts.workingDir) c = c.withWorkingDir(opts.workingDir);
  if (opts.user) c = c.withUser(opts.user);
  if (opts.readyLine) c = c.withWaitStrategy(Wait.forLogMessage(opts.readyLine)).withStartupTimeout(opts.readyTimeoutMs ?? 15_000).withCpuShares(BOOT_CPU_SHARES);
  let started: StartedTestContainer;
  starting++;
  try {
    started = await c.start();
  } catch (e) {
    // testcontainers removes a container that never got ready; this covers a failure before that point.
    const r = spawnSync('docker', ['ps', '-aq', '--filter', `label=sipwright.id=${ownId}`], { encoding: 'utf8' });
    removeContainers(r.stdout.split('\n').filter(Boolean));
    const output = opts.secrets?.length ? redact(kept, opts.secrets) : kept;
    const tail = output.trimEnd().split('\n').slice(-15).join('\n');
    throw new ProcessStartError(`${opts.name} (container ${opts.image}) did not start: ${(e as Error).message}${tail ? `. Last output:\n${tail}` : ''}`);
  } finally {
    starting--;
  }
  live.add(started.getId());
  if (opts.readyLine) {
    try {
      const client = await getContainerRuntimeClient();
      await client.container.getById(started.getId()).update({ CpuShares: RUN_CPU_SHARES });
    } catch (e) {
      live.delete(started.getId());
      removeContainers([started.getId()]);
      throw new ProcessStartError(`${opts.name} (container ${opts.image}) started, but docker would not give it its CPU share: ${(e as Error).message}`);
    }
  }
  // Synchronous from here: no chunk can arrive between reading `kept` and the new listener.
  const logs = stream ?? (await started.logs());
  logs.off('data', keep);
  return new ContainerProcess(opts.name, started, opts.secrets ?? [], logs, kept, opts.logFile);
}
