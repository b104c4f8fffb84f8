/**
 * The user agents suites use: `lab.ua('alice', account?)` is a phone at that party's address. Its verbs
 * compile to SIPp scenarios (SIPp stays the engine on the wire) and run them there: register, call and the
 * call's own verbs, answer, MESSAGE, SUBSCRIBE, PUBLISH. With an account it answers digest challenges
 * wherever the target asks, and its From is the account's address of record.
 *
 *   const [alice, bob] = [lab.ua('alice'), lab.ua('bob', lab.account(1))];
 *   await bob.register();
 *   const ringing = await bob.answer().start();
 *   await alice.call(bob).bye({ afterMs: 50 }).run();
 *   await ringing.settle();
 */
import type { ScenarioBuilder, Sipp, SippResult } from '../../drivers/sipp/index.js';
import { compileAnswer, type AnswerOptions } from './answer.js';
import { compileCall, type CallOptions, type CallStep } from './call.js';
import { compileRegistration, type ContactSpec, type RegisterStep } from './register.js';
import { receivedMessages } from './received.js';
import { compileAccept, compileMessage, compilePublish, compileReferOutOfDialog, compileSubscribe, type PublishOptions, type SubscribeOptions } from './requests.js';
import { RunningUa } from './running.js';
import type { Direction, SdpSpec } from './sdp.js';
import type { Identity } from './sip-text.js';

/** What a user agent authenticates with (a target account). */
export interface Credentials {
  user: string;
  password: string;
  /** The digest user name, when it is not `user`. */
  authUser?: string;
  /** The digest algorithms the target's challenges offer it (MD5 when absent): SHA-256 takes SIPp 3.8. */
  algorithms?: readonly string[];
}

/** A registrar other than the target (the other domain's proxy in an inter-domain call). */
export interface Registrar {
  hostPort: string;
  domain: string;
}

/** What the lab gives a user agent: where it runs and how its SIPps are made. */
export interface UaHost {
  /** A SIPp for the party, on its address and `port`, pointed at the target, its files kept as evidence. */
  sipp(s: ScenarioBuilder, o: { party: string; port?: number; label: string; timeoutMs?: number }): Sipp;
  /** The party's address (allocated on first use). */
  address(party: string): string;
  /** The target's domain: Request-URIs and From of accounts. */
  readonly domain: string;
  readonly t1Ms: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /** Work to do once the test's capture has stopped (undoing registrations); once per `key`. */
  onCleanup(fn: () => Promise<unknown>, key?: string): void;
  /** A user agent started in the background: stopped when the test ends, if it has not ended by itself. */
  track(running: { stop(): Promise<unknown> }): void;
}

export interface RunOptions {
  /** SIPp's own timeout for the whole scenario. Default 20 s. */
  timeoutMs?: number;
}

/** Something that compiles to a SIPp scenario and runs in the foreground or the background. */
abstract class Plan {
  protected extraArgs: string[] = [];
  /**
   * The Request-URI of its requests outside a dialog: the digest uri of its credentials (RFC 3261 §22.4, via
   * RFC 2617 §3.2.2), which SIPp otherwise fills with the target's address (-auth_uri sets it per run).
   */
  protected requestUri?: string;
  constructor(protected readonly ua: UserAgent, readonly label: string) {}
  protected abstract compile(): ScenarioBuilder;

  /** SIPp arguments of the run: the verb's own, and the digest uri. */
  protected args(): string[] {
    return [...this.extraArgs, ...(this.requestUri && this.ua.account ? ['-auth_uri', this.requestUri.replace(/^sip:/, '')] : [])];
  }

  /** The scenario as SIPp XML (for a report, or to read what a verb does). */
  xml(): string {
    return this.compile().toXml({ defaultRetrans: this.ua.host.t1Ms });
  }
  /** Runs it and resolves when it is over. A scenario that goes wrong resolves too: see SippResult.ok. */
  run(o: RunOptions = {}): Promise<SippResult> {
    return this.ua.sipp(this.compile(), this.label, o.timeoutMs).withArgs(...this.args()).run();
  }
  /** Starts it in the background; resolves once its socket is bound. */
  async start(o: RunOptions = {}): Promise<RunningUa> {
    const started = await this.ua.sipp(this.compile(), this.label, o.timeoutMs).withArgs(...this.args()).start();
    const running = new RunningUa(this.ua.name, started, this.ua.host.t1Ms);
    this.ua.host.track(running);
    return running;
  }
}

