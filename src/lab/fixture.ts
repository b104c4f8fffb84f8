/**
 * The lab fixture for suites. `describeLab` opens a jest describe block that, for the whole file, claims this
 * worker's loopback block and starts (or probes) the target; for each test it starts a capture, hands the
 * test its parties and SIPp, and afterwards keeps the evidence: pcap, ladders, rule findings, SIPp files and
 * the target's log, as Allure attachments and in the per-test meta.json that the summary reads.
 *
 *   describeLab('Registration (RFC 3261 §10)', { suite: 'registration', roles: ['registrar'] }, (lab) => {
 *     lab.test('401 then 200 — RFC 3261 §22.2', async () => { … expect(await lab.trace()).toHaveFlow([…]) });
 *   });
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import '../expect/index.js';
import type { StartedBaresip } from '../../drivers/baresip/index.js';
import type { StartedKamailio } from '../../drivers/kamailio/index.js';
import { Sipp, type ScenarioBuilder } from '../../drivers/sipp/index.js';
import { addSecrets, attachText, labelTest, scrub } from '../report/allure.js';
import { writeMeta } from '../report/artifacts.js';
import { reapStale } from '../runtime/process-registry.js';
import { claimAddressBlock, type AddressBlock } from './address-block.js';
import { Backgrounds } from './background.js';
import { embeddedUnavailable } from './embedded.js';
import { runEnv, type RunEnv } from './run-env.js';
import type { LabConfig, Role } from './schema.js';
import { startTarget, type StartedTarget } from './started-target.js';
import { loadLabConfig, secretsOf, selectTargets, type TargetPlan } from './target.js';
import { startPeer } from './peer.js';
import { startPhone } from './phone.js';
import { workerStore } from './worker-store.js';
import { TestRun } from './test-run.js';
import { runTransport } from './transport.js';
import { PortEpochs } from './port-epochs.js';
import { hostPort } from '../util/host.js';
import { reapStaleNetns } from '../runtime/netns.js';
import { extractSip } from '../capture/extract.js';
import { Trace } from '../trace/trace.js';
import { UserAgent, type Credentials } from '../ua/index.js';

export interface LabOptions {
  /** Roles the target must play for any test of the file to run. */
  roles: Role[];
  /** The target's name in ladders; defaults to its first required role ("registrar"). */
  targetParty?: string;
  /**
   * The file needs the other domain's proxy (lab.peer), named so in ladders: the lab starts it where the
   * target routes that domain, and a target that declares no such domain (proxy.peer) skips the file's tests.
   */
  peerParty?: string;
}

export interface LabTestOptions {
  /**
   * The RFC sections the test checks, e.g. "RFC 3261 §10.3": written once, here. They end the test's title
   * (" — RFC 3261 §10.3, §10.2.8") and become Allure links.
   */
  rfc?: string | string[];
  /** Further roles this test needs. */
  roles?: Role[];
  /** Return true when the target can run the test, or the reason it can't (the test is skipped with it). */
  requires?: (plan: TargetPlan) => true | string;
  timeoutMs?: number;
  /**
   * Start the test as soon as the target is up and let it run while the file's other tests do (see
   * background.ts): for exchanges that must wait out real time the RFC fixes. jest reports it after the other
   * tests of its describe block, wherever it is written among them. It has an address block and
   * parties of its own, so its body must use the lab it is given, not the one describeLab handed the file;
   * give it a timeoutMs that covers its whole wait.
   */
  background?: boolean;
}

type TestFn = (lab: Lab) => Promise<void>;

/** The SIP ports of a party where parties share an address: 5060 to 5063 as a suite sees them. */
const PORTS_PER_PARTY = 4;
/**
 * Over TCP, how many sets of ports a party moves between (port-epochs.ts): on its own loopback address 5060 to
 * 5123; where parties share an address, 12 ports of the block's 79 each (six parties fit a worker).
 */
const LOOPBACK_TCP_EPOCHS = 16;
const SHARED_TCP_EPOCHS = 3;

function missingRoles(plan: TargetPlan, roles: Role[]): Role[] {
  return roles.filter((r) => !plan.roles.includes(r));
}

