/**
 * The baresip endpoint: a real user agent (baresip 1.0.0), configured with withX() options, and a
 * StartedBaresip driven over ctrl_tcp (lifecycle in the types, as in testcontainers). Runs in a container from
 * the lab's baresip image, or natively when a `baresip` binary is installed (withRuntime): the same options
 * render the same config.
 *
 * As a transferee it follows a REFER by itself (baresip's default, account parameter call_transfer=yes):
 * it answers 202 Accepted, sends a NOTIFY "SIP/2.0 100 Trying" (Subscription-State active), raises TRANSFER,
 * INVITEs the Refer-To target as a new call (new Call-ID, no Referred-By header), and sends a last NOTIFY with
 * the target's final status ("SIP/2.0 200 OK", Subscription-State terminated;reason=noresource). It does not
 * hang up the first call: the transferor's BYE ends it. Seen on the wire here (test/drivers/baresip.test.ts).
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startContainer } from '../../src/runtime/container.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { resolveRuntime, type RuntimeKind } from '../../src/runtime/kind.js';
import { EnvironmentError, spawnNative } from '../../src/runtime/native.js';
import { ownTempDir, removeTempDir } from '../../src/runtime/temp-dirs.js';
import { hostPort } from '../../src/util/host.js';
import { ACCOUNT_MODULE, accountAor, accountLine, checkAccount, READY_LINE, renderBaresipConfig, type BaresipPaths } from './config.js';
import { BaresipCtrl, type BaresipEvent, type BaresipEventType, type WaitOptions } from './ctrl.js';
import { defaultBaresipOptions, type BaresipAccount, type BaresipOptions } from './options.js';
import { containerBaresip, nativeBaresip, type BaresipProcess } from './process.js';
import { toneWav } from './tone.js';

export const BARESIP_INSTALL_HINT = 'apt-get install baresip-core (as root), or use its container (`sipwright images build --only baresip`)';

const READY = new RegExp(READY_LINE.replace(/\./g, '\\.'));
/**
 * The runtime folder (config, accounts, tone) is mounted here, read-only: the path the image's CMD names.
 * register() rewrites `accounts` on the host, which the mount shows at once.
 */
const CONTAINER_DIR = '/etc/baresip';
const CONTAINER_MODULES = '/usr/lib/baresip/modules';
/** Where Debian-like systems keep baresip's modules, for a native run. */
const NATIVE_MODULE_DIRS = ['/usr/lib/baresip/modules', '/usr/local/lib/baresip/modules', '/usr/lib/x86_64-linux-gnu/baresip/modules', '/usr/lib/aarch64-linux-gnu/baresip/modules'];
/**
 * The image's source-address shim (docker/baresip/bindaddr.c), LD_PRELOADed: baresip binds RTP to 0.0.0.0 and
 * libre connects SIP over TCP unbound, so on loopback both would leave from 127.0.0.1; with it they leave from
 * the endpoint's address. A native baresip has no shim: there RTP is on every address and TCP from 127.0.0.1.
 */
const BIND_SHIM = '/usr/local/lib/sipwright-bindaddr.so';
const TONE_FILE = 'tone.wav';
const ACCOUNTS_FILE = 'accounts';
/** ctrl_tcp listens before the ready line: a connection refused for longer than this is a real failure. */
const CTRL_CONNECT_MS = 3000;

export class Baresip {
  private o: BaresipOptions;
  private logFile?: string;
  private runtime: RuntimeKind = 'auto';

  /** SIP on address:port (UDP and TCP), RTP and the ctrl port on the same address. */
  constructor(address: string, port = 5060) {
    this.o = defaultBaresipOptions(address, port);
  }

  /**
   * Its one account. With `registrar` ("host:port"), register() registers there, and every request goes
   * through it (baresip's outbound proxy); without, calls go straight to the dialled URI's host.
   */
  withAccount(a: BaresipAccount): this {
    checkAccount(this.name, a);
    this.o.account = { ...a };
    return this;
  }
  /** answermode=auto: incoming calls are answered at once (default: they ring until answer()). */
  withAutoAnswer(on = true): this {
    this.o.autoAnswer = on;
    return this;
  }
  /** The ctrl_tcp port on its address (default 4444). */
  withCtrlPort(port: number): this {
    this.o.ctrlPort = port;
    return this;
  }
  /** The registration interval register() asks for (regint, the REGISTER's Expires), in seconds. */
  withRegisterInterval(seconds: number): this {
    this.o.registerIntervalS = seconds;
    return this;
  }
  /** RTP and RTCP only in this port range. */
  withRtpPorts(start: number, end: number): this {
    this.o.rtpPorts = { start, end };
    return this;
  }
  /** Append baresip's output to this file (a report attachment; the password masked). */
  withLogFile(path: string): this {
    this.logFile = path;
    return this;
  }
  /** native, container, or auto (native when a baresip binary is installed, else the baresip image). */
  withRuntime(kind: RuntimeKind): this {
    this.runtime = kind;
    return this;
  }