/** A call and what its caller does in it, in order. Each verb returns the call, so the flow reads as one line. */
export class CallPlan extends Plan {
  private readonly steps: CallStep[] = [];
  constructor(ua: UserAgent, private readonly uri: string, private readonly options: CallOptions) {
    super(ua, `call-${uri.replace(/^sips?:/, '').split('@')[0]}`);
    this.requestUri = uri;
  }
  /** PRACK the reliable provisional response (`afterMs` after it came); `dialogs: 2` for a forked call's two early dialogs. */
  prack(o: { afterMs?: number; dialogs?: 1 | 2 } = {}): this {
    return this.step({ kind: 'prack', ...o });
  }
  /** A new offer in UPDATE: in the early dialog after a PRACK, or in the confirmed one. */
  update(sdp?: SdpSpec): this {
    return this.step({ kind: 'update', sdp });
  }
  /** CANCEL once the call rings (`afterMs` later); the 487 is ACKed and the call is over. */
  cancel(o: { afterMs?: number } = {}): this {
    return this.step({ kind: 'cancel', ...o });
  }
  /** Wait for the answer and ACK it here (implied before any step of the confirmed dialog). */
  ack(): this {
    return this.step({ kind: 'ack' });
  }
  /** A re-INVITE with a new offer: a hold (`sendonly`, `inactive`) or a resume (`sendrecv`). */
  reinvite(o: { direction?: Direction; sdp?: SdpSpec } = {}): this {
    return this.step({ kind: 'reinvite', sdp: { ...o.sdp, ...(o.direction ? { direction: o.direction } : {}) } });
  }
  pause(ms: number): this {
    return this.step({ kind: 'pause', ms });
  }
  /**
   * Hang up. `anyAnswer`: every final response to the BYE ends it (a 408 or 481 from a dead callee);
   * `untilTimerF`: retransmit the BYE until the UA's own Timer F (64·T1) when nothing answers.
   */
  bye(o: { afterMs?: number; anyAnswer?: boolean; untilTimerF?: boolean } = {}): this {
    if (o.untilTimerF) this.extraArgs.push(...UNTIL_TIMER_F);
    return this.step({ kind: 'bye', afterMs: o.afterMs, anyAnswer: o.anyAnswer || o.untilTimerF });
  }
  /** The far end hangs up: wait for its BYE (at most `timeoutMs`) and answer 200. */
  awaitBye(o: { timeoutMs?: number } = {}): this {
    return this.step({ kind: 'awaitBye', ...o });
  }
  /** The far end refreshes the session (RFC 4028): answer its UPDATE or re-INVITE, waiting at most `timeoutMs`. */
  awaitRefresh(o: { timeoutMs: number }): this {
    return this.step({ kind: 'awaitRefresh', ...o });
  }
  message(text: string, contentType?: string): this {
    return this.step({ kind: 'message', text, contentType });
  }
  /** REFER the far end to `to` (RFC 3515), take the NOTIFYs of the implicit subscription; `replaces` for an attended transfer. */
  refer(to: UserAgent | string, o: { replaces?: string; timeoutMs?: number; referSub?: false } = {}): this {
    return this.step({ kind: 'refer', referTo: this.ua.uriOf(to), ...o });
  }

  private step(s: CallStep): this {
    this.steps.push(s);
    return this;
  }
  protected compile(): ScenarioBuilder {
    return compileCall({ name: this.label, identity: this.ua.identity, uri: this.uri, options: this.options, steps: this.steps, canAuth: !!this.ua.account, t1Ms: this.ua.host.t1Ms });
  }
}

/** SIPp arguments for a BYE retransmitted until Timer F: more retransmissions than its default 7, and no BYE of its own for a call it gives up. */
const UNTIL_TIMER_F = ['-max_non_invite_retrans', '64', '-default_behaviors', 'all,-bye'];

class CompiledPlan extends Plan {
  constructor(ua: UserAgent, label: string, private readonly build: () => ScenarioBuilder, args: string[] = [], requestUri?: string) {
    super(ua, label);
    this.extraArgs = args;
    this.requestUri = requestUri;
  }
  protected compile(): ScenarioBuilder {
    return this.build();
  }
}

