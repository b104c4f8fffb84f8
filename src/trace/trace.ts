/**
 * A trace: the SIP messages of a capture in wire order, grouped into transactions and dialogs, with parties
 * named. This is what suites assert on.
 */
import type { CaptureFinding, CaptureResult, Endpoint, SipPayload, Transport } from '../capture/types.js';
import type { Diagnostic } from '../sip/diagnostics.js';
import type { AnySipMessage } from '../sip/message.js';
import { parseMessage } from '../sip/parser.js';
import { groupDialogs, type Dialog } from './dialogs.js';
import type { LadderArrow, LadderInput } from './ladder-types.js';
import { PartyNames, endpointText } from './parties.js';
import { labelOf, type TraceMessage } from './trace-message.js';
import { finalResponse, groupTransactions, type Transaction } from './transactions.js';
import { TraceQueryError } from './query-error.js';
import { maskSdesKeys } from '../util/sdes-keys.js';

export interface TraceOptions {
  /** Address → party name ("127.0.3.1:5060" or "127.0.3.1" → "alice"). */
  parties?: Record<string, string> | PartyNames;
  /** Called now and then while the payloads are parsed, and once at the end: (parsed so far, all). */
  progress?: (parsed: number, total: number) => void;
}

/** Payloads parsed between two progress calls: often enough for a line a person watches, rarely enough to cost nothing. */
const PROGRESS_EVERY = 4096;

/** A payload the parser could not turn into a message. */
export interface Unparsed {
  frame?: number;
  time: number;
  src: Endpoint;
  dst: Endpoint;
  diagnostics: Diagnostic[];
}

export interface MessageQuery {
  method?: string | string[];
  /** Exact status, or a class such as "2xx". */
  status?: number | string;
  /** The method in CSeq: with `status`, "the 200 to the INVITE" is `{ status: 200, cseqMethod: 'INVITE' }`. */
  cseqMethod?: string;
  /** Party names (either end when `party`). */
  from?: string;
  to?: string;
  party?: string;
  callId?: string;
  dialog?: Dialog;
  transaction?: Transaction;
  /** Only messages strictly after / before this one (wire order). */
  after?: TraceMessage;
  before?: TraceMessage;
  /** Include retransmissions (default true). */
  retransmissions?: boolean;
  /**
   * Include the requests a 401 or 407 turned back, and the ACKs of those challenges (default true; one(),
   * earliest() and latest() leave them out): sent again with credentials, the request a person names is the
   * one that went through, on a target that authenticates as on one that does not.
   */
  challenged?: boolean;
  where?: (m: TraceMessage) => boolean;
}

/** A request (or the ACK of its final response) whose transaction ended in a 401 or 407 challenge. */
function turnedBack(m: TraceMessage): boolean {
  if (m.message.kind !== 'request' || !m.transaction) return false;
  const status = finalResponse(m.transaction)?.status;
  return status === 401 || status === 407;
}

/** Dialogs by message, per trace, built on the first dialogsOf (a trace's dialogs are fixed at construction). */
const dialogsByMessage = new WeakMap<Trace, Map<TraceMessage, Dialog[]>>();

export class Trace {
  readonly transactions: Transaction[];
  readonly dialogs: Dialog[];
  private partyList: string[] | undefined;
  /**
   * The trace this one is a part of (itself when whole). Facts about the capture as a whole (where it ends,
   * whether its clock can be trusted) are read from it, so a rule gives the same verdict on a part.
   */
  readonly whole: Trace;

  constructor(
    readonly messages: TraceMessage[],
    readonly unparsed: Unparsed[] = [],
    readonly captureFindings: CaptureFinding[] = [],
    part?: { whole: Trace; transactions: Transaction[]; dialogs: Dialog[] },
  ) {
    this.transactions = part ? part.transactions : groupTransactions(messages);
    this.dialogs = part ? part.dialogs : groupDialogs(messages);
    this.whole = part ? part.whole : this;
  }

  /** Party names in order of first appearance (made when first asked: the rules' parts never ask). */
  get parties(): string[] {
    if (!this.partyList) {
      const seen = new Set<string>();
      for (const m of this.messages) { seen.add(m.from); seen.add(m.to); }
      this.partyList = [...seen];
    }
    return this.partyList;
  }

