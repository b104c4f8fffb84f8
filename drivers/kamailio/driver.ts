/**
 * The Kamailio endpoint: a config you build with withX() options, and a StartedKamailio you can query and
 * stop (lifecycle in the types, as in testcontainers). Runs natively as a child process in its own group, or
 * in a container from the lab's kamailio image (withRuntime): the same options render the same config.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { startContainer } from '../../src/runtime/container.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { resolveRuntime, type RuntimeKind } from '../../src/runtime/kind.js';
import { ownTempDir, removeTempDir } from '../../src/runtime/temp-dirs.js';
import { EnvironmentError, spawnNative, which } from '../../src/runtime/native.js';
import { hostPort, uriHost } from '../../src/util/host.js';
import { listenPort, READY_LINE, renderKamailioConfig, renderTlsConfig } from './config.js';
import { makeTlsMaterial, type BrokenCertificate, type TlsCa } from '../../src/runtime/tls-material.js';
import { kamailioDefect, type KamailioDefect } from './defects.js';
import { parseUlDump, type LocationBinding } from './kamcmd.js';
import { containerKamailio, nativeKamailio, type KamailioProcess } from './process.js';
import { DEFAULT_REGISTRAR, defaultTimers, type KamailioAccount, type KamailioOptions, type KamailioTransport, type RegistrarOptions } from './options.js';

export const KAMAILIO_INSTALL_HINT = 'apt-get install kamailio (as root), or run `sipwright doctor`';

/** Where the runtime folder is mounted inside the container (the host sees the ctl socket and pid file). */
const CONTAINER_RUN_DIR = '/run/sipwright';
const CONTAINER_CFG = '/etc/sipwright/kamailio.cfg';
/** Where the kamailio image has the key log shim (docker/kamailio/recipe.json). */
const KEYLOG_SHIM = '/usr/local/lib/sipwright-keylog.so';

export class Kamailio {
  private o: KamailioOptions;
  private logFile?: string;
  private overrides: string[] = [];
  private runtime: RuntimeKind = 'auto';
  private netns?: string;
  private keyLog?: string;
  private tlsCa?: TlsCa;
  private tlsCertificate: { name?: string; oldVersions?: boolean } & BrokenCertificate = {};

  constructor(address: string, port = 5060) {
    this.o = {
      address,
      port,
      transports: ['udp', 'tcp'],
      // A domain is a URI host: an IPv6 address in brackets.
      domain: uriHost(address),
      registrar: true,
      proxy: true,
      auth: true,
      accounts: [],
      registrarOptions: { ...DEFAULT_REGISTRAR },
      timers: defaultTimers(),
      peers: [],
      numbers: {},
      defects: [],
    };
  }