export class UserAgent {
  constructor(readonly host: UaHost, readonly name: string, readonly account?: Credentials, private readonly port = 5060) {}

  /** The address its SIPps bind. */
  get address(): string {
    return this.host.address(this.name);
  }

  /** Who it is in From and Contact: its account's address of record, or an anonymous `sipp` at its own address. */
  get identity(): Identity {
    return this.account ? { user: this.account.user, domain: this.host.domain } : { user: 'sipp', domain: '[local_ip]:[local_port]' };
  }

  /** The Request-URI that reaches a user agent (its account in the target's domain), a user there, or a URI. */
  uriOf(to: UserAgent | string, domain = this.host.domain): string {
    if (typeof to === 'string') return /^sips?:/.test(to) ? to : `sip:${to}@${domain}`;
    if (!to.account) throw new Error(`${to.name} has no account, so no address of record to call: give lab.ua('${to.name}', account)`);
    return `sip:${to.account.user}@${domain}`;
  }

  /** @internal A SIPp for this UA, with its credentials. */
  sipp(s: ScenarioBuilder, label: string, timeoutMs?: number): Sipp {
    const sipp = this.host.sipp(s, { party: this.name, port: this.port, label: `${label}-${this.name}`, timeoutMs });
    if (!this.account) return sipp;
    if (this.account.algorithms) sipp.withDigestAlgorithms(this.account.algorithms);
    return sipp.withAuth(this.account.authUser ?? this.account.user, this.account.password);
  }

  private requireAccount(verb: string): Credentials {
    if (!this.account) throw new Error(`${this.name} cannot ${verb} without an account: give lab.ua('${this.name}', account)`);
    return this.account;
  }

  /**
   * Binds its address to its account's AoR (with `q`, for `expires` seconds) with the target or with `at`,
   * and fails the test when the registrar does not answer 200. The bindings are removed once the test's
   * capture has stopped.
   */
  async register(o: { q?: number; expires?: number; at?: Registrar; contact?: ContactSpec } = {}): Promise<SippResult> {
    const account = this.requireAccount('register');
    const steps: RegisterStep[] = [{ contacts: [{ ...o.contact, ...(o.q !== undefined ? { q: o.q } : {}) }], expires: o.expires ?? 600 }];
    const r = await this.registrationPlan(steps, 'register', o.at).run();
    const final = receivedMessages(r.files.messages).filter((m) => m.kind === 'response').pop();
    if (!r.ok || (final && final.kind === 'response' && final.status !== 200)) {
      const answered = final && final.kind === 'response' ? `${final.status} ${final.reason}` : 'no answer';
      throw new Error(`${this.name} could not register as ${account.user}@${o.at?.domain ?? this.host.domain} with ${o.at?.hostPort ?? 'the target'}: ${answered} (${r.meaning})\n${r.errors.join('\n')}`);
    }
    return r;
  }

  /**
   * A series of REGISTERs on one Call-ID (bindings added, refreshed, queried, removed), whatever the answers:
   * the test reads them from the trace; run() it. The AoR's bindings are removed after the test.
   */
  registrations(steps: RegisterStep[], o: { label?: string } = {}): Plan {
    return this.registrationPlan(steps, o.label ?? 'registrations');
  }

  /** Removes every binding of its AoR (Contact: *, Expires: 0). */
  unregister(o: { at?: Registrar } = {}): Promise<SippResult> {
    return this.registrationPlan([{ contacts: '*', expires: 0 }], 'unregister', o.at, false).run();
  }

  private registrationPlan(steps: RegisterStep[], label: string, at?: Registrar, cleanup = true): Plan {
    const account = this.requireAccount('register');
    const domain = at?.domain ?? this.host.domain;
    if (cleanup) this.cleanUpAfterTest(at);
    const build = () => compileRegistration({ name: `${label}-${this.name}`, user: account.user, domain, steps, canAuth: true, t1Ms: this.host.t1Ms, transport: this.host.transport });
    return new RemotePlan(this, label, build, at?.hostPort, `sip:${domain}`);
  }

  private cleanUpAfterTest(at?: Registrar): void {
    const account = this.requireAccount('register');
    this.host.onCleanup(() => this.unregister({ at }), `unregister ${account.user}@${at?.hostPort ?? 'target'}`);
  }