  get options(): Readonly<BaresipOptions> {
    return this.o;
  }

  private get name(): string {
    return `baresip@${hostPort(this.o.address, this.o.port)}`;
  }

  private get secrets(): string[] {
    return this.o.account?.password ? [this.o.account.password] : [];
  }

  async start(): Promise<StartedBaresip> {
    const runtime = resolveRuntime(this.runtime, 'baresip');
    const options: BaresipOptions = structuredClone(this.o);
    const dir = ownTempDir('baresip');
    let proc: BaresipProcess | undefined;
    let ctrl: BaresipCtrl | undefined;
    try {
      writeFileSync(join(dir, TONE_FILE), toneWav());
      // No REGISTER yet (regint=0): register() sends it, so a test's capture holds it and its outcome reaches ctrl.
      if (options.account) writeAccounts(dir, accountLine(options, options.account, false));
      proc = runtime === 'native' ? await this.startNative(dir, options) : await this.startContainer(dir, options);
      await this.checkModules(proc);
      ctrl = await BaresipCtrl.connect({ host: options.address, port: options.ctrlPort, name: this.name, timeoutMs: CTRL_CONNECT_MS, secrets: this.secrets });
    } catch (e) {
      ctrl?.close();
      await proc?.stop().catch(() => undefined);
      removeTempDir(dir);
      if (e instanceof EnvironmentError && this.runtime === 'auto') {
        throw new EnvironmentError(`baresip is not installed (${BARESIP_INSTALL_HINT}), and its container can't run: ${e.message}`);
      }
      throw e;
    }
    return new StartedBaresip(proc, ctrl, options, dir);
  }