  withDomain(domain: string): this {
    this.o.domain = domain;
    return this;
  }
  withTransports(...t: KamailioTransport[]): this {
    this.o.transports = t;
    return this;
  }
  withRoles(roles: { registrar?: boolean; proxy?: boolean }): this {
    this.o.registrar = roles.registrar ?? this.o.registrar;
    this.o.proxy = roles.proxy ?? this.o.proxy;
    return this;
  }
  withAuth(on: boolean): this {
    this.o.auth = on;
    return this;
  }
  /** Challenge its own users' INVITE, MESSAGE, SUBSCRIBE, REFER and PUBLISH with 407 (options.ts, proxyAuth). */
  withProxyAuth(on = true, o: { inDialog?: boolean } = {}): this {
    this.o.proxyAuth = on;
    this.o.proxyAuthInDialog = on && !!o.inDialog;
    return this;
  }
  /** Where tls listens: default port + 1; the port itself when it listens for TLS alone. */
  withTlsPort(port: number): this {
    this.o.tlsPort = port;
    return this;
  }
  /**
   * Over TLS, a certificate made wrong on purpose (a negative control): for another `name` than its address,
   * self-signed, or expired (tls-material.ts); or `oldVersions`, TLS 1.0 and 1.1 taken too.
   */
  withTlsCertificate(o: { name?: string; oldVersions?: boolean } & BrokenCertificate): this {
    this.tlsCertificate = o;
    return this;
  }
  /** Over TLS, its certificate is signed by this CA rather than one of its own (a second proxy of the same lab). */
  withTlsCa(ca: TlsCa): this {
    this.tlsCa = ca;
    return this;
  }
  /** How long a nonce it issues stays fresh (the auth module's nonce_expire). */
  withNonceLifetime(seconds: number): this {
    this.o.nonceLifetimeS = seconds;
    return this;
  }
  withAccounts(accounts: KamailioAccount[]): this {
    this.o.accounts = accounts.map((a) => ({ ...a }));
    return this;
  }
  withRegistrar(opts: Partial<RegistrarOptions>): this {
    this.o.registrarOptions = { ...this.o.registrarOptions, ...opts };
    return this;
  }
  /** T1 in ms; T2, Timer B/F follow the RFC ratios. */
  withT1(ms: number): this {
    const inv = this.o.timers.inviteAfterProvisionalMs;
    this.o.timers = { ...defaultTimers(ms), inviteAfterProvisionalMs: inv };
    return this;
  }
  withInviteTimeout(ms: number): this {
    this.o.timers.inviteAfterProvisionalMs = ms;
    return this;
  }
  /** Its dial plan: each dialled number and the user it reaches (KamailioOptions.numbers). */
  withNumbers(numbers: Record<string, string>): this {
    for (const n of Object.keys(numbers)) if (!/^\+?[0-9]+$/.test(n)) throw new Error(`withNumbers: "${n}" is not a number (digits, with a leading + for the international form)`);
    this.o.numbers = { ...numbers };
    return this;
  }
  withPeer(domain: string, address: string, port = 5060, transport?: 'tcp' | 'tls', o: { prefix?: string } = {}): this {
    if (o.prefix !== undefined && !/^\+?[0-9]+$/.test(o.prefix)) throw new Error(`withPeer: prefix "${o.prefix}" is not the start of a number (digits, with a leading + for the international form)`);
    this.o.peers.push({ domain, address, port, ...(transport ? { transport } : {}), ...(o.prefix ? { prefix: o.prefix } : {}) });
    return this;
  }
  /**
   * Switches on deliberate defects (defects.ts): a negative control is the good config with these few lines
   * changed. The names are checked here too, for callers that got them from a file or a cast.
   */
  withDefects(...defects: KamailioDefect[]): this {
    this.o.defects = [...new Set([...this.o.defects, ...defects.map(kamailioDefect)])];
    return this;
  }
  /**
   * Replaces named route blocks of the rendered config with `route[NAME] { … }` text: for a test of a config
   * Kamailio refuses. A broken target for a suite is a defect (withDefects), never a replaced route.
   */
  withRouteOverride(text: string): this {
    this.overrides.push(text);
    return this;
  }
  /** Append Kamailio's output to this file (a report attachment). */
  withLogFile(path: string): this {
    this.logFile = path;
    return this;
  }

  /** native, container, or auto (native when kamailio is installed, else the kamailio image). */
  withRuntime(kind: RuntimeKind): this {
    this.runtime = kind;
    return this;
  }

  /**
   * Append the secrets of its TLS connections to `file` (NSS key log format), so that a capture of them can be
   * decrypted: it then runs in the kamailio image, whose shim logs them (docker/kamailio/keylog.c, the sipp
   * image's), as Kamailio has no key log of its own. The file's folder is mounted at the same path.
   */
  withKeyLog(file: string): this {
    this.keyLog = resolve(file);
    return this;
  }

  /**
   * Run inside this network namespace (runtime/netns.ts): a proxy on "another host", its address one of the
   * namespace's. Native runtime only.
   */
  withNetns(name: string): this {
    this.netns = name;
    return this;
  }

  get options(): Readonly<KamailioOptions> {
    return this.o;
  }

  /**
   * Renders the config for a runtime folder seen as `runDir` by Kamailio (the host folder natively, its mount
   * point in a container); returns the command line's arguments after the config path.
   */
  private render(runDir: string): { cfg: string; args: string[] } {
    // Kamailio reads an IPv6 address in a listen socket or a URI only in brackets ("udp:[2001:db8::2]:5060"):
    // the config brackets its listen=, alias and next hops itself, and so does -l here.
    const tlsConfig = this.o.transports.includes('tls') ? join(runDir, TLS_CONFIG) : undefined;
    const cfg = renderKamailioConfig(this.o, { ctlSocket: join(runDir, 'kamailio_ctl'), ...(tlsConfig ? { tlsConfig } : {}) }, this.overrides);
    const listen = this.o.transports.flatMap((t) => ['-l', `${t}:${hostPort(this.o.address, listenPort(this.o, t))}`]);
    return { cfg, args: ['-Y', runDir, '-P', join(runDir, 'kamailio.pid'), '-m', '32', '-M', '4', ...listen] };
  }