  /** Calls a user agent (its AoR), a user of the target's domain (or `domain`), or a URI. Add its steps, then run() it. */
  call(to: UserAgent | string, o: CallOptions & { domain?: string } = {}): CallPlan {
    const { domain, ...options } = o;
    return new CallPlan(this, this.uriOf(to, domain), options);
  }

  /** Answers the next INVITE as `o` says, and then its dialog as a phone does; start() it before the call comes. */
  answer(o: AnswerOptions = {}): Plan {
    const args = o.crashAfterAck ? ['-default_behaviors', 'all,-bye'] : [];
    const label = o.status ? `reject-${o.status.split(' ')[0]}` : o.noAnswer ? 'ring' : o.silentMs !== undefined ? 'silent' : 'answer';
    return new CompiledPlan(this, label, () => compileAnswer({ name: `${label}-${this.name}`, user: this.account?.user ?? 'sipp', options: o, canAuth: !!this.account, t1Ms: this.host.t1Ms }), args);
  }

  /** A stand-alone MESSAGE (RFC 3428) to a user agent, user or URI. */
  message(to: UserAgent | string, text: string, o: { contentType?: string } = {}): Plan {
    return new CompiledPlan(this, 'message', () =>
      compileMessage({ name: `message-${this.name}`, identity: this.identity, uri: this.uriOf(to), body: { type: o.contentType ?? 'text/plain', lines: [text] }, canAuth: !!this.account, t1Ms: this.host.t1Ms }),
      [],
      this.uriOf(to),
    );
  }

  /** A REFER outside any dialog (RFC 3515 §2.4.2), asking `to` to reach `referTo`. */
  refer(to: UserAgent | string, referTo: UserAgent | string): Plan {
    return new CompiledPlan(this, 'refer', () =>
      compileReferOutOfDialog({ name: `refer-${this.name}`, identity: this.identity, uri: this.uriOf(to), referTo: this.uriOf(referTo), canAuth: !!this.account, t1Ms: this.host.t1Ms }),
      [],
      this.uriOf(to),
    );
  }

  /** Takes `count` requests of `method` (MESSAGE, say) and answers each 200. */
  accept(method: string, o: { count?: number; withinMs?: number } = {}): Plan {
    return new CompiledPlan(this, `accept-${method.toLowerCase()}`, () => compileAccept({ name: `accept-${this.name}`, user: this.account?.user ?? 'sipp', method, count: o.count ?? 1, withinMs: o.withinMs ?? 20_000 }));
  }

  /** Subscribes to `event` of a user agent, user or URI; its NOTIFYs are read with `received()` of the running UA. */
  subscribe(to: UserAgent | string, o: SubscribeOptions): Plan {
    return new CompiledPlan(this, `subscribe-${o.event}`, () => compileSubscribe({ name: `subscribe-${this.name}`, identity: this.identity, uri: this.uriOf(to), canAuth: !!this.account, t1Ms: this.host.t1Ms, ...o }), [], this.uriOf(to));
  }

  /** Publishes a state (a PIDF document, RFC 3863) for its own AoR, or refreshes/removes one by its entity tag (RFC 3903). */
  publish(document: string | undefined, o: PublishOptions & { contentType?: string }): Plan {
    const account = this.requireAccount('publish');
    return new CompiledPlan(this, 'publish', () =>
      compilePublish({
        name: `publish-${this.name}`,
        identity: this.identity,
        uri: this.uriOf(account.user),
        canAuth: true,
        t1Ms: this.host.t1Ms,
        ...o,
        ...(document !== undefined ? { body: { type: o.contentType ?? 'application/pidf+xml', lines: document.split(/\r?\n/) } } : {}),
      }),
      [],
      this.uriOf(account.user),
    );
  }
}

/** A plan sent to a registrar other than the target. */
class RemotePlan extends CompiledPlan {
  constructor(ua: UserAgent, label: string, build: () => ScenarioBuilder, private readonly remote: string | undefined, requestUri: string) {
    super(ua, label, build, [], requestUri);
  }
  override run(o: RunOptions = {}): Promise<SippResult> {
    if (!this.remote) return super.run(o);
    return this.ua.sipp(this.compile(), this.label, o.timeoutMs).withRemote(this.remote).withArgs(...this.args()).run();
  }
}

export type { Plan };