export class Lab {
  private block?: AddressBlock;
  private started?: StartedTarget;
  private startedPeer?: StartedKamailio;
  /**
   * Over TLS the other domain's proxy starts per test, with the test's key log: Kamailio keeps its connections
   * open, and a connection between the proxies set up in an earlier test would have its handshake in that
   * test's capture only, so no later capture could read it.
   */
  private peerPerTest = false;
  private current?: TestRun;
  private readonly parties = new Map<string, string>();
  /** Where parties share one address (StartedTarget.local): each party's first SIP port. */
  private readonly partyPorts = new Map<string, number>();
  /** Over TCP: each party's epoch (port-epochs.ts) in the test that picked it. */
  private readonly epochs = new Map<string, { run: TestRun; epoch: number }>();
  private ownEpochs?: PortEpochs;
  private readonly path: string[];
  private readonly backgrounds = new Backgrounds();
  private pendingBackground: Array<() => void> = [];
  private ready?: Promise<void>;
  /** The target, peer and block belong to the worker (worker-store.ts), not to this block. */
  private shared = false;

  /**
   * @param unavailable why this (embedded) target can't run here: every test is then skipped with it, so a
   *   machine without docker still runs the other targets and says what the skipped ones need.
   */
  constructor(
    readonly options: LabOptions,
    title: string,
    readonly plan: TargetPlan,
    readonly labConfig: LabConfig,
    readonly env: RunEnv,
    private readonly unavailable?: string,
  ) {
    // The target's name is the outer describe: the same suite on two targets gives two distinct test names,
    // and reports group by it.
    this.path = [plan.name, title];
    addSecrets(...secretsOf(this.plan));
  }

  /** The running target (inside a test). */
  get target(): StartedTarget {
    if (!this.started) throw new Error('the target is not started: use lab.target inside a lab.test');
    return this.started;
  }

  /** @internal The other domain's proxy if one runs now (a test run notes where its log stood). */
  get peerIfStarted(): StartedKamailio | undefined {
    return this.startedPeer;
  }

  /** The other domain's proxy (files with a peerParty, inside a test). */
  get peer(): StartedKamailio {
    if (!this.startedPeer) throw new Error('no peer proxy: give describeLab a peerParty, and use lab.peer inside a lab.test');
    return this.startedPeer;
  }

  /** The suite: the folder the test file is in, under suites/ (report grouping, artifact paths). */
  get suite(): string {
    return suiteOf(this.testFile);
  }

  /** The other domain the target routes, and where the lab runs its proxy (files with a peerParty, inside a test). */
  get peerDomain(): { domain: string; host: string; hostPort: string } {
    const peer = this.target.peer;
    if (!peer) throw new Error(`target ${this.plan.name} declares no other domain (proxy.peer in the target file)`);
    return peer;
  }

  get targetParty(): string {
    return this.options.targetParty ?? this.options.roles[0] ?? 'target';
  }

  /** The lab's own addresses (this worker's block). */
  get addresses(): AddressBlock {
    if (!this.block) throw new Error('the lab is not set up: use lab.addresses inside a lab.test');
    return this.block;
  }

  /** The test in progress: its capture, artifacts and SIPp runs. */
  get run(): TestRun {
    if (!this.current) throw new Error('no test is running');
    return this.current;
  }

  /** The test file (absolute), for meta.json. */
  get testFile(): string {
    return testFile();
  }

  /**
   * The address of a named user agent in this file ("alice" → 127.100.N.x), allocated on first use. Against a
   * target reached from one local address, every party has that address, on ports of its own (endpoint()).
   */
  party(name: string): string {
    const local = this.started?.local;
    if (local) {
      this.portsOf(name, 0);
      return local.address;
    }
    let addr = this.parties.get(name);
    if (!addr) {
      // On the worker's block a party keeps its address for all the worker's files (the block would run out
      // otherwise); a background test's own block gives it addresses of its own.
      const store = workerStore();
      addr = store && this.shared && this.block === store.block() ? store.host(`party:${name}`) : this.addresses.allocateHost();
      this.parties.set(name, addr);
    }
    return addr;
  }

  /**
   * Where a party's SIP socket is: its address and `port`, one of 5060 (its first) to 5063. Where parties
   * share one address, the port is mapped into the party's own ports (e.g. 5062 → its first port + 2). Over
   * TCP a party moves to other ports from one test to the next (port-epochs.ts), the same all through a test.
   */
  endpoint(name: string, port = 5060): { host: string; port: number } {
    const offset = port - 5060;
    if (!Number.isInteger(offset) || offset < 0 || offset >= PORTS_PER_PARTY) {
      throw new RangeError(`party ${name}: port ${port} is not one of the ports a party may use (5060–${5060 + PORTS_PER_PARTY - 1})`);
    }
    const local = this.started?.local;
    const epoch = this.epochOf(name, local ? SHARED_TCP_EPOCHS : LOOPBACK_TCP_EPOCHS);
    if (!local) return { host: this.party(name), port: port + epoch * PORTS_PER_PARTY };
    return { host: local.address, port: this.portsOf(name, epoch) + offset };
  }

