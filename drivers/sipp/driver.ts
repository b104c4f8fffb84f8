/**
 * SIPp as a lab endpoint: configure with withX() options, then `run()` (foreground: resolves when SIPp
 * exits) or `start()` (background: resolves once SIPp's SIP socket is bound, see readiness.ts), as in
 * testcontainers. Runs natively through spawnNative (own process group, registry, cleanup on exit and Ctrl-C),
 * or in the sipp image when the native SIPp can't do what is asked (runtime.ts): same options, same result.
 * A run never rejects because calls failed: the SippResult says what happened. It rejects only when SIPp
 * cannot be run at all (not installed, bad options) or, for start(), when it never became ready.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { isIP } from 'node:net';
import { imageTag } from '../../src/runtime/images/recipe.js';
import type { RuntimeKind } from '../../src/runtime/kind.js';
import { EnvironmentError, spawnNative } from '../../src/runtime/native.js';
import { buildArgs, controlAddress, displayCommand, socketKind, type RunFiles, type SippOptions, type SippTls, type SippTransport } from './args.js';
import { waitUntilBound } from './readiness.js';
import { buildResult, describeResult, type SippResult } from './result.js';
import { chooseRuntime, containerSipp, mountsFor, nativeSipp, pathArguments, whyNotNative, type SippNeeds, type SippProcess } from './runtime.js';
import { ScenarioBuilder } from './scenario.js';

export const SIPP_INSTALL_HINT = 'apt-get install sip-tester (as root), or run `sipwright doctor`';

/** How long after its own -timeout SIPp may take to exit before sipwright kills it. */
const WATCHDOG_GRACE_MS = 5000;

export class SippError extends Error {
  constructor(message: string, readonly result?: SippResult) {
    super(message);
  }
}

type Source = { kind: 'builder'; builder: ScenarioBuilder } | { kind: 'file'; path: string };

export class Sipp {
  private readonly source: Source;
  private readonly o: SippOptions = {
    binary: 'sipp',
    localPort: 5060,
    transport: 'udp',
    calls: 1,
    variables: {},
    globals: {},
    timeoutMs: 30_000,
    injectionFiles: [],
    extraArgs: [],
  };
  private runtime: RuntimeKind = 'auto';
  private needs: SippNeeds = {};
  private keyLog?: string;
  private logDir?: string;
  private readyTimeoutMs = 5000;
  private label?: string;

  /** A scenario from the builder, or the path of an existing SIPp XML file (run as it is). */
  constructor(scenarioOrXmlPath: ScenarioBuilder | string) {
    this.source =
      typeof scenarioOrXmlPath === 'string' ? { kind: 'file', path: resolve(scenarioOrXmlPath) } : { kind: 'builder', builder: scenarioOrXmlPath };
    if (this.source.kind === 'file' && !existsSync(this.source.path)) throw new SippError(`SIPp scenario file ${this.source.path} does not exist`);
  }

  static fromXmlFile(path: string): Sipp {
    return new Sipp(path);
  }