  private get name(): string {
    return `kamailio@${hostPort(this.o.address, this.o.port)}`;
  }

  /** Writes the config (mode 0600: it holds account hashes) into a fresh runtime folder; returns the command line. */
  private prepare(detached = false): { dir: string; ctlSocket: string; args: string[]; name: string } {
    // A detached Kamailio outlives this process: its folder is stopDetached()'s to remove, not this exit's.
    const dir = detached ? mkdtempSync(join(tmpdir(), 'sipwright-kamailio-')) : ownTempDir('kamailio');
    const cfgFile = join(dir, 'kamailio.cfg');
    const { cfg, args } = this.render(dir);
    writeFileSync(cfgFile, cfg, { mode: 0o600 });
    chmodSync(cfgFile, 0o600);
    return { dir, ctlSocket: join(dir, 'kamailio_ctl'), args: ['-DD', '-E', '-f', cfgFile, ...args], name: this.name };
  }

  async start(): Promise<StartedKamailio> {
    const runtime = this.netns ? 'native' : this.pickRuntime();
    if (this.netns && this.runtime === 'container') throw new Error(`${this.name}: a Kamailio in network namespace ${this.netns} runs natively, not in its container`);
    if (this.keyLog && runtime === 'native') {
      throw new Error(`${this.name}: a TLS key log (withKeyLog) needs the kamailio image's shim, and this Kamailio runs natively (${this.netns ? `in network namespace ${this.netns}` : `runtime ${this.runtime}`})`);
    }
    const dir = runtime === 'native' ? undefined : ownTempDir('kamailio');
    const prepared = runtime === 'native' ? this.prepare() : undefined;
    const runDir = (prepared?.dir ?? dir)!;
    let proc: KamailioProcess;
    let tls: KamailioTls | undefined;
    try {
      if (this.o.transports.includes('tls')) tls = this.writeTls(runDir, runtime);
      if (prepared) {
        const p = await spawnNative({
          name: prepared.name,
          command: 'kamailio',
          args: prepared.args,
          readyLine: new RegExp(READY_LINE),
          readyTimeoutMs: 10_000,
          logFile: this.logFile,
          installHint: KAMAILIO_INSTALL_HINT,
          dir: prepared.dir,
          ...(this.netns ? { netns: this.netns } : {}),
        });
        proc = nativeKamailio(p, prepared.ctlSocket);
      } else {
        const { cfg, args } = this.render(CONTAINER_RUN_DIR);
        const c = await startContainer({
          name: this.name,
          image: imageTag('kamailio'),
          command: ['kamailio', '-DD', '-E', '-f', CONTAINER_CFG, ...args],
          files: [{ target: CONTAINER_CFG, content: cfg, mode: 0o600 }],
          binds: [{ source: runDir, target: CONTAINER_RUN_DIR }, ...(this.keyLog ? [{ source: dirname(this.keyLog), target: dirname(this.keyLog) }] : [])],
          ...(this.keyLog ? { env: { LD_PRELOAD: KEYLOG_SHIM, SIPWRIGHT_KEYLOG: this.keyLog } } : {}),
          hostDir: runDir,
          readyLine: new RegExp(READY_LINE),
          readyTimeoutMs: 15_000,
          logFile: this.logFile,
        });
        proc = containerKamailio(c, join(CONTAINER_RUN_DIR, 'kamailio_ctl'));
      }
    } catch (e) {
      removeTempDir(runDir);
      if (e instanceof EnvironmentError && this.runtime === 'auto') {
        throw new EnvironmentError(`kamailio is not installed (${KAMAILIO_INSTALL_HINT}), and its container can't run: ${e.message}`);
      }
      throw e;
    }
    return new StartedKamailio(proc, { ...this.o }, runDir, join(runDir, 'kamailio_ctl'), tls);
  }

  /** auto: natively when installed, but in the kamailio image (which has it) when TLS is asked of a Kamailio without its tls module. */
  private pickRuntime(): 'native' | 'container' {
    if (this.keyLog && this.runtime === 'auto') return 'container';
    const r = resolveRuntime(this.runtime, 'kamailio');
    return r === 'native' && this.runtime === 'auto' && this.o.transports.includes('tls') && !existsSync(TLS_MODULE) ? 'container' : r;
  }

