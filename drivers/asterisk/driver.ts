/**
 * The Asterisk endpoint: a config you build with withX() options, and a StartedAsterisk you can query and
 * stop (lifecycle in the types, as in testcontainers). Runs in a container from the lab's asterisk image
 * (Debian sid's Asterisk 22; bookworm has none), or natively when an `asterisk` binary is installed
 * (withRuntime): the same options render the same config files.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startContainer, type ContainerFile } from '../../src/runtime/container.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { resolveRuntime, type RuntimeKind } from '../../src/runtime/kind.js';
import { EnvironmentError, spawnNative } from '../../src/runtime/native.js';
import { ownTempDir, removeTempDir } from '../../src/runtime/temp-dirs.js';
import { redact } from '../../src/report/redact.js';
import { mergeRegistrarRecords, parseChannelsConcise, parseContacts, parseRegistrarDb, type AsteriskChannel, type AsteriskContact } from './cli.js';
import { accountDigests, CONTAINER_PATHS, MOH_FILE, mohTone, READY_LINE, renderAsteriskConfig, SECRET_FILES, type AsteriskPaths } from './config.js';
import {
  asteriskTimers,
  defaultAsteriskOptions,
  type Asterisk100rel,
  type AsteriskAccount,
  type AsteriskDial,
  type AsteriskFeatures,
  type AsteriskOptions,
  type AsteriskRegistrarOptions,
  type AsteriskSessionTimers,
  type AsteriskTransport,
} from './options.js';
import { containerAsterisk, nativeAsterisk, type AsteriskProcess } from './process.js';
import { makeTlsMaterial, TLS_FILES, type TlsMaterial } from '../../src/runtime/tls-material.js';

export const ASTERISK_INSTALL_HINT = 'Asterisk is not in Debian bookworm: use the container (`sipwright images build --only asterisk`)';

const READY = new RegExp(READY_LINE.replace(/\./g, '\\.'));

/** Where Debian-like systems keep Asterisk's modules, for a native run. */
const NATIVE_MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/asterisk/modules', '/usr/lib/aarch64-linux-gnu/asterisk/modules', '/usr/lib/asterisk/modules', '/usr/lib64/asterisk/modules'];

export class Asterisk {
  private o: AsteriskOptions;
  private logFile?: string;
  private runtime: RuntimeKind = 'auto';

  constructor(address: string, port = 5060) {
    this.o = defaultAsteriskOptions(address, port);
  }