  /** The party's epoch in the current test: 0 over UDP, the least recently used of `max` over TCP. */
  private epochOf(name: string, max: number): number {
    const run = this.current;
    if (runTransport(this.plan) === 'udp' || !run) return 0;
    const have = this.epochs.get(name);
    if (have?.run === run) return have.epoch;
    const store = workerStore();
    const clock = store && this.shared && this.block === store.block() ? store.epochs : (this.ownEpochs ??= new PortEpochs());
    const epoch = clock.pick(`${this.addresses.index} ${name}`, max);
    this.epochs.set(name, { run, epoch });
    return epoch;
  }

  /** A party's first port in `epoch` where parties share an address: the worker's for its whole life, like its address. */
  private portsOf(name: string, epoch: number): number {
    const key = `${name} ${epoch}`;
    let base = this.partyPorts.get(key);
    if (base === undefined) {
      const store = workerStore();
      base = store && this.shared && this.block === store.block() ? store.ports(`party:${key}`, PORTS_PER_PARTY) : this.addresses.allocatePorts(PORTS_PER_PARTY);
      this.partyPorts.set(key, base);
    }
    return base;
  }

  /** The target's i-th account (throws with a clear message when the target file lists too few). */
  account(i: number) {
    const a = this.plan.accounts[i];
    if (!a) throw new Error(`the test needs account #${i + 1}, but ${this.plan.source} lists ${this.plan.accounts.length}`);
    return a;
  }

  /** Address → name for ladders: the target, and every party allocated so far. */
  partyNames(): Record<string, string> {
    const names: Record<string, string> = {};
    const nodes: Array<{ host: string; hostPort: string; name: string }> = [];
    if (this.started) nodes.push({ host: this.started.host, hostPort: this.started.hostPort, name: this.targetParty });
    if (this.started?.peer && this.startedPeer && this.options.peerParty) nodes.push({ host: this.started.peer.host, hostPort: this.startedPeer.hostPort, name: this.options.peerParty });
    for (const n of nodes) {
      names[n.hostPort] = n.name;
      // Over TCP a node connects from ports of its own choosing: a node alone on its address is named by the
      // address too (a party on it, named with its port, is still told apart: the most specific name wins).
      if (nodes.filter((o) => o.host === n.host).length === 1) names[n.host] = n.name;
    }
    for (const [name, addr] of this.parties) names[addr] = name;
    const local = this.started?.local;
    if (local) {
      for (const [key, base] of this.partyPorts) for (let k = 0; k < PORTS_PER_PARTY; k++) names[hostPort(local.address, base + k)] = key.slice(0, key.lastIndexOf(' '));
    }
    return names;
  }

  /**
   * A SIPp user agent for the current test, preconfigured: it sends from the party's address, to the target,
   * over the run's transport, with the target's T1, where the lab config's runtime.sipp says, its files kept
   * as the test's evidence (the control port is picked free on the party's own address by the driver). Add withAuth(),
   * withCalls() … and run() or start() it.
   */
  sipp(s: ScenarioBuilder | string, o: { party?: string; port?: number; label?: string; timeoutMs?: number } = {}): Sipp {
    const party = o.party ?? 'alice';
    const dir = this.run.sippDir(o.label ?? party);
    const transport = runTransport(this.plan);
    const here = this.endpoint(party, o.port ?? 5060);
    const sipp = new Sipp(s)
      .withLocal(here.host, here.port)
      .withRemote(this.target.hostPort)
      .withTransport(transport)
      .withT1(this.plan.t1Ms)
      .withTimeout(o.timeoutMs ?? 20_000)
      .withRuntime(this.labConfig.runtime.sipp)
      .withLogDir(dir);
    if (transport !== 'tls') return sipp;
    // Over TLS: it verifies the target against its CA, accepts the target's connections with a certificate of
    // the lab's own, and logs its secrets so that the test's capture can be read (test-run.ts).
    const tls = this.target.tls;
    if (!tls) throw new Error(`target ${this.plan.name} was started without TLS: it can't run over TLS`);
    return sipp.withTls({ ca: tls.caFile, cert: tls.party.certFile, key: tls.party.keyFile }).withKeyLog(this.run.keyLog);
  }