  /**
   * A CA and a certificate for its address in the run folder, and the tls module's config naming them as
   * Kamailio sees that folder (the host path natively, the mount point in its container).
   */
  private writeTls(runDir: string, runtime: 'native' | 'container'): KamailioTls {
    const port = listenPort(this.o, 'tls');
    // The kamailio image has the module; a native Kamailio needs its package.
    if (runtime === 'native' && !existsSync(TLS_MODULE)) throw new EnvironmentError(`${this.name}: Kamailio has no tls module (${TLS_MODULE}): ${KAMAILIO_TLS_INSTALL_HINT}`);
    const seenAs = runtime === 'native' ? runDir : CONTAINER_RUN_DIR;
    const { name, oldVersions, ...broken } = this.tlsCertificate;
    const material = makeTlsMaterial(join(runDir, 'tls'), name ?? this.o.address, 'sipwright Kamailio CA', this.tlsCa, broken);
    const inside = (f: string) => join(seenAs, 'tls', basename(f));
    writeFileSync(join(runDir, TLS_CONFIG), renderTlsConfig({ certFile: inside(material.certFile), keyFile: inside(material.keyFile) }, { oldVersions }), { mode: 0o600 });
    return { port, hostPort: hostPort(this.o.address, port), caFile: material.caFile, caKeyFile: material.caKeyFile };
  }

  /**
   * Starts Kamailio so that it outlives this process (`sipwright lab up`): its output goes to `logFile`,
   * readiness is read from that file, and nothing kills it on exit. Stop it with stopDetached().
   */
  async startDetached(logFile: string): Promise<DetachedKamailio> {
    const bin = which('kamailio');
    if (!bin) throw new EnvironmentError(`kamailio is not installed: ${KAMAILIO_INSTALL_HINT}`);
    const { dir, ctlSocket, args, name } = this.prepare(true);
    const fd = openSync(logFile, 'a');
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.unref();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      if (log.includes(READY_LINE)) break;
      const dead = child.exitCode !== null || child.signalCode !== null;
      if (dead || Date.now() > deadline) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`${name} ${dead ? 'exited' : 'was not ready after 10 s'}; see ${logFile}:\n${log.trimEnd().split('\n').slice(-10).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return { pid: child.pid!, dir, ctlSocket, name, options: { ...this.o } };
  }
}

export interface DetachedKamailio {
  pid: number;
  dir: string;
  ctlSocket: string;
  name: string;
  options: KamailioOptions;
}

/** Stops a detached Kamailio (its whole process group) and removes its runtime folder. */
export async function stopDetached(k: Pick<DetachedKamailio, 'pid' | 'dir'>): Promise<void> {
  const alive = () => {
    try {
      process.kill(-k.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(-k.pid, 'SIGTERM');
  const deadline = Date.now() + 3000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) process.kill(-k.pid, 'SIGKILL');
  rmSync(k.dir, { recursive: true, force: true });
}

/** The tls transport of a started Kamailio: where it listens, and the CA a client verifies it with. */
export interface KamailioTls extends TlsCa {
  port: number;
  /** "address:tlsPort" (IPv6 bracketed). */
  hostPort: string;
}

/** The tls module's config in the run folder. */
const TLS_CONFIG = 'tls.cfg';
const TLS_MODULE = '/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so';
export const KAMAILIO_TLS_INSTALL_HINT = 'apt-get install kamailio-tls-modules';

export class StartedKamailio {
  constructor(
    private readonly proc: KamailioProcess,
    readonly options: Readonly<KamailioOptions>,
    private readonly dir: string,
    readonly ctlSocket: string,
    /** Present when it listens for TLS. */
    readonly tls?: KamailioTls,
  ) {}

  get address(): string {
    return this.options.address;
  }
  get port(): number {
    return this.options.port;
  }
  /** "address:port", an IPv6 address bracketed. */
  get hostPort(): string {
    return hostPort(this.options.address, this.options.port);
  }
  get running(): boolean {
    return this.proc.running;
  }
  /** How it runs: a native process group or a container. */
  get runtime(): 'native' | 'container' {
    return this.proc.runtime;
  }

  /** Everything Kamailio printed (its log), for report attachments. */
  logs(): string {
    return this.proc.output();
  }

  /** The location table (ul.dump), optionally for one AoR user. */
  async locations(user?: string): Promise<LocationBinding[]> {
    const all = parseUlDump(await this.proc.ctl(['ul.dump']));
    return user === undefined ? all : all.filter((b) => b.aor === user || b.aor.startsWith(`${user}@`));
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    removeTempDir(this.dir);
  }
}