  /** The SIP domain: digest realm, and the domain in From/To of the requests Asterisk sends. */
  withDomain(domain: string): this {
    this.o.domain = domain;
    return this;
  }
  /**
   * Transports bound on address:port (default udp and tcp); tls listens on the TLS port (withTlsPort, default
   * port + 1) with a certificate made for this instance at start(), its CA in StartedAsterisk.tls.caFile.
   */
  withTransports(...t: AsteriskTransport[]): this {
    this.o.transports = [...new Set(t)];
    return this;
  }
  /** The tls transport's port. */
  withTlsPort(port: number): this {
    this.o.tlsPort = port;
    return this;
  }
  /** One endpoint, AOR and (unless auth:false) digest auth per account; dialling the user name reaches it. */
  withAccounts(accounts: AsteriskAccount[]): this {
    this.o.accounts = accounts.map((a) => ({ ...a }));
    return this;
  }
  /**
   * These accounts' calls must be SRTP keyed in SDP (media_encryption = sdes, RFC 4568): an RTP/AVP-only offer
   * from one gets 488. Names accounts given with withAccounts() before.
   */
  withSdesRequired(...users: string[]): this {
    for (const u of users) if (!this.o.accounts.some((a) => a.user === u)) throw new Error(`withSdesRequired: "${u}" is not one of the accounts (${this.o.accounts.map((a) => a.user).join(', ') || 'none yet: call withAccounts first'})`);
    this.o.accounts = this.o.accounts.map((a) => (users.includes(a.user) ? { ...a, mediaEncryption: 'sdes' } : a));
    return this;
  }
  /** AOR settings applied to every account's AOR. */
  withRegistrar(opts: Partial<AsteriskRegistrarOptions>): this {
    this.o.registrar = { ...this.o.registrar, ...opts };
    return this;
  }
  /** How long a nonce it issues stays fresh (every auth's nonce_lifetime); an older one gets a challenge with stale=true. */
  withNonceLifetime(seconds: number): this {
    this.o.nonceLifetimeS = seconds;
    return this;
  }
  /** pjsip timer_t1 in ms, and timer_b = 64·T1. */
  withT1(ms: number): this {
    this.o.timers = asteriskTimers(ms);
    return this;
  }
  /** RFC 3262 reliable provisional responses on every endpoint. */
  with100rel(mode: Asterisk100rel): this {
    this.o.rel100 = mode;
    return this;
  }
  /** RFC 4028 session timers on every endpoint. */
  withSessionTimers(o: AsteriskSessionTimers): this {
    this.o.sessionTimers = { ...o };
    return this;
  }
  /** Extension numbers of the features (defaults echo 600, answerHangup 601, musicOnHold 602, park 700); '' leaves one out. */
  /**
   * How accounts are dialled: Dial() options and what runs after it. `{ options: 'g', after: ['Wait(30)'] }`
   * keeps the caller's leg up when the callee hangs up (a negative control for BYE propagation).
   */
  withDial(d: Partial<AsteriskDial>): this {
    this.o.dial = { ...this.o.dial, ...d };
    return this;
  }
  /** Whether its endpoints honour REFER (allow_transfer); off, a REFER is turned down: a negative control. */
  withTransfers(on: boolean): this {
    this.o.transfers = on;
    return this;
  }
  /** Its dial plan: each dialled number and the account it reaches, dialled as the account's extension is. */
  withNumbers(numbers: Record<string, string>): this {
    for (const n of Object.keys(numbers)) if (!/^\+?[0-9]+$/.test(n)) throw new Error(`withNumbers: "${n}" is not a number (digits, with a leading + for the international form)`);
    this.o.numbers = { ...numbers };
    return this;
  }
  withFeatures(f: Partial<AsteriskFeatures>): this {
    this.o.features = { ...this.o.features, ...f };
    return this;
  }
  /** RTP (and RTCP) only in this port range, on the PBX's address. */
  withRtpPorts(start: number, end: number): this {
    this.o.rtpPorts = { start, end };
    return this;
  }
  /**
   * Appends text to a rendered config file (pjsip.conf, extensions.conf, modules.conf, …), or gives the whole
   * of a file not rendered: how a negative control injects one defect. Several calls for one file add up.
   */
  withConfig(file: 'pjsip.conf' | 'extensions.conf' | 'modules.conf' | (string & {}), text: string): this {
    const before = this.o.extraConfig[file];
    this.o.extraConfig = { ...this.o.extraConfig, [file]: before === undefined ? text : `${before}${before.endsWith('\n') ? '' : '\n'}${text}` };
    return this;
  }
  /** Append Asterisk's output to this file (a report attachment; passwords masked). */
  withLogFile(path: string): this {
    this.logFile = path;
    return this;
  }
  /** native, container, or auto (native when an asterisk binary is installed, else the asterisk image). */
  withRuntime(kind: RuntimeKind): this {
    this.runtime = kind;
    return this;
  }

  get options(): Readonly<AsteriskOptions> {
    return this.o;
  }

  private get name(): string {
    return `asterisk@${this.o.address}:${this.o.port}`;
  }

  /** Masked in everything kept of Asterisk's output and in rx() results: the passwords and the digests pjsip.conf holds. */
  private get secrets(): string[] {
    return [...this.o.accounts.map((a) => a.password), ...accountDigests(this.o)].filter((p) => p.length > 0);
  }