  /** The address (-i, also the control socket's -ci) and SIP port (-p) SIPp binds. Required. */
  withLocal(ip: string, port = 5060): this {
    if (!isIP(ip)) throw new SippError(`withLocal: "${ip}" is not an IP address`);
    this.o.localIp = ip;
    this.o.localPort = port;
    return this;
  }
  /** host:port the calls go to (required for a UAC). */
  withRemote(hostPort: string): this {
    this.o.remote = hostPort;
    return this;
  }
  /** udp (default), tcp, tls, ws or wss. tls, ws and wss run SIPp in the sipp image when the native one lacks them. */
  withTransport(t: SippTransport): this {
    this.o.transport = t;
    return this;
  }
  /**
   * TLS files: `ca` makes SIPp verify the peer's certificate (without it SIPp accepts any), `cert`/`key` are
   * its own (needed only to accept TLS connections).
   */
  withTls(tls: SippTls): this {
    this.o.tls = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined).map(([k, v]) => [k, resolve(v as string)]));
    return this;
  }
  /**
   * Append the TLS secrets of its connections to `file` (NSS key log format), so that a capture of them can be
   * decrypted: SIPp then runs in the sipp image, whose shim logs them (docker/sipp/keylog.c).
   */
  withKeyLog(file: string): this {
    this.keyLog = resolve(file);
    this.needs = { ...this.needs, keyLog: true };
    return this;
  }
  /** A CSV the scenario reads per call (-inf): `[field0]`, `[field1]`, … Repeatable. */
  withInjectionFile(path: string): this {
    const p = resolve(path);
    if (!existsSync(p)) throw new SippError(`SIPp injection file ${p} does not exist`);
    this.o.injectionFiles.push(p);
    return this;
  }
  /**
   * auto (default): natively when the installed SIPp can do the transport, else in the sipp image (SIPp 3.8).
   * native or container force one; native with a SIPp that lacks the transport is an environment error.
   */
  withRuntime(kind: RuntimeKind): this {
    this.runtime = kind;
    return this;
  }
  /** Calls to make (UAC) or to handle (UAS) before exiting: -m. Default 1. */
  withCalls(n: number): this {
    this.o.calls = n;
    return this;
  }
  /** Calls per period (-r, -rp). */
  withRate(calls: number, periodMs?: number): this {
    this.o.rate = { calls, periodMs };
    return this;
  }
  /** Most calls open at once (-l). */
  withCallLimit(n: number): this {
    this.o.limit = n;
    return this;
  }
  /** Credentials for `[authentication]` (-au/-ap). The password is masked as *** everywhere sipwright records. */
  withAuth(user: string, password: string): this {
    this.o.auth = { user, password };
    return this;
  }
  /**
   * The digest algorithms its challenges may name: one beyond MD5 (SHA-256, RFC 8760) needs SIPp 3.8, so `auto`
   * then runs it in the sipp image.
   */
  withDigestAlgorithms(algorithms: readonly string[]): this {
    this.needs = { ...this.needs, sha2Digest: algorithms.some((a) => !/^MD5(-sess)?$/i.test(a)) };
    return this;
  }
  /** `[service]`, the Request-URI user (-s). */
  withService(user: string): this {
    this.o.service = user;
    return this;
  }
  /** `[name]` keywords in messages (-key name value). */
  withVariables(vars: Record<string, string | number>): this {
    for (const [k, v] of Object.entries(vars)) this.o.variables[k] = String(v);
    return this;
  }
  /** Global `[$name]` variables (-set name value). */
  withGlobals(vars: Record<string, string | number>): this {
    for (const [k, v] of Object.entries(vars)) this.o.globals[k] = String(v);
    return this;
  }
  /** Whole-run limit: SIPp stops and fails (-timeout … -timeout_error). SIPp counts whole seconds, so it is rounded up. Default 30 s. */
  withTimeout(ms: number): this {
    this.o.timeoutMs = ms;
    return this;
  }
  /** The control port (-cp, bound on the local address with -ci; IPv4 loopback for an IPv6 one). Default: a free port there. */
  withControlPort(port: number): this {
    this.o.controlPort = port;
    return this;
  }
  /** T1 in ms: the retransmission start for every request of a builder scenario that sets none, and -T2 = 8 × T1. */
  withT1(ms: number): this {
    this.o.t1Ms = ms;
    return this;
  }
  /** The RTP echo/media port base (-mp); SIPp otherwise takes 6000 and up on the local address. */
  withMediaPort(port: number): this {
    this.o.mediaPort = port;
    return this;
  }
  /** Keep the scenario XML, command, stderr and SIPp's trace files here (report attachments). */
  withLogDir(dir: string): this {
    this.logDir = dir;
    return this;
  }
  /** A name for file names and messages (default: the scenario's name). */
  withName(name: string): this {
    this.label = name;
    return this;
  }
  /** The native SIPp binary (default `sipp` on PATH); the container always runs the image's. */
  withBinary(path: string): this {
    this.o.binary = path;
    return this;
  }
  /** How long start() waits for the SIP socket. Default 5 s. */
  withReadyTimeout(ms: number): this {
    this.readyTimeoutMs = ms;
    return this;
  }
  /** Further SIPp arguments, appended as given (for options this driver has no method for). */
  withArgs(...args: string[]): this {
    this.o.extraArgs.push(...args);
    return this;
  }

  get name(): string {
    return this.label ?? (this.source.kind === 'builder' ? this.source.builder.name : basename(this.source.path, '.xml'));
  }

  /** uac when the scenario's first message step is a send, uas when it is a recv. */
  get role(): 'uac' | 'uas' {
    if (this.source.kind === 'builder') return this.source.builder.role;
    return roleOfXml(readFileSync(this.source.path, 'utf8'));
  }

  /** Runs in the foreground: resolves when SIPp has exited, with what happened. */
  async run(): Promise<SippResult> {
    const started = await this.launch(false);
    return started.wait();
  }

  /** Starts in the background: resolves once SIPp's SIP socket is bound, so a UAC can be started next. */
  async start(): Promise<StartedSipp> {
    return this.launch(true);
  }

  private xml(): string {
    if (this.source.kind === 'file') return readFileSync(this.source.path, 'utf8');
    // retrans only means something over UDP; over TCP SIPp must not retransmit.
    const defaultRetrans = this.o.transport === 'udp' ? this.o.t1Ms : undefined;
    return this.source.builder.toXml({ defaultRetrans, globals: Object.keys(this.o.globals) });
  }

  private async launch(waitReady: boolean): Promise<StartedSipp> {
    const o = this.o;
    if (!o.localIp) throw new SippError(`SIPp ${this.name}: withLocal(ip, port) is required (nothing may bind 0.0.0.0)`);
    if (this.role === 'uac' && !o.remote) throw new SippError(`SIPp ${this.name}: a UAC scenario needs withRemote(host:port)`);
    const secrets = o.auth ? [o.auth.password] : [];
    const xml = this.xml();
    if (o.auth && o.auth.password && xml.includes(o.auth.password)) {
      throw new SippError(`SIPp ${this.name}: the scenario contains the password; keep it out and pass it with withAuth()`);
    }
    // Before any file is written: a native SIPp that can't do the transport is an error.
    const runtime = chooseRuntime(this.runtime, o.binary, o.transport, undefined, this.needs);
    // Without a log folder from the caller, one of our own, kept after the run: a failure's message points a
    // person to its files. Only a SIPp that never started has nothing worth keeping there (see below).
    const ownDir = this.logDir === undefined;
    const dir = this.logDir ?? mkdtempSync(join(tmpdir(), 'sipwright-sipp-'));
    mkdirSync(dir, { recursive: true });
    const base = uniqueBase(dir, this.name);
    const files = {
      dir,
      scenario: this.source.kind === 'file' ? this.source.path : join(dir, `${base}.xml`),
      errors: join(dir, `${base}.errors.log`),
      messages: join(dir, `${base}.messages.log`),
      screen: join(dir, `${base}.screen.log`),
      stats: join(dir, `${base}.stats.csv`),
      logs: join(dir, `${base}.actions.log`),
      command: join(dir, `${base}.command.txt`),
      stderr: join(dir, `${base}.stderr.log`),
    } satisfies RunFiles & Record<string, string>;
    // An existing file runs from where it is (relative pcap or CSV paths in it keep working); a copy is kept.
    // In its container SIPp is pid 1 of a PID namespace of its own: every container's [pid] is 1, and the tags
    // our scenarios make of it ([pid]SIPpTag01[call_number]) were the same for every party (a forking proxy's
    // three 180s then looked like one and its copies). A number of this launch's own stands in for it.
    const runXml = runtime === 'container' && this.source.kind === 'builder' ? xml.replaceAll('[pid]', String(randomInt(100_000, 1_000_000))) : xml;
    writeFileSync(join(dir, `${base}.xml`), runXml);
    const controlPort = o.controlPort ?? (await freeUdpPort(controlAddress(o.localIp)));
    const callIdPrefix = `sipwright-${randomBytes(6).toString('hex')}`;
    const args = buildArgs(o, files, callIdPrefix, controlPort);
    const command = displayCommand(runtime === 'native' ? o.binary : 'sipp', args, secrets);
    // The attachment says where it ran: the same command means SIPp 3.6 natively and 3.8 in the image.
    writeFileSync(files.command, `${runtime === 'container' ? `# in the container ${imageTag('sipp')} (host network, files at their host paths)\n` : ''}${command}\n`);
    const cwd = this.source.kind === 'file' ? dirname(this.source.path) : dir;
    const name = `sipp ${this.name}@${o.localIp}:${o.localPort}`;
    const startedAt = Date.now();
    let proc: SippProcess;
    try {
      if (runtime === 'native') {
        proc = nativeSipp(await spawnNative({ name, command: o.binary, args, cwd, installHint: SIPP_INSTALL_HINT, secrets }));
      } else {
        // Whatever SIPp reads (the scenario's folder, TLS and injection files, paths given with withArgs) and the
        // folder it writes its traces to, at the same paths: the arguments stay exactly as natively.
        const readable = [cwd, ...Object.values(o.tls ?? {}), ...o.injectionFiles, ...pathArguments(o.extraArgs)];
        try {
          if (this.keyLog) mkdirSync(dirname(this.keyLog), { recursive: true });
          const writable = [dir, ...(this.keyLog ? [dirname(this.keyLog)] : [])];
          proc = await containerSipp({ name, args, cwd, mounts: mountsFor(writable, readable), secrets, ...(this.keyLog ? { keyLog: this.keyLog } : {}) });
        } catch (e) {
          if (e instanceof EnvironmentError && this.runtime === 'auto') throw new EnvironmentError(`SIPp ${this.name}: ${whyNotNative(o.binary, o.transport, undefined, this.needs)}, and its container can't run: ${e.message}`);
          throw e;
        }
      }
    } catch (e) {
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const ctx = { xml, command, files, secrets, startedAt, timeoutMs: o.timeoutMs, runtime };
    const started = new StartedSipp(proc, ctx, o.localIp, o.localPort, o.transport);
    if (!waitReady) return started;
    try {
      await waitUntilBound(proc.pid, o.localIp, o.localPort, socketKind(o.transport), {
        timeoutMs: this.readyTimeoutMs,
        stillRunning: () => proc.running,
        describe: () => proc.stderr().trim(),
      });
    } catch (e) {
      const wasRunning = proc.running;
      const result = wasRunning ? await started.stop() : await started.wait();
      // A scenario over before its bind was seen (SIPp starts its first call at once: a UAC's whole exchange can
      // take a few ms) did bind, and did its work: it was ready, and is done.
      if (!wasRunning && result.ok) return started;
      throw new SippError(`SIPp ${this.name} did not become ready: ${(e as Error).message}\n${describeResult(result)}`, result);
    }
    return started;
  }
}

interface RunContext {
  xml: string;
  command: string;
  files: SippResult['files'];
  secrets: readonly string[];
  startedAt: number;
  timeoutMs: number;
  runtime: 'native' | 'container';
}

/** A SIPp that is running (or has run): wait for it, or stop it. */
export class StartedSipp {
  private watchdogKilled = false;
  private stopRequested = false;
  private readonly watchdog: NodeJS.Timeout;
  private result?: Promise<SippResult>;

  constructor(
    private readonly proc: SippProcess,
    private readonly ctx: RunContext,
    readonly localIp: string,
    readonly localPort: number,
    readonly transport: SippTransport,
  ) {
    // SIPp's own -timeout should end it; this is for a SIPp that hangs anyway, so no test ever does.
    this.watchdog = setTimeout(() => {
      this.watchdogKilled = true;
      proc.signal('SIGKILL');
    }, ctx.timeoutMs + WATCHDOG_GRACE_MS);
    this.watchdog.unref();
  }

  get pid(): number {
    return this.proc.pid;
  }
  get running(): boolean {
    return this.proc.running;
  }
  /** native, or container (the sipp image). */
  get runtime(): 'native' | 'container' {
    return this.proc.runtime;
  }
  /** host:port where this SIPp receives (what a UAC's withRemote() wants). */
  get hostPort(): string {
    return isIP(this.localIp) === 6 ? `[${this.localIp}]:${this.localPort}` : `${this.localIp}:${this.localPort}`;
  }
  get command(): string {
    return this.ctx.command;
  }
  get xml(): string {
    return this.ctx.xml;
  }
  get files(): SippResult['files'] {
    return this.ctx.files;
  }

  /** Resolves when SIPp exits by itself (its calls are done, or its -timeout hit). */
  wait(): Promise<SippResult> {
    this.result ??= this.proc.exited.then((info) => {
      clearTimeout(this.watchdog);
      return buildResult({
        code: info.code,
        signal: info.signal,
        stderr: this.proc.stderr(),
        xml: this.ctx.xml,
        command: this.ctx.command,
        files: this.ctx.files,
        secrets: this.ctx.secrets,
        durationMs: Date.now() - this.ctx.startedAt,
        watchdogKilled: this.watchdogKilled,
        stopped: this.stopRequested,
        runtime: this.ctx.runtime,
      });
    });
    return this.result;
  }

  /**
   * Kills SIPp outright (SIGKILL), as a crashed endpoint: no BYE, no final statistics, its socket
   * gone. Resolves once it has exited.
   */
  async crash(): Promise<SippResult> {
    if (this.proc.running) {
      this.stopRequested = true;
      this.proc.signal('SIGKILL');
      await this.proc.exited;
    }
    return this.wait();
  }

  /**
   * Stops SIPp the way its 'q' key does (SIGUSR1: no new calls, write the screen and statistics, exit), a
   * second SIGUSR1 after `graceMs` to stop waiting for open calls, SIGKILL after twice that. Safe to call twice.
   */
  async stop(graceMs = 1000): Promise<SippResult> {
    if (this.proc.running) {
      this.stopRequested = true;
      this.proc.signal('SIGUSR1');
      const again = setTimeout(() => this.proc.signal('SIGUSR1'), graceMs);
      const kill = setTimeout(() => this.proc.signal('SIGKILL'), 2 * graceMs);
      await this.proc.exited;
      clearTimeout(again);
      clearTimeout(kill);
    }
    return this.wait();
  }
}

/** A file name base not used yet in `dir`, so several runs can share one log dir. */
function uniqueBase(dir: string, name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'sipp';
  for (let i = 1; ; i++) {
    const base = i === 1 ? clean : `${clean}-${i}`;
    if (!existsSync(join(dir, `${base}.command.txt`))) return base;
  }
}

/** A UDP port nobody holds on `ip`, for SIPp's control socket (only our own processes use our addresses). */
function freeUdpPort(ip: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const sock = createSocket(isIP(ip) === 6 ? 'udp6' : 'udp4');
    sock.once('error', reject);
    sock.bind(0, ip, () => {
      const { port } = sock.address();
      sock.close(() => resolvePort(port));
    });
  });
}

/** uac/uas from an XML file: the first send or recv outside comments and CDATA. */
export function roleOfXml(xml: string): 'uac' | 'uas' {
  const stripped = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const m = /<(send|recv)\b/.exec(stripped);
  return m?.[1] === 'recv' ? 'uas' : 'uac';
}