  /**
   * baresip says it is ready even when a module failed to load: ctrl_tcp on a port another process holds
   * prints "module ctrl_tcp.so: Address already in use" and then "baresip is ready.", and a connection to that
   * port would reach the other process. Every module here is needed, so a failed one fails the start.
   */
  private async checkModules(proc: BaresipProcess): Promise<void> {
    // The ready line was seen by the wait strategy; the kept output can trail it by a chunk.
    const deadline = Date.now() + 3000;
    while (!proc.output().includes(READY_LINE) && proc.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // eslint-disable-next-line no-control-regex
    const plain = proc.output().replace(/\x1b\[[0-9;]*m/g, '');
    const failed = /^module (\S+\.so): (.+)$/m.exec(plain);
    if (!failed) return;
    const ctrl = failed[1] === 'ctrl_tcp.so' ? ` (its ctrl port ${hostPort(this.o.address, this.o.ctrlPort)})` : '';
    throw new Error(`${this.name}: baresip could not load ${failed[1]}${ctrl}: ${failed[2].trim()}`);
  }

  private async startContainer(dir: string, o: BaresipOptions): Promise<BaresipProcess> {
    const paths: BaresipPaths = { toneFile: `${CONTAINER_DIR}/${TONE_FILE}`, modulePath: CONTAINER_MODULES };
    writeFileSync(join(dir, 'config'), renderBaresipConfig(o, paths));
    const c = await startContainer({
      name: this.name,
      image: imageTag('baresip'),
      command: ['baresip', '-f', CONTAINER_DIR],
      env: { LD_PRELOAD: BIND_SHIM, SIPWRIGHT_BIND_ADDRESS: o.address },
      binds: [{ source: dir, target: CONTAINER_DIR, mode: 'ro' }],
      hostDir: dir,
      readyLine: READY,
      readyTimeoutMs: 15_000,
      logFile: this.logFile,
      secrets: this.secrets,
    });
    return containerBaresip(c);
  }

  private async startNative(dir: string, o: BaresipOptions): Promise<BaresipProcess> {
    const modulePath = NATIVE_MODULE_DIRS.find((d) => existsSync(d)) ?? NATIVE_MODULE_DIRS[0];
    writeFileSync(join(dir, 'config'), renderBaresipConfig(o, { toneFile: join(dir, TONE_FILE), modulePath }));
    const p = await spawnNative({
      name: this.name,
      command: 'baresip',
      args: ['-f', dir],
      readyLine: READY,
      readyTimeoutMs: 10_000,
      logFile: this.logFile,
      installHint: BARESIP_INSTALL_HINT,
      secrets: this.secrets,
      dir,
    });
    return nativeBaresip(p);
  }
}

/** The account line holds the password: readable by its owner only (the container reads it as root). */
function writeAccounts(dir: string, line: string): void {
  const file = join(dir, ACCOUNTS_FILE);
  writeFileSync(file, `${line}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A call as the events tell it: from its first event with an id to its CALL_CLOSED. */
export interface BaresipCall {
  /** baresip's call id: the SIP Call-ID. */
  id: string;
  direction?: 'incoming' | 'outgoing';
  peeruri?: string;
  established: boolean;
}

export class StartedBaresip {
  /** The event mark taken before this endpoint's last action: where waitFor() looks from by default. */
  private since = 0;
  /** The mark before the last dial(): until its call has an event with an id, only this says a call exists. */
  private dialMark?: number;

  constructor(
    private readonly proc: BaresipProcess,
    /** Its ctrl_tcp connection: raw commands and the whole event log. */
    readonly ctrl: BaresipCtrl,
    readonly options: Readonly<BaresipOptions>,
    private readonly dir: string,
  ) {}

  get name(): string {
    return this.ctrl.name;
  }
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
  /** sip:user@domain of its account. */
  get aor(): string | undefined {
    return this.options.account ? accountAor(this.options.account) : undefined;
  }
  get running(): boolean {
    return this.proc.running;
  }
  get runtime(): 'native' | 'container' {
    return this.proc.runtime;
  }

  /** Everything baresip printed, the password masked: for report attachments. */
  logs(): string {
    return this.proc.output();
  }

  get events(): readonly BaresipEvent[] {
    return this.ctrl.events;
  }

  /**
   * The next event of these types not yet waited for, from this endpoint's last action on (register, dial,
   * answer, hangup, transfer) unless `since` says otherwise.
   */
  waitFor<T extends BaresipEventType>(types: T | readonly T[], o: WaitOptions<T> = {}): Promise<BaresipEvent<T>> {
    return this.ctrl.waitFor(types, { since: this.since, ...o });
  }

  /** Calls not closed yet, in the order they began. */
  calls(): BaresipCall[] {
    const calls = new Map<string, BaresipCall>();
    for (const e of this.ctrl.events) {
      if (!e.id) continue;
      // baresip 1.0 as transferor ends the call after a failed transfer too (BYE, and gone from listcalls) but
      // raises no CALL_CLOSED for it: TRANSFER_FAILED is the last event of that call.
      if (e.type === 'CALL_CLOSED' || e.type === 'TRANSFER_FAILED') {
        calls.delete(e.id);
        continue;
      }
      const c = calls.get(e.id) ?? { id: e.id, direction: e.direction, peeruri: e.peeruri, established: false };
      if (e.type === 'CALL_ESTABLISHED') c.established = true;
      calls.set(e.id, c);
    }
    return [...calls.values()];
  }

  /**
   * Registers its account with its registrar (401 challenge answered with the password) and resolves with
   * REGISTER_OK; REGISTER_FAIL rejects, naming the account and baresip's reason (the final status).
   * baresip 1.0 has no "register now" command: the account is created again, from its `accounts` file
   * rewritten with a registration interval (the account module reads it when loaded, and registers).
   */
  async register(timeoutMs = 5000): Promise<BaresipEvent<'REGISTER_OK'>> {
    const a = this.options.account;
    if (!a) throw new Error(`${this.name}: register(): no account (withAccount)`);
    if (!a.registrar) throw new Error(`${this.name}: register(): account ${accountAor(a)} has no registrar`);
    if (this.calls().length > 0) throw new Error(`${this.name}: register() would drop its ${this.calls().length} call(s): it re-creates the account`);
    const aor = accountAor(a);
    this.since = this.ctrl.mark();
    writeAccounts(this.dir, accountLine(this.options, a, true));
    await this.ctrl.command('uadel', aor);
    await this.ctrl.command('insmod', `${ACCOUNT_MODULE}.so`);
    // Unloaded again, as at start, so the next register() can load it once more; the account stays.
    await this.ctrl.command('rmmod', ACCOUNT_MODULE);
    const e = await this.waitFor(['REGISTER_OK', 'REGISTER_FAIL'], { timeoutMs, where: (x) => x.accountaor === aor });
    if (e.type === 'REGISTER_FAIL') throw new Error(`${this.name}: account ${aor} could not register with ${a.registrar}: ${e.param || 'no reason given'}`);
    return e as BaresipEvent<'REGISTER_OK'>;
  }

  /**
   * Calls `uri` and resolves once baresip has taken the command (the INVITE is on its way). Wait for the
   * outcome with waitFor('CALL_RINGING' | 'CALL_ESTABLISHED' | 'CALL_CLOSED').
   */
  async dial(uri: string): Promise<void> {
    if (!this.options.account) throw new Error(`${this.name}: dial(): no account to call from (withAccount)`);
    if (!/^(sips?|tel):\S+$/.test(uri)) throw new Error(`${this.name}: dial(): "${uri}" is not a sip:, sips: or tel: URI`);
    this.since = this.ctrl.mark();
    this.dialMark = this.since;
    await this.ctrl.command('dial', uri);
  }

  /**
   * Answers the incoming call that rings (answermode manual), waiting up to `timeoutMs` for one to ring if
   * none does yet, and resolves once it is established.
   */
  async answer(timeoutMs = 5000): Promise<BaresipEvent<'CALL_ESTABLISHED'>> {
    const mark = this.ctrl.mark();
    let id = this.calls().find((c) => c.direction === 'incoming' && !c.established)?.id;
    if (!id) {
      // baresip answers ok to `accept` even with no call at all: a call must be seen ringing first.
      const incoming = await this.ctrl.waitFor('CALL_INCOMING', { since: mark, timeoutMs }).catch((e: Error) => {
        const why = e.message.startsWith(`${this.name}: `) ? e.message.slice(this.name.length + 2) : e.message;
        throw new Error(`${this.name}: answer(): no incoming call rang${this.options.autoAnswer ? ' (it answers by itself: withAutoAnswer)' : ''}: ${why}`);
      });
      id = incoming.id;
    }
    this.since = this.ctrl.mark();
    await this.ctrl.command('accept');
    return this.waitFor('CALL_ESTABLISHED', { timeoutMs, where: (e) => e.id === id });
  }

  /** Hangs up its current call (BYE, or CANCEL before an answer) and resolves with its CALL_CLOSED. */
  async hangup(timeoutMs = 5000): Promise<BaresipEvent<'CALL_CLOSED'>> {
    const ids = new Set(this.calls().map((c) => c.id));
    // Dialled, and no event with an id yet (none comes before a provisional response): the call exists all the same.
    const dialMark = this.dialMark;
    const justDialled = dialMark !== undefined && !this.ctrl.events.some((e) => e.seq >= dialMark && e.id !== undefined && e.direction === 'outgoing');
    // baresip answers ok to `hangup` with no call; without this check nothing would tell.
    if (ids.size === 0 && !justDialled) throw new Error(`${this.name}: hangup(): no call to hang up`);
    this.since = this.ctrl.mark();
    await this.ctrl.command('hangup');
    return this.waitFor('CALL_CLOSED', { timeoutMs, where: (e) => e.id !== undefined && (ids.has(e.id) || (justDialled && e.direction === 'outgoing')) });
  }

  /**
   * Blind transfer of its current, established call to `uri`: baresip sends REFER (Refer-To: uri, no
   * Referred-By). Resolves once the REFER is sent. The outcome comes as events: CALL_CLOSED "Call transfered"
   * once a NOTIFY carries a 2xx, TRANSFER_FAILED "<status>" for a non-2xx one. Either way baresip 1.0 then
   * sends BYE on the call: a failed transfer does not give the call back (seen on the wire, 404 from the target).
   */
  async transfer(uri: string): Promise<void> {
    if (!/^(sips?|tel):\S+$/.test(uri)) throw new Error(`${this.name}: transfer(): "${uri}" is not a sip:, sips: or tel: URI`);
    if (!this.calls().some((c) => c.established)) throw new Error(`${this.name}: transfer(): no established call to transfer`);
    this.since = this.ctrl.mark();
    await this.ctrl.command('transfer', uri);
  }

  /**
   * Stops baresip (its account unregisters when it can, its calls are hung up), closes ctrl and removes its
   * runtime folder. `graceful: false` kills it at once: no BYE of a call whose far end is gone keeps being
   * retransmitted to an address and port the next test's party may hold (the caller unregisters it instead).
   */
  async stop(o: { graceful?: boolean } = {}): Promise<void> {
    this.ctrl.close();
    try {
      await this.proc.stop(o.graceful ?? true);
    } finally {
      removeTempDir(this.dir);
    }
  }
}