  async start(): Promise<StartedAsterisk> {
    const runtime = resolveRuntime(this.runtime, 'asterisk');
    const options: AsteriskOptions = structuredClone(this.o);
    const tls = options.transports.includes('tls');
    // The native Asterisk's whole tree; in a container only the TLS material, which a client on the host needs.
    const dir = runtime === 'native' || tls ? ownTempDir('asterisk') : undefined;
    let material: TlsMaterial | undefined;
    let proc: AsteriskProcess;
    try {
      // Per instance: a client that trusts this CA trusts this PBX only.
      if (tls) material = makeTlsMaterial(join(dir!, 'keys'), options.address);
      proc = runtime === 'native' ? await this.startNative(dir!, material) : await this.startContainer(material, dir);
    } catch (e) {
      if (dir) removeTempDir(dir);
      if (e instanceof EnvironmentError && this.runtime === 'auto' && !(tls && !material)) {
        throw new EnvironmentError(`asterisk is not installed and its container can't run (${ASTERISK_INSTALL_HINT}): ${e.message}`);
      }
      throw e;
    }
    const tlsInfo = material ? { port: options.tlsPort, hostPort: hostPortOf(options.address, options.tlsPort), caFile: material.caFile } : undefined;
    return new StartedAsterisk(proc, options, this.secrets, dir, tlsInfo);
  }