  /**
   * A real phone (baresip) at the party's address, registered as `account` (phone.ts): for what SIPp can't be,
   * such as the transferee of a REFER. It answers calls by itself unless told not to.
   */
  async phone(name: string, account: Credentials, o: { autoAnswer?: boolean } = {}): Promise<StartedBaresip> {
    const phone = await startPhone(this, name, account, o);
    await phone.register();
    return phone;
  }

  /**
   * A user agent at the party's address (src/ua): with an account it registers, calls as that AoR and answers
   * challenges. `port` when one party runs two user agents at once (a phone that registers while another of
   * its SIPps waits for OPTIONS).
   */
  ua(name: string, account?: Credentials, o: { port?: number } = {}): UserAgent {
    const lab = this;
    return new UserAgent(
      {
        sipp: (s, x) => lab.sipp(s, x),
        address: (party) => lab.party(party),
        get domain() {
          return lab.target.domain;
        },
        t1Ms: this.plan.t1Ms,
        transport: runTransport(this.plan),
        onCleanup: (fn, key) => lab.run.onCleanup(fn, key),
        track: (running) => lab.run.track(running),
      },
      name,
      // Challenges name the target's algorithms unless the account declares its own.
      account && !account.algorithms && this.plan.auth?.algorithms ? { ...account, algorithms: this.plan.auth.algorithms } : account,
      o.port,
    );
  }

