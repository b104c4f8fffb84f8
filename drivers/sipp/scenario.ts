/**
 * A typed builder for SIPp scenarios: `scenario('reg').send(...).recv({ response: 200 }).toXml()`.
 * Mistakes SIPp would only report at run time (an undefined label, `[authentication]` with no challenge
 * stored, a `test` on a variable nothing assigns) are thrown here, with the step that has them.
 */
import { assignedBy, renderActions, type Action } from './actions.js';
import { attrs, cdata, checkName, dedent, ScenarioError, SIPP_MAX_XML_BYTES, type AttrValue } from './xml.js';

/** A response time measure: `true` is SIPp's measure 1, a name makes a separate one. */
type Rtd = true | string;

interface Branching {
  /** Jump to this label after the step (only when `test` is set, if `test` is given). */
  next?: string;
  /** A boolean variable: the jump to `next` happens only when it is true. */
  test?: string;
  /** Probability (0..1) that the jump happens. */
  chance?: number;
}

export interface SendOptions extends Branching {
  /** UDP only: retransmit with this T1 in ms (SIPp does not retransmit a send without it). */
  retrans?: number;
  start_rtd?: Rtd;
  rtd?: Rtd;
  repeat_rtd?: boolean;
  /** Display a CRLF on SIPp's screen after this step. */
  crlf?: boolean;
  /** Percentage of these messages SIPp drops on purpose (loss tests). */
  lost?: number;
  counter?: string;
  start_txn?: string;
  ack_txn?: string;
}

export interface RecvOptions extends Branching {
  response?: number;
  request?: string;
  /** The message may not come: SIPp matches the next step instead. `global`: may arrive at any point. */
  optional?: boolean | 'global';
  /** Store a 401/407 challenge so a later send can use `[authentication]`. */
  auth?: boolean;
  /** Record the Record-Route set and Contact (for `[routes]`, `[next_url]`, `[last_Record-Route:]`). */
  rrs?: boolean;
  /** ms to wait for this message before the call fails (or jumps to `ontimeout`). */
  timeout?: number;
  ontimeout?: string;
  start_rtd?: Rtd;
  rtd?: Rtd;
  repeat_rtd?: boolean;
  crlf?: boolean;
  lost?: number;
  counter?: string;
  response_txn?: string;
  regexp_match?: boolean;
  ignoresdp?: boolean;
  actions?: Action[];
}

export interface PauseOptions extends Branching {
  crlf?: boolean;
}

export interface NopOptions extends Branching {
  /** Run the actions only when this boolean variable is true (false with condexec_inverse). */
  condexec?: string;
  condexec_inverse?: boolean;
}

export interface XmlOptions {
  /** T1 for every request sent without its own `retrans` (ACK excepted): how `Sipp.withT1()` reaches builder scenarios. */
  defaultRetrans?: number;
  /** Variables set on SIPp's command line (-set, Sipp.withGlobals): assigned, though no action does it. */
  globals?: readonly string[];
}

type Step =
  | { kind: 'send'; message: string; opts: SendOptions }
  | { kind: 'recv'; opts: RecvOptions }
  | { kind: 'pause'; ms: number; opts: PauseOptions }
  | { kind: 'nop'; actions: Action[]; opts: NopOptions }
  | { kind: 'label'; id: string };