  private async startContainer(tls?: TlsMaterial, hostDir?: string): Promise<AsteriskProcess> {
    const p = CONTAINER_PATHS;
    const files: ContainerFile[] = Object.entries(renderAsteriskConfig(this.o, p)).map(([name, content]) => ({
      target: `${p.etcDir}/${name}`,
      content,
      mode: SECRET_FILES.has(name) ? 0o600 : 0o644,
    }));
    files.push({ target: `${p.mohDir}/${MOH_FILE}`, content: mohTone(), mode: 0o644 });
    if (tls) {
      files.push({ target: `${p.keysDir}/${TLS_FILES.cert}`, content: readFileSync(tls.certFile), mode: 0o644 });
      files.push({ target: `${p.keysDir}/${TLS_FILES.key}`, content: readFileSync(tls.keyFile), mode: 0o600 });
    }
    const conf = `${p.etcDir}/asterisk.conf`;
    // Copied files belong to root; Asterisk reads its configs after dropping to the asterisk user.
    const script = `chown -R asterisk:asterisk ${p.etcDir} ${p.mohDir} && exec asterisk -f -n -U asterisk -G asterisk -vvv -C ${conf}`;
    const c = await startContainer({
      name: this.name,
      image: imageTag('asterisk'),
      command: ['sh', '-c', script],
      files,
      readyLine: READY,
      readyTimeoutMs: 20_000,
      logFile: this.logFile,
      secrets: this.secrets,
      hostDir,
    });
    // The ready line was seen on the wait strategy's own log stream; the kept output can trail it by a chunk.
    // Wait for it there too, so logs() right after start() holds the whole boot.
    const deadline = Date.now() + 3000;
    while (!c.output().includes(READY_LINE) && c.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return containerAsterisk(c, conf);
  }

  private async startNative(dir: string, tls?: TlsMaterial): Promise<AsteriskProcess> {
    const modDir = NATIVE_MODULE_DIRS.find((d) => existsSync(d)) ?? NATIVE_MODULE_DIRS[0];
    const paths: AsteriskPaths = {
      etcDir: join(dir, 'etc'),
      modDir,
      varLibDir: join(dir, 'lib'),
      dbDir: join(dir, 'lib'),
      dataDir: existsSync('/usr/share/asterisk') ? '/usr/share/asterisk' : '/var/lib/asterisk',
      spoolDir: join(dir, 'spool'),
      runDir: join(dir, 'run'),
      logDir: join(dir, 'log'),
      cacheDir: join(dir, 'cache'),
      mohDir: join(dir, 'moh'),
      // makeTlsMaterial wrote the pair here already.
      keysDir: tls?.dir ?? join(dir, 'keys'),
    };
    for (const d of [paths.etcDir, paths.varLibDir, paths.spoolDir, paths.runDir, paths.logDir, paths.cacheDir, paths.mohDir]) mkdirSync(d, { recursive: true });
    for (const [name, text] of Object.entries(renderAsteriskConfig(this.o, paths))) {
      const file = join(paths.etcDir, name);
      const mode = SECRET_FILES.has(name) ? 0o600 : 0o644;
      writeFileSync(file, text, { mode });
      chmodSync(file, mode);
    }
    writeFileSync(join(paths.mohDir, MOH_FILE), mohTone());
    const conf = join(paths.etcDir, 'asterisk.conf');
    const p = await spawnNative({
      name: this.name,
      command: 'asterisk',
      args: ['-f', '-n', '-vvv', '-C', conf],
      readyLine: READY,
      readyTimeoutMs: 20_000,
      logFile: this.logFile,
      installHint: ASTERISK_INSTALL_HINT,
      secrets: this.secrets,
      dir,
    });
    return nativeAsterisk(p, conf);
  }
}

/** The tls transport of a started Asterisk: where it listens, and the CA a client verifies it with. */
export interface AsteriskTls {
  port: number;
  /** "address:tlsPort" (IPv6 bracketed): what a TLS client's withRemote() wants. */
  hostPort: string;
  /** The CA that signed this instance's certificate (PEM; removed at stop()). */
  caFile: string;
}

function hostPortOf(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export class StartedAsterisk {
  constructor(
    private readonly proc: AsteriskProcess,
    readonly options: Readonly<AsteriskOptions>,
    private readonly secrets: readonly string[],
    private readonly dir?: string,
    /** Present when the options include the tls transport. */
    readonly tls?: AsteriskTls,
  ) {}

  get address(): string {
    return this.options.address;
  }
  get port(): number {
    return this.options.port;
  }
  get hostPort(): string {
    return hostPortOf(this.address, this.port);
  }
  get running(): boolean {
    return this.proc.running;
  }
  /** How it runs: a native process group or a container. */
  get runtime(): 'native' | 'container' {
    return this.proc.runtime;
  }

  /** Everything Asterisk printed (its console), passwords masked: for report attachments. */
  logs(): string {
    return this.proc.output();
  }

  /** `asterisk -rx command` (a CLI command) against this Asterisk; what it printed, passwords masked. */
  async rx(command: string): Promise<string> {
    const out = redact(await this.proc.rx(command), this.secrets);
    // asterisk -rx exits 0 even for a command it does not know (a module not loaded, a typo).
    if (/^No such command '/.test(out.trimStart())) throw new Error(`asterisk -rx '${command}': ${out.trim()}`);
    return out;
  }

  /**
   * The registrar's bindings (`pjsip show contacts`), optionally of one AOR, with each one's expiry, Call-ID,
   * User-Agent and Path from the registrar's records in astdb (`pjsip show contacts` shows no expiry).
   */
  async contacts(aor?: string): Promise<AsteriskContact[]> {
    const shown = parseContacts(await this.rx('pjsip show contacts')).filter((c) => aor === undefined || c.aor === aor);
    if (shown.length === 0) return shown;
    const records = parseRegistrarDb(await this.rx('database show registrar/contact'));
    return mergeRegistrarRecords(shown, records);
  }

  /** The channels up now (`core show channels concise`): one per call leg. */
  async channels(): Promise<AsteriskChannel[]> {
    return parseChannelsConcise(await this.rx('core show channels concise'));
  }

  async stop(): Promise<void> {
    try {
      await this.proc.stop();
    } finally {
      if (this.dir) removeTempDir(this.dir);
    }
  }
}