  /**
   * Resolves true once `seen` holds for the capture so far, false when `timeoutMs` pass first. The test's
   * capture is written packet by packet, so it can be read while it grows. This paces a test (act once a
   * message has arrived), never decides it: the verdict comes from lab.trace().
   */
  async onWire(seen: (trace: Trace) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const trace = Trace.fromCapture(extractSip(readFileSync(this.run.pcap)), { parties: this.partyNames() });
      if (seen(trace)) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * What the test found besides its verdict, in words for the person reading the report (which way a large
   * request went, say): an Allure attachment, and a line of note.txt among the test's evidence.
   */
  async note(text: string): Promise<void> {
    appendFileSync(join(this.run.dir, 'note.txt'), `${scrub(text)}\n`);
    await attachText('note', text);
  }

  /** Stops the capture, parses it, checks the rules and keeps the evidence. Same trace on later calls. */
  trace() {
    return this.run.trace();
  }

  /** jest describe within the lab (for grouping; names go into the full test name). */
  describe(title: string, fn: () => void): void {
    describe(title, () => {
      this.path.push(title);
      const outer = this.pendingBackground;
      this.pendingBackground = [];
      try {
        fn();
        this.registerBackground();
      } finally {
        this.pendingBackground = outer;
        this.path.pop();
      }
    });
  }

  /**
   * @internal Gives jest the block's background tests, at the end of it: jest runs a block's tests in order,
   * and one that waits for a background test would hold up every test after it.
   */
  registerBackground(): void {
    for (const register of this.pendingBackground.splice(0)) register();
  }

  test(name: string, fn: TestFn): void;
  test(name: string, opts: LabTestOptions, fn: TestFn): void;
  test(name: string, a: LabTestOptions | TestFn, b?: TestFn): void {
    const opts: LabTestOptions = typeof a === 'function' ? {} : a;
    const fn = (typeof a === 'function' ? a : b)!;
    name = titleWithRfc(name, opts.rfc);
    const fullName = [...this.path, name].join(' ');
    const missing = missingRoles(this.plan, [...this.options.roles, ...(opts.roles ?? [])]);
    const req = opts.requires?.(this.plan);
    const skipReason = this.unavailable ?? (missing.length
      ? `target ${this.plan.name} does not declare the role${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`
      : typeof req === 'string'
        ? req
        : this.options.peerParty && !this.plan.proxy?.peer
          ? `target ${this.plan.name} declares no other domain to route to (proxy.peer in the target file: a domain it sends to an address of this machine, where sipwright runs that domain's proxy)`
          : undefined);
    if (skipReason) {
      writeMeta(this.env.reportDir, { suite: this.suite, file: this.testFile, fullName, target: this.plan.name, rules: [], findings: 0, skipReason });
      test.skip(name, () => {});
      return;
    }
    // A background test starts with the file, before jest looks at names: one that --grep leaves out must
    // not start at all (it would make the run wait out its interval for nothing).
    if (opts.background && this.env.grep && !this.env.grep.test(fullName)) {
      test(name, () => {});
      return;
    }
    if (opts.background) {
      this.backgrounds.add(fullName, fn);
      this.pendingBackground.push(() =>
        test(
          name,
          async () => {
            await labelTest({ suite: this.suite, target: this.plan.name, rfc: opts.rfc });
            await this.backgrounds.settle(fullName);
          },
          opts.timeoutMs,
        ),
      );
      return;
    }
    test(
      name,
      async () => {
        await labelTest({ suite: this.suite, target: this.plan.name, rfc: opts.rfc });
        let failure: unknown;
        try {
          await fn(this);
        } catch (e) {
          failure = e;
        }
        try {
          await this.run.finish();
        } catch (e) {
          // The body's own failure says more; a verdict from the evidence (rule findings) only counts alone.
          failure ??= e;
        }
        if (failure !== undefined) throw failure;
      },
      opts.timeoutMs,
    );
  }

  /** @internal Whether the file's set-up should start with the file rather than with its describe block. */
  get hasBackground(): boolean {
    return this.backgrounds.size > 0;
  }

  /** @internal Claims the block, starts the target and the background tests; once, whichever hook comes first. */
  setUp(): Promise<void> {
    this.ready ??= this.startLab();
    return this.ready;
  }

  /** A view of this lab for a background test: the same target and accounts, its own block, parties and run. */
  private async beginBackground(fullName: string, block: AddressBlock): Promise<{ lab: Lab; run: TestRun }> {
    const view = Object.create(this) as Lab;
    Object.defineProperties(view, { block: { value: block }, parties: { value: new Map<string, string>() }, partyPorts: { value: new Map<string, number>() }, epochs: { value: new Map() }, ownEpochs: { value: undefined, writable: true }, current: { value: undefined, writable: true } });
    const run = await TestRun.begin(view, fullName, () => `net ${block.cidr}`);
    view.current = run;
    return { lab: view, run };
  }

  /**
   * Claims the block and starts the target. In sipwright's jest environment both belong to the worker: the
   * target (and the peer proxy) start once per worker and target, whatever the number of describeLab blocks
   * and files, and stay until the worker ends (worker-store.ts). Elsewhere they are this block's own.
   */
  private async startLab(): Promise<void> {
    for (const e of reapStale()) process.stderr.write(`sipwright: removed leftover ${e.name} (pid ${e.pgid}) of a crashed run\n`);
    for (const n of reapStaleNetns()) process.stderr.write(`sipwright: deleted leftover network namespace ${n} of a crashed run\n`);
    const store = workerStore();
    this.shared = store !== undefined;
    this.block = store ? store.block(this.env.workerId) : claimAddressBlock(this.env.workerId);
    const anyRunnable = !this.unavailable && missingRoles(this.plan, this.options.roles).length === 0;
    if (!anyRunnable) return;
    const key = targetKey(this.plan, this.env);
    this.started = store ? await store.target(key, this.plan, this.labConfig) : await startTarget(this.plan, this.block, this.labConfig);
    const started = this.started;
    if (this.options.peerParty && started.peer) {
      if (runTransport(this.plan) === 'tls') this.peerPerTest = true;
      else this.startedPeer = store ? await store.peer(key, started, this.labConfig) : await startPeer(started, this.labConfig);
    }
    await this.backgrounds.startAll((fullName, block) => this.beginBackground(fullName, block));
  }

  /** @internal hooks registered by describeLab */
  hooks(): void {
    beforeAll(() => this.setUp(), 60_000);
    afterAll(async () => {
      await this.backgrounds.stopAll();
      // The worker's own target, peer and block stay for its next files.
      if (!this.shared || this.peerPerTest) await this.startedPeer?.stop();
      if (!this.shared) {
        await this.started?.stop();
        this.block?.release();
      }
      this.startedPeer = undefined;
      this.started = undefined;
    });
    beforeEach(async () => {
      const fullName = expect.getState().currentTestName ?? 'unnamed test';
      if (this.backgrounds.has(fullName)) return;
      this.current = await TestRun.begin(this, fullName, (f) => this.backgrounds.exclude(f));
      if (this.peerPerTest && this.started) {
        const peer = await startPeer(this.started, this.labConfig, { keyLog: this.current.keyLog });
        this.startedPeer = peer;
        // Last: the cleanups before it may still undo bob's registration with it.
        this.current.atLast(() => peer.stop());
      }
    }, 60_000);
    afterEach(async () => {
      try {
        await this.current?.finishIfPending();
      } finally {
        this.current = undefined;
      }
    });
  }
}

/** What makes two describeLab blocks' targets the same one: the target, the lab config, the transport. */
function targetKey(plan: TargetPlan, env: RunEnv): string {
  return [plan.name, plan.source, env.labConfig ?? '', runTransport(plan)].join(' | ');
}

/**
 * "INVITE crosses the proxy" with rfc ['RFC 3261 §16.6', 'RFC 3261 §16.7', 'RFC 3262 §3'] becomes
 * "INVITE crosses the proxy — RFC 3261 §16.6, §16.7, RFC 3262 §3". A title that names its RFC itself would
 * say it twice, and the two would drift: refused.
 */
export function titleWithRfc(name: string, rfc: string | string[] | undefined): string {
  if (/ — RFC \d/.test(name)) throw new Error(`test "${name}": the RFC sections go in the rfc option only; the title's suffix is built from them`);
  const list = rfc === undefined ? [] : Array.isArray(rfc) ? rfc : [rfc];
  if (list.length === 0) return name;
  const parts: string[] = [];
  let current = '';
  for (const r of list) {
    const m = /^(RFC \d+) (.+)$/.exec(r.trim());
    if (!m) throw new Error(`test "${name}": rfc "${r}" is not of the form "RFC 3261 §10.3"`);
    parts.push(m[1] === current ? m[2] : `${m[1]} ${m[2]}`);
    current = m[1];
  }
  return `${name} — ${parts.join(', ')}`;
}

/** The suite of a test file: the folder right under a `suites` (or `…-suites`) folder, else the file's own folder. */
export function suiteOf(file: string): string {
  const parts = file.split(/[\\/]/);
  for (let i = parts.length - 2; i >= 1; i--) if (/(^|-)suites$/.test(parts[i - 1])) return parts[i];
  return parts[parts.length - 2] ?? '';
}

/** The current test file, as jest reports it (absolute path). */
function testFile(): string {
  return expect.getState().testPath ?? '';
}

/**
 * One describe block per target of the run (see selectTargets): named targets run every test, skipping those
 * whose roles they lack with the reason; with none named, each embedded target runs the file only when it
 * has the roles the file needs.
 */
export function describeLab(title: string, options: LabOptions, body: (lab: Lab) => void): void {
  const env = runEnv();
  const labConfig = loadLabConfig(env.labConfig);
  const selected = selectTargets(env.targets, labConfig);
  const mode = selected.mode;
  // `--local-address` applies to every target file of the run (the embedded targets live on loopback blocks).
  const plans = env.localAddress ? selected.plans.map((p) => (p.kind === 'external' ? { ...p, local: { address: env.localAddress! } } : p)) : selected.plans;
  const chosen = mode === 'named' ? plans : plans.filter((p) => missingRoles(p, options.roles).length === 0);
  if (chosen.length === 0) {
    // Not one embedded target plays these roles: the file still reports why nothing ran.
    describe(title, () => {
      const skipReason = `no embedded target plays the role${options.roles.length > 1 ? 's' : ''} ${options.roles.join(', ')}; name a target that does with --target`;
      writeMeta(env.reportDir, { suite: suiteOf(testFile()), file: testFile(), fullName: `${title} (no target)`, target: '', rules: [], findings: 0, skipReason });
      test.skip('(no target)', () => {});
    });
    return;
  }
  for (const plan of chosen) {
    const unavailable = plan.kind === 'embedded' ? embeddedUnavailable(plan.embedded!, labConfig) : undefined;
    const made: { lab?: Lab } = {};
    describe(plan.name, () => {
      describe(title, () => {
        const lab = new Lab(options, title, plan, labConfig, env, unavailable);
        made.lab = lab;
        lab.hooks();
        body(lab);
        lab.registerBackground();
      });
    });
    // Background tests start with the file, not with their describe block: then those of every target and
    // block in the file wait at once. A failure here is reported by the block's own hook, which awaits the same.
    if (made.lab?.hasBackground) beforeAll(() => made.lab!.setUp().catch(() => undefined), 60_000);
  }
}