const METHOD = /^[A-Z][A-Z0-9_.!%*+`'~-]*$/;

export class ScenarioBuilder {
  private readonly steps: Step[] = [];
  private repartitions: { responseTime?: number[]; callLength?: number[] } = {};

  constructor(readonly name: string) {
    if (/["&<>\\]/.test(name) || name.trim() === '') throw new ScenarioError(`scenario name "${name}" must be plain text`);
  }

  /** A message to send. Indentation from a template literal is removed; `[keywords]` are SIPp's. */
  send(message: string, opts: SendOptions = {}): this {
    const text = dedent(message);
    if (!text) throw new ScenarioError(`step ${this.steps.length + 1}: empty message`);
    this.steps.push({ kind: 'send', message: text, opts });
    return this;
  }

  recv(opts: RecvOptions): this {
    if ((opts.response === undefined) === (opts.request === undefined)) {
      throw new ScenarioError(`step ${this.steps.length + 1}: recv needs exactly one of response and request`);
    }
    if (opts.request !== undefined && !METHOD.test(opts.request)) throw new ScenarioError(`recv request "${opts.request}" is not a SIP method`);
    if (opts.response !== undefined && !(Number.isInteger(opts.response) && opts.response >= 100 && opts.response <= 699)) {
      throw new ScenarioError(`recv response ${opts.response} is not a SIP status code`);
    }
    this.steps.push({ kind: 'recv', opts });
    return this;
  }

  /**
   * Messages any of which may come next, in SIPp's way: every one optional but the last. SIPp arms a recv's
   * timeout only while that recv is the step it waits at, and moves past an optional one when an earlier
   * message of the list arrives, so `wait` is given to each of them: the wait holds wherever SIPp is in the list.
   */
  oneOf(recvs: RecvOptions[], wait?: { timeout: number; ontimeout?: string }): this {
    if (recvs.length === 0) throw new ScenarioError(`step ${this.steps.length + 1}: oneOf needs at least one message`);
    recvs.forEach((r, i) => this.recv({ ...r, optional: i < recvs.length - 1 ? r.optional ?? true : r.optional, ...(wait ? { timeout: wait.timeout, ...(wait.ontimeout ? { ontimeout: wait.ontimeout } : {}) } : {}) }));
    return this;
  }

  pause(ms: number, opts: PauseOptions = {}): this {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new ScenarioError(`pause of ${ms} ms`);
    this.steps.push({ kind: 'pause', ms: Math.round(ms), opts });
    return this;
  }

  label(id: string): this {
    checkName('label', id);
    if (this.steps.some((s) => s.kind === 'label' && s.id === id)) throw new ScenarioError(`label "${id}" is defined twice`);
    this.steps.push({ kind: 'label', id });
    return this;
  }

  nop(actions: Action[], opts: NopOptions = {}): this {
    this.steps.push({ kind: 'nop', actions, opts });
    return this;
  }

  /** Response-time and call-length buckets (ms) for SIPp's statistics. */
  repartition(r: { responseTime?: number[]; callLength?: number[] }): this {
    this.repartitions = { ...this.repartitions, ...r };
    return this;
  }

  /** `uas` when the scenario starts by receiving (SIPp then waits for calls), `uac` when it starts by sending. */
  get role(): 'uac' | 'uas' {
    const first = this.steps.find((s) => s.kind === 'send' || s.kind === 'recv');
    return first?.kind === 'recv' ? 'uas' : 'uac';
  }

  /** Messages as written in the scenario (before SIPp fills keywords), for tests and reports. */
  messages(): string[] {
    return this.steps.flatMap((s) => (s.kind === 'send' ? [s.message] : []));
  }

  toXml(options: XmlOptions = {}): string {
    this.validate(options.globals ?? []);
    const out: string[] = [
      '<?xml version="1.0" encoding="UTF-8" ?>',
      '<!DOCTYPE scenario SYSTEM "sipp.dtd">',
      `<!-- generated by sipwright -->`,
      `<scenario name="${this.name}">`,
    ];
    const assigned = new Set<string>();
    for (const [i, step] of this.withJumpsFolded().entries()) {
      try {
        out.push(this.renderStep(step, options));
      } catch (e) {
        if (e instanceof ScenarioError) throw new ScenarioError(`step ${i + 1} (${step.kind}): ${e.message}`);
        throw e;
      }
      for (const a of actionsOf(step)) for (const v of assignedBy(a)) assigned.add(v);
    }
    // SIPp refuses a variable that is assigned but never used; ereg captures are often kept only for the
    // message log, so every assigned variable is declared used.
    if (assigned.size) out.push(`  <Reference variables="${[...assigned].join(',')}" />`);
    if (this.repartitions.responseTime?.length) out.push(`  <ResponseTimeRepartition value="${this.repartitions.responseTime.join(', ')}" />`);
    if (this.repartitions.callLength?.length) out.push(`  <CallLengthRepartition value="${this.repartitions.callLength.join(', ')}" />`);
    out.push('</scenario>', '');
    const xml = out.join('\n');
    if (Buffer.byteLength(xml) > SIPP_MAX_XML_BYTES) {
      throw new ScenarioError(`scenario "${this.name}" is ${Buffer.byteLength(xml)} bytes; SIPp reads at most ${SIPP_MAX_XML_BYTES}`);
    }
    return xml;
  }

  private renderStep(step: Step, options: XmlOptions): string {
    switch (step.kind) {
      case 'label':
        return `  <label id="${step.id}" />`;
      case 'pause':
        return `  <pause${attrs([['milliseconds', step.ms], ...branching(step.opts), ['crlf', step.opts.crlf]])} />`;
      case 'nop': {
        const a = attrs([
          ['condexec', step.opts.condexec && checkName('variable', step.opts.condexec)],
          ['condexec_inverse', step.opts.condexec_inverse],
          ...branching(step.opts),
        ]);
        const actions = renderActions(step.actions, '    ');
        return actions ? `  <nop${a}>\n${actions}  </nop>` : `  <nop${a} />`;
      }
      case 'send': {
        const o = step.opts;
        const isAck = /^ACK\s/.test(step.message);
        const isRequest = !/^SIP\/2\.0\s/.test(step.message);
        const retrans = o.retrans ?? (isRequest && !isAck ? options.defaultRetrans : undefined);
        const a = attrs([
          ['retrans', retrans],
          ['start_rtd', rtd(o.start_rtd)],
          ['rtd', rtd(o.rtd)],
          ['repeat_rtd', o.repeat_rtd],
          ['crlf', o.crlf],
          ['lost', o.lost],
          ['counter', o.counter && checkName('counter', o.counter)],
          ['start_txn', o.start_txn && checkName('transaction', o.start_txn)],
          ['ack_txn', o.ack_txn && checkName('transaction', o.ack_txn)],
          ...branching(o),
        ]);
        return `  <send${a}>\n    ${cdata(step.message)}\n  </send>`;
      }
      case 'recv': {
        const o = step.opts;
        const a = attrs([
          ['response', o.response],
          ['request', o.request],
          ['optional', o.optional],
          ['auth', o.auth],
          ['rrs', o.rrs],
          ['timeout', o.timeout],
          ['ontimeout', o.ontimeout],
          ['start_rtd', rtd(o.start_rtd)],
          ['rtd', rtd(o.rtd)],
          ['repeat_rtd', o.repeat_rtd],
          ['crlf', o.crlf],
          ['lost', o.lost],
          ['counter', o.counter && checkName('counter', o.counter)],
          ['response_txn', o.response_txn && checkName('transaction', o.response_txn)],
          ['regexp_match', o.regexp_match],
          ['ignoresdp', o.ignoresdp],
          ...branching(o),
        ]);
        const actions = renderActions(o.actions, '    ');
        return actions ? `  <recv${a}>\n${actions}  </recv>` : `  <recv${a} />`;
      }
    }
  }

  /**
   * A send or recv followed by a plain jump (a nop with only `next`) takes the jump itself. SIPp may leave a
   * call at the step after a send until its scheduler comes back to it, and a message arriving then is
   * matched from that step on: a nop there is not a recv, so the message is "unexpected" and the call
   * aborted (seen with a 200 that came back within a millisecond on loopback). Jumping from the send
   * itself puts the call on the jump's target at once.
   */
  private withJumpsFolded(): Step[] {
    const out = [...this.steps];
    for (let i = 0; i + 1 < out.length; i++) {
      const a = out[i];
      const b = out[i + 1];
      if ((a.kind !== 'send' && a.kind !== 'recv') || a.opts.next !== undefined || a.opts.test !== undefined) continue;
      if (b.kind !== 'nop' || b.actions.length > 0 || b.opts.next === undefined || b.opts.test !== undefined || b.opts.condexec !== undefined || b.opts.chance !== undefined) continue;
      out[i] = { ...a, opts: { ...a.opts, next: b.opts.next } } as Step;
    }
    return out;
  }

  private validate(globals: readonly string[]): void {
    if (!this.steps.some((s) => s.kind === 'send' || s.kind === 'recv')) throw new ScenarioError(`scenario "${this.name}" has no send or recv`);
    const labels = new Set(this.steps.flatMap((s) => (s.kind === 'label' ? [s.id] : [])));
    const assigned = new Set([...globals, ...this.steps.flatMap((s) => actionsOf(s).flatMap(assignedBy))]);
    let challengeStored = false;
    for (const [i, s] of this.steps.entries()) {
      const where = `step ${i + 1} (${s.kind})`;
      if (s.kind === 'label') continue;
      const o = s.opts as Branching & { ontimeout?: string };
      for (const target of [o.next, o.ontimeout]) {
        if (target !== undefined && !labels.has(target)) throw new ScenarioError(`${where}: jumps to label "${target}", which is not defined`);
      }
      if (o.test !== undefined && !assigned.has(o.test)) throw new ScenarioError(`${where}: test variable "${o.test}" is never assigned by an action`);
      if (o.chance !== undefined && !(o.chance >= 0 && o.chance <= 1)) throw new ScenarioError(`${where}: chance ${o.chance} is not between 0 and 1`);
      if (s.kind === 'recv' && s.opts.ontimeout !== undefined && s.opts.timeout === undefined) {
        throw new ScenarioError(`${where}: ontimeout needs a timeout`);
      }
      if (s.kind === 'recv' && s.opts.auth) challengeStored = true;
      if (s.kind === 'send') {
        // SIPp refuses to start a scenario that uses a variable nothing assigns ("referenced 1 times").
        for (const m of s.message.matchAll(/\[\$([A-Za-z0-9_.-]+)\]/g)) {
          if (!assigned.has(m[1])) throw new ScenarioError(`${where}: the message uses [$${m[1]}], which no action assigns`);
        }
      }
      if (s.kind === 'send' && /\[authentication\b/.test(s.message)) {
        if (/\[authentication[^\]]*password=/.test(s.message)) {
          throw new ScenarioError(`${where}: a password in the scenario would reach reports; pass it with Sipp.withAuth(user, password) instead`);
        }
        if (!challengeStored) throw new ScenarioError(`${where}: [authentication] with no earlier recv that has auth: true (SIPp needs the stored challenge)`);
      }
    }
  }
}

function actionsOf(step: Step): Action[] {
  if (step.kind === 'nop') return step.actions;
  if (step.kind === 'recv') return step.opts.actions ?? [];
  return [];
}

function rtd(v: Rtd | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v === true ? 'true' : checkName('rtd', v);
}

function branching(o: Branching): Array<[string, AttrValue]> {
  return [
    ['next', o.next],
    ['test', o.test],
    ['chance', o.chance],
  ];
}

/** Starts a scenario. */
export function scenario(name: string): ScenarioBuilder {
  return new ScenarioBuilder(name);
}