  /**
   * Some of this trace's messages with their transactions and dialogs, as a trace of its own. The caller
   * keeps every transaction and dialog whole (src/trace/partition.ts); messages keep their index here.
   */
  part(messages: TraceMessage[], transactions: Transaction[], dialogs: Dialog[]): Trace {
    return new Trace(messages, [], [], { whole: this.whole, transactions, dialogs });
  }

  static fromPayloads(payloads: SipPayload[], options: TraceOptions = {}, findings: CaptureFinding[] = []): Trace {
    const names = options.parties instanceof PartyNames ? options.parties : new PartyNames(options.parties);
    const messages: TraceMessage[] = [];
    const unparsed: Unparsed[] = [];
    const progress = options.progress;
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i];
      if (progress && i % PROGRESS_EVERY === 0) progress(i, payloads.length);
      // The capture layer already framed stream messages, so every payload is parsed as a whole unit.
      const r = parseMessage(p.bytes, { framing: 'datagram' });
      if (!r.message) {
        unparsed.push({ frame: p.frame, time: p.time, src: p.src, dst: p.dst, diagnostics: r.diagnostics });
        continue;
      }
      messages.push(makeMessage(messages.length, r.message, p.time, p.src, p.dst, p.transport, names, p.frame));
    }
    progress?.(payloads.length, payloads.length);
    return new Trace(messages, unparsed, findings);
  }

  static fromCapture(capture: CaptureResult, options: TraceOptions = {}): Trace {
    return Trace.fromPayloads(capture.payloads, options, capture.findings);
  }

  /** Build a trace from messages already parsed (tests, synthetic flows). */
  static fromMessages(items: Array<{ message: AnySipMessage; time?: number; src: Endpoint; dst: Endpoint; transport?: Transport }>, options: TraceOptions = {}): Trace {
    const names = options.parties instanceof PartyNames ? options.parties : new PartyNames(options.parties);
    return new Trace(items.map((it, i) => makeMessage(i, it.message, it.time ?? i * 0.001, it.src, it.dst, it.transport ?? 'udp', names)));
  }

  // ---- queries -----------------------------------------------------------------------------------

  find(q: MessageQuery = {}): TraceMessage[] {
    const methods = q.method === undefined ? undefined : (Array.isArray(q.method) ? q.method : [q.method]).map((x) => x.toUpperCase());
    const inDialog = q.dialog === undefined ? undefined : new Set(q.dialog.messages);
    const cseqMethod = q.cseqMethod?.toUpperCase();
    return this.messages.filter((m) => {
      if (methods && (!m.method || !methods.includes(m.method.toUpperCase()))) return false;
      if (q.status !== undefined && !statusMatches(m.status, q.status)) return false;
      if (cseqMethod !== undefined && m.message.cseq?.method.toUpperCase() !== cseqMethod) return false;
      if (q.from !== undefined && m.from !== q.from) return false;
      if (q.to !== undefined && m.to !== q.to) return false;
      if (q.party !== undefined && m.from !== q.party && m.to !== q.party) return false;
      if (q.callId !== undefined && m.message.callId !== q.callId) return false;
      if (inDialog !== undefined && !inDialog.has(m)) return false;
      if (q.transaction !== undefined && m.transaction !== q.transaction) return false;
      if (q.after !== undefined && m.index <= q.after.index) return false;
      if (q.before !== undefined && m.index >= q.before.index) return false;
      if (q.retransmissions === false && m.retransmission) return false;
      if (q.challenged === false && turnedBack(m)) return false;
      if (q.where && !q.where(m)) return false;
      return true;
    });
  }

  first(q: MessageQuery = {}): TraceMessage | undefined {
    return this.find(q)[0];
  }

  /**
   * The one message a person would name ("the 200 to alice's INVITE"): first copies only, unless the query
   * says `retransmissions: true`. No match, or more than one, throws with the query and the ladder (matches
   * marked), so a test needs no `!` and a failure shows what the wire held.
   */
  one(q: MessageQuery): TraceMessage {
    const matches = this.find({ retransmissions: false, challenged: false, ...q });
    if (matches.length === 1) return matches[0];
    throw new TraceQueryError(this, q, matches);
  }

  /**
   * The first of the messages a query matches (first copies, unless `retransmissions: true`), where several
   * may (alice's first INVITE and its retry after a 422). None throws as one() does.
   */
  earliest(q: MessageQuery): TraceMessage {
    const matches = this.find({ retransmissions: false, challenged: false, ...q });
    if (matches.length > 0) return matches[0];
    throw new TraceQueryError(this, q, matches, 'at least one');
  }

  /** The last of the messages a query matches (first copies, as earliest()); none throws. */
  latest(q: MessageQuery): TraceMessage {
    const matches = this.find({ retransmissions: false, challenged: false, ...q });
    if (matches.length > 0) return matches[matches.length - 1];
    throw new TraceQueryError(this, q, matches, 'at least one');
  }

  last(q: MessageQuery = {}): TraceMessage | undefined {
    const all = this.find(q);
    return all[all.length - 1];
  }

  requests(method?: string): TraceMessage[] {
    return this.find({ where: (m) => m.message.kind === 'request' && (method === undefined || m.method === method.toUpperCase()) });
  }

  responses(status?: number | string): TraceMessage[] {
    return this.find({ where: (m) => m.message.kind === 'response' && (status === undefined || statusMatches(m.status, status)) });
  }

  /** The responses of the transaction a request opened (every copy, in order). */
  responsesTo(request: TraceMessage): TraceMessage[] {
    return request.transaction ? request.transaction.responses : [];
  }

  /** The request a response answers (first copy). */
  requestOf(response: TraceMessage): TraceMessage | undefined {
    return response.transaction?.request;
  }

  /** All dialogs a message belongs to (a forked INVITE belongs to each early dialog it created). */
  dialogsOf(m: TraceMessage): Dialog[] {
    let by = dialogsByMessage.get(this);
    if (!by) {
      by = new Map<TraceMessage, Dialog[]>();
      for (const d of this.dialogs) {
        for (const x of new Set(d.messages)) {
          const list = by.get(x);
          if (list) list.push(d);
          else by.set(x, [d]);
        }
      }
      dialogsByMessage.set(this, by);
    }
    return [...(by.get(m) ?? [])];
  }

  transactionsOf(method: string): Transaction[] {
    return this.transactions.filter((t) => t.method === method.toUpperCase());
  }

  // ---- ladders -----------------------------------------------------------------------------------

  /** Ladder input: parties in order of first appearance unless given, arrows coloured per dialog. */
  ladder(options: { title?: string; parties?: string[]; mark?: Map<number, string> | Set<number> } = {}): LadderInput {
    const parties = options.parties ? [...options.parties, ...this.parties.filter((p) => !options.parties!.includes(p))] : this.parties;
    const arrows: LadderArrow[] = this.messages.map((m) => {
      const marked = options.mark?.has(m.index) ?? false;
      const note = options.mark instanceof Map ? options.mark.get(m.index) : undefined;
      return {
        index: m.index,
        from: m.from,
        to: m.to,
        label: m.label + (m.retransmission ? ' (rtx)' : ''),
        time: m.time,
        transport: m.transport,
        // SRTP keys in SDP are secrets: no ladder (text, HTML, a failure's) shows them.
        detail: maskSdesKeys(m.message.toString()),
        mark: marked || undefined,
        note,
        group: m.dialog?.id ?? m.transaction?.id,
      };
    });
    return { title: options.title, parties, arrows };
  }
}

function makeMessage(index: number, message: AnySipMessage, time: number, src: Endpoint, dst: Endpoint, transport: Transport, names: PartyNames, frame?: number): TraceMessage {
  return {
    index,
    frame,
    time,
    src,
    dst,
    transport,
    from: names.nameOf(src),
    to: names.nameOf(dst),
    message,
    method: message.kind === 'request' ? message.method : undefined,
    status: message.kind === 'response' ? message.status : undefined,
    label: labelOf(message),
    // Set by grouping; named here so every message has them in-object from the start, not in a property
    // array added later (one more object per message, and slower reads).
    transaction: undefined,
    dialog: undefined,
    retransmission: false,
  };
}

function statusMatches(status: number | undefined, q: number | string): boolean {
  if (status === undefined) return false;
  if (typeof q === 'number') return status === q;
  const m = /^([1-6])xx$/i.exec(q);
  if (m) return Math.floor(status / 100) === Number(m[1]);
  return status === Number(q);
}

export { endpointText };
export type { TraceMessage, Transaction, Dialog };
