/**
 * Ladders for rule tests: traces built from message text, with templated helpers so a test reads like the
 * call flow it describes. Parties are named ("alice", "proxy") and mapped to loopback addresses.
 *
 *   flow().invite('alice', 'bob').reply(180).reply(200).ack().bye('alice').reply(200).trace()
 *
 * Helpers keep one call's state (Call-ID, tags, CSeq counters, Contacts, Record-Route) so in-dialog
 * requests come out right unless a test says otherwise through `headers`, `uri` or `edit`.
 */
import type { Transport } from '../../src/capture/types.js';
import type { AnySipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { Trace } from '../../src/trace/trace.js';

export const ADDRESSES: Record<string, string> = {
  alice: '127.0.0.1:5060',
  bob: '127.0.0.2:5060',
  proxy: '127.0.0.3:5060',
  carol: '127.0.0.4:5060',
  proxy2: '127.0.0.5:5060',
  registrar: '127.0.0.6:5060',
  dave: '127.0.0.7:5060',
};

export function endpointOf(party: string): { ip: string; port: number } {
  const a = ADDRESSES[party] ?? party;
  const m = /^(.*):(\d+)$/.exec(a);
  if (!m) throw new Error(`unknown party ${party}`);
  return { ip: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function hostPort(party: string): string {
  return ADDRESSES[party] ?? party;
}

/** Header edits: a value replaces every occurrence, null removes, an array gives several fields. */
export type HeaderEdits = Record<string, string | string[] | null>;

export interface MsgOptions {
  headers?: HeaderEdits;
  body?: string;
  contentType?: string;
  /** Keep the Content-Length as written (default: set to the body length). */
  keepLength?: boolean;
  /** Last word on the text before parsing. */
  edit?: (text: string) => string;
  transport?: Transport;
  /** Absolute time of this message (default: 10 ms after the previous one). */
  at?: number;
}

export interface RequestOptions extends MsgOptions {
  uri?: string;
  branch?: string;
  cseq?: number;
  callId?: string;
  fromTag?: string | null;
  toTag?: string;
  /** Party the request is sent to when it differs from the peer (e.g. the first proxy). */
  via?: string;
  maxForwards?: number | null;
  contact?: string | null;
}

export interface ReplyOptions extends MsgOptions {
  /** Index of the request answered (default: the last request other than ACK). */
  to?: number;
  toTag?: string | null;
  reason?: string;
  contact?: string | null;
  /** Sender when not the request's receiver. */
  from?: string;
}

interface Entry {
  message: AnySipMessage;
  time: number;
  from: string;
  to: string;
  transport: Transport;
}

interface Call {
  callId: string;
  caller: string;
  callee: string;
  callerTag: string;
  calleeTag?: string;
  cseq: Record<string, number>;
  /** Record-Route of the dialog-creating response, top first. */
  recordRoute: string[];
  /** Contact URIs (remote targets) of each side. */
  contact: Record<string, string>;
  inviteIndex: number;
}

const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 183: 'Session Progress', 200: 'OK', 202: 'Accepted',
  302: 'Moved Temporarily', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 412: 'Conditional Request Failed', 415: 'Unsupported Media Type',
  420: 'Bad Extension', 422: 'Session Interval Too Small', 423: 'Interval Too Brief', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops', 486: 'Busy Here', 487: 'Request Terminated',
  488: 'Not Acceptable Here', 489: 'Bad Event', 491: 'Request Pending', 500: 'Server Internal Error', 503: 'Service Unavailable',
  603: 'Decline',
};

const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

export function sdp(opts: { owner?: string; version?: number; sessId?: string; ip?: string; media?: string[]; extra?: string[] } = {}): string {
  const ip = opts.ip ?? '127.0.0.1';
  const media = opts.media ?? ['m=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000'];
  return [
    'v=0',
    `o=${opts.owner ?? 'user'} ${opts.sessId ?? '1000'} ${opts.version ?? 1} IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    ...(opts.extra ?? []),
    ...media,
  ].join('\r\n') + '\r\n';
}

let uniq = 0;

export class Flow {
  readonly entries: Entry[] = [];
  private call?: Call;
  private branchNo = 0;

  private nextTime(at?: number): number {
    if (at !== undefined) return at;
    const last = this.entries[this.entries.length - 1];
    return last ? Math.round((last.time + 0.01) * 1e6) / 1e6 : 0;
  }

  newBranch(): string {
    return `z9hG4bK${++uniq}x${++this.branchNo}`;
  }

  /** Parse one message (CRLF line ends are added where the text has bare LF) and append it. */
  send(from: string, to: string, text: string, opts: MsgOptions = {}): this {
    let t = text.replace(/\r?\n/g, '\r\n');
    if (!/\r\n\r\n/.test(t)) t += t.endsWith('\r\n') ? '\r\n' : '\r\n\r\n';
    if (opts.body !== undefined) {
      const ct = opts.contentType ?? (opts.body.startsWith('v=0') ? 'application/sdp' : 'text/plain');
      const [head] = t.split('\r\n\r\n');
      t = `${head}\r\nContent-Type: ${ct}\r\n\r\n${opts.body.replace(/\r?\n/g, '\r\n')}`;
    }
    if (opts.edit) t = opts.edit(t);
    const parsed = parseMessage(Buffer.from(t, 'utf8'));
    if (!parsed.message) throw new Error(`flow: cannot parse ${t.slice(0, 80)}: ${parsed.diagnostics.map((d) => d.message).join('; ')}`);
    let m = parsed.message;
    if (opts.headers) {
      for (const [name, v] of Object.entries(opts.headers)) {
        if (v === null) m.removeHeader(name);
        else if (Array.isArray(v)) { m.removeHeader(name); for (const x of v) m.addHeader(name, x); }
        else if (m.has(name)) m.setHeader(name, v);
        else m.addHeader(name, v);
      }
    }
    if (!opts.keepLength) m.setHeader('Content-Length', String(m.body.length));
    // Re-parse so every view (offsets, diagnostics) is that of the final bytes.
    m = parseMessage(m.toBuffer()).message!;
    this.entries.push({ message: m, time: this.nextTime(opts.at), from, to, transport: opts.transport ?? 'udp' });
    return this;
  }

  /** Set the time of the last message. */
  at(t: number): this {
    this.entries[this.entries.length - 1].time = t;
    return this;
  }

  get last(): AnySipMessage {
    return this.entries[this.entries.length - 1].message;
  }

  get lastIndex(): number {
    return this.entries.length - 1;
  }

  msg(i: number): AnySipMessage {
    return this.entries[i < 0 ? this.entries.length + i : i].message;
  }

  /** A copy of message i (default the last) sent again, as a UDP retransmission would be. */
  again(i = this.lastIndex, opts: { at?: number } = {}): this {
    const e = this.entries[i];
    const m = parseMessage(e.message.toBuffer()).message!;
    this.entries.push({ ...e, message: m, time: this.nextTime(opts.at) });
    return this;
  }

  // ---- templated requests --------------------------------------------------------------------------

  /** An out-of-dialog request; INVITE/SUBSCRIBE/REFER start the flow's call. */
  request(method: string, from: string, to: string, opts: RequestOptions = {}): this {
    const callId = opts.callId ?? `call${++uniq}@${from}.test`;
    const fromTag = opts.fromTag === undefined ? `${from}tag${uniq}` : opts.fromTag;
    const cseq = opts.cseq ?? 1;
    const target = method === 'REGISTER' ? `sip:${to}.test` : `sip:${to}@${to}.test`;
    const lines = [
      `${method} ${opts.uri ?? target} SIP/2.0`,
      `Via: SIP/2.0/${(opts.transport ?? 'udp').toUpperCase()} ${hostPort(from)};branch=${opts.branch ?? this.newBranch()}`,
      ...(opts.maxForwards === null ? [] : [`Max-Forwards: ${opts.maxForwards ?? 70}`]),
      `From: <sip:${from}@${from}.test>${fromTag === null ? '' : `;tag=${fromTag}`}`,
      `To: <sip:${method === 'REGISTER' ? from : to}@${method === 'REGISTER' ? from : to}.test>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
    ];
    const contact = opts.contact === undefined ? (DIALOG_CREATING.has(method) || method === 'REGISTER' ? `<sip:${from}@${hostPort(from)}>` : null) : opts.contact;
    if (contact !== null) lines.push(`Contact: ${contact}`);
    this.send(from, opts.via ?? to, lines.join('\r\n') + '\r\n\r\n', opts);
    if (DIALOG_CREATING.has(method) && !opts.toTag) {
      this.call = { callId, caller: from, callee: to, callerTag: fromTag ?? '', cseq: { [from]: cseq }, recordRoute: [], inviteIndex: this.lastIndex, contact: { [from]: stripBrackets(contact) } };
    }
    return this;
  }

  invite(from: string, to: string, opts: RequestOptions = {}): this {
    return this.request('INVITE', from, to, opts);
  }

  register(from: string, to = 'registrar', opts: RequestOptions & { expires?: number } = {}): this {
    const headers: HeaderEdits = { ...(opts.expires !== undefined ? { Expires: String(opts.expires) } : {}), ...opts.headers };
    return this.request('REGISTER', from, to, { ...opts, headers });
  }

  /** The request at index i (negative counts from the end). */
  private requestAt(i: number): AnySipMessage {
    const m = this.msg(i);
    if (m.kind !== 'request') throw new Error(`flow: message ${i} is not a request`);
    return m;
  }

  private lastRequestIndex(pred: (m: AnySipMessage) => boolean = (m) => m.method !== 'ACK'): number {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const m = this.entries[i].message;
      if (m.kind === 'request' && pred(m)) return i;
    }
    throw new Error('flow: no such request');
  }

  /** A response to a request, copying Via, From, To, Call-ID and CSeq; a To tag is added above 100. */
  reply(status: number, opts: ReplyOptions = {}): this {
    const ri = opts.to ?? this.lastRequestIndex();
    const req = this.requestAt(ri);
    const e = this.entries[ri];
    const sender = opts.from ?? e.to;
    const call = this.call && req.callId === this.call.callId ? this.call : undefined;
    let to = req.get('to')!;
    const method = req.cseq!.method;
    if (status > 100 && !req.toTag && opts.toTag !== null) {
      let tag = opts.toTag;
      const creating = call !== undefined && DIALOG_CREATING.has(method);
      if (tag === undefined) tag = creating && call!.calleeTag ? call!.calleeTag : `${sender}tag${++uniq}`;
      to += `;tag=${tag}`;
      if (creating && status < 300 && !call!.calleeTag) call!.calleeTag = tag;
    } else if (opts.toTag && req.toTag === undefined) {
      to += `;tag=${opts.toTag}`;
    }
    const lines = [`SIP/2.0 ${status} ${opts.reason ?? REASONS[status] ?? 'Status'}`];
    for (const v of req.fieldsOf('via')) lines.push(`Via: ${v.value}`);
    for (const r of req.fieldsOf('record-route')) if (status > 100 && status < 300) lines.push(`Record-Route: ${r.value}`);
    lines.push(`From: ${req.get('from')}`, `To: ${to}`, `Call-ID: ${req.callId}`, `CSeq: ${req.get('cseq')}`);
    const needsContact = status > 100 && status < 300 && (DIALOG_CREATING.has(method) || method === 'UPDATE') || (status >= 300 && status < 400);
    const contact = opts.contact === undefined ? (needsContact ? `<sip:${sender}@${hostPort(sender)}>` : null) : opts.contact;
    if (contact !== null) lines.push(`Contact: ${contact}`);
    if (call && DIALOG_CREATING.has(method) && !req.toTag && status > 100 && status < 300) {
      call.recordRoute = req.fieldsOf('record-route').map((f) => f.value);
      if (sender !== call.caller) call.callee = sender;
      if (contact) call.contact.callee = stripBrackets(contact);
    }
    this.send(sender, e.from, lines.join('\r\n') + '\r\n\r\n', { ...opts, transport: opts.transport ?? e.transport });
    return this;
  }

  /** ACK for the final response to the last INVITE: same branch for a non-2xx, a new one for a 2xx. */
  ack(opts: RequestOptions & { invite?: number } = {}): this {
    const ii = opts.invite ?? this.lastRequestIndex((m) => m.method === 'INVITE');
    const inv = this.requestAt(ii);
    const e = this.entries[ii];
    let fin: AnySipMessage | undefined;
    for (let i = this.entries.length - 1; i > ii; i--) {
      const m = this.entries[i].message;
      if (m.kind === 'response' && m.status >= 200 && m.cseq?.method === 'INVITE' && m.callId === inv.callId && m.cseq.seq === inv.cseq!.seq) { fin = m; break; }
    }
    if (!fin) throw new Error('flow: no final response to ACK');
    if (fin.kind === 'response' && fin.status >= 300) {
      const lines = [
        `ACK ${inv.kind === 'request' ? inv.uriText : ''} SIP/2.0`,
        `Via: ${inv.fieldsOf('via')[0].value}`,
        `Max-Forwards: 70`,
        `From: ${inv.get('from')}`,
        `To: ${fin.get('to')}`,
        `Call-ID: ${inv.callId}`,
        `CSeq: ${inv.cseq!.seq} ACK`,
        ...inv.fieldsOf('route').map((r) => `Route: ${r.value}`),
      ];
      return this.send(e.from, opts.via ?? e.to, lines.join('\r\n') + '\r\n\r\n', { ...opts, transport: opts.transport ?? e.transport });
    }
    return this.inDialog('ACK', e.from, { cseq: inv.cseq!.seq, ...opts, toTag: opts.toTag ?? fin.toTag, via: opts.via ?? e.to });
  }

  /** A request inside the flow's call, from either side, using its tags, route set and remote target. */
  inDialog(method: string, from: string, opts: RequestOptions = {}): this {
    const c = this.call;
    if (!c) throw new Error('flow: no call');
    const caller = from === c.caller;
    const peer = caller ? c.callee : c.caller;
    const localTag = caller ? c.callerTag : c.calleeTag!;
    const remoteTag = opts.toTag ?? (caller ? c.calleeTag! : c.callerTag);
    let cseq = opts.cseq;
    if (cseq === undefined) {
      cseq = (c.cseq[from] ?? (caller ? 1 : 100)) + (method === 'ACK' || method === 'CANCEL' ? 0 : 1);
    }
    if (method !== 'ACK' && method !== 'CANCEL') c.cseq[from] = cseq;
    const routes = caller ? [...c.recordRoute].reverse() : [...c.recordRoute];
    const fromUser = caller ? c.caller : c.callee;
    const toUser = caller ? c.callee : c.caller;
    const lines = [
      `${method} ${opts.uri ?? (caller ? c.contact.callee : c.contact[c.caller]) ?? `sip:${peer}@${hostPort(peer)}`} SIP/2.0`,
      `Via: SIP/2.0/${(opts.transport ?? 'udp').toUpperCase()} ${hostPort(from)};branch=${opts.branch ?? this.newBranch()}`,
      ...(opts.maxForwards === null ? [] : [`Max-Forwards: ${opts.maxForwards ?? 70}`]),
      ...routes.map((r) => `Route: ${r}`),
      `From: <sip:${fromUser}@${fromUser}.test>;tag=${localTag}`,
      `To: <sip:${toUser}@${toUser}.test>;tag=${remoteTag}`,
      `Call-ID: ${c.callId}`,
      `CSeq: ${cseq} ${method}`,
    ];
    const contact = opts.contact === undefined ? (['INVITE', 'UPDATE', 'SUBSCRIBE', 'REFER', 'NOTIFY'].includes(method) ? `<sip:${from}@${hostPort(from)}>` : null) : opts.contact;
    if (contact !== null) lines.push(`Contact: ${contact}`);
    return this.send(from, opts.via ?? (routes.length ? routeParty(routes[0]) ?? peer : peer), lines.join('\r\n') + '\r\n\r\n', opts);
  }

  bye(from: string, opts: RequestOptions = {}): this {
    return this.inDialog('BYE', from, opts);
  }

  /** PRACK for the last reliable provisional response. */
  prack(opts: RequestOptions & { rack?: string } = {}): this {
    let r: AnySipMessage | undefined;
    for (let i = this.entries.length - 1; i >= 0 && !r; i--) {
      const m = this.entries[i].message;
      if (m.kind === 'response' && m.status > 100 && m.status < 200 && m.rseq !== undefined) r = m;
    }
    if (!r || !this.call) throw new Error('flow: no reliable provisional to PRACK');
    const rack = opts.rack ?? `${r.rseq} ${r.cseq!.seq} INVITE`;
    return this.inDialog('PRACK', this.call.caller, { ...opts, toTag: opts.toTag ?? r.toTag, headers: { RAck: rack, ...opts.headers } });
  }

  /** CANCEL for the last INVITE: same R-URI, Call-ID, From, To, CSeq number and top Via. */
  cancel(opts: RequestOptions & { invite?: number } = {}): this {
    const ii = opts.invite ?? this.lastRequestIndex((m) => m.method === 'INVITE');
    const inv = this.requestAt(ii);
    const e = this.entries[ii];
    const lines = [
      `CANCEL ${inv.kind === 'request' ? inv.uriText : ''} SIP/2.0`,
      `Via: ${inv.fieldsOf('via')[0].value}`,
      `Max-Forwards: 70`,
      `From: ${inv.get('from')}`,
      `To: ${inv.get('to')}`,
      `Call-ID: ${inv.callId}`,
      `CSeq: ${inv.cseq!.seq} CANCEL`,
      ...inv.fieldsOf('route').map((r) => `Route: ${r.value}`),
    ];
    return this.send(e.from, opts.via ?? e.to, lines.join('\r\n') + '\r\n\r\n', { ...opts, transport: opts.transport ?? e.transport });
  }

  /**
   * The message at index i (default the last) relayed by its receiver to `to`, as a proxy does: a request
   * gets the proxy's Via on top and Max-Forwards - 1 (and optionally its Record-Route); a response loses
   * its top Via.
   */
  forward(to: string, opts: MsgOptions & { index?: number; recordRoute?: boolean; branch?: string } = {}): this {
    const i = opts.index ?? this.lastIndex;
    const e = this.entries[i];
    const proxy = e.to;
    let text = e.message.toString();
    const m = e.message;
    if (m.kind === 'request') {
      const via = `Via: SIP/2.0/UDP ${hostPort(proxy)};branch=${opts.branch ?? this.newBranch()}\r\n`;
      text = text.replace(/\r\n/, `\r\n${via}`);
      if (m.maxForwards !== undefined) text = text.replace(/^Max-Forwards: *\d+/im, `Max-Forwards: ${m.maxForwards - 1}`);
      if (opts.recordRoute) text = text.replace(/\r\n/, `\r\nRecord-Route: <sip:${hostPort(proxy)};lr>\r\n`);
      // A loose router removes its own Route entry.
      const top = m.routes[0];
      if (top?.uri && top.uri.kind === 'sip' && `${top.uri.host}:${top.uri.port ?? 5060}` === hostPort(proxy)) {
        text = text.replace(/^Route: [^\r]*\r\n/im, '');
      }
    } else {
      text = text.replace(/^Via: [^\r]*\r\n/im, '');
    }
    return this.send(proxy, to, text, { keepLength: true, ...opts, transport: opts.transport ?? e.transport });
  }

  trace(): Trace {
    const parties: Record<string, string> = {};
    for (const [name, addr] of Object.entries(ADDRESSES)) parties[addr] = name;
    return Trace.fromMessages(
      this.entries.map((e) => ({ message: e.message, time: e.time, src: endpointOf(e.from), dst: endpointOf(e.to), transport: e.transport })),
      { parties },
    );
  }
}

function stripBrackets(contact: string | null | undefined): string {
  return (contact ?? '').replace(/^.*</, '').replace(/>.*$/, '');
}

function routeParty(route: string): string | undefined {
  const m = /sip:(?:[^@>;]*@)?([^;>]+)/.exec(route);
  if (!m) return undefined;
  const hp = m[1].includes(':') ? m[1] : `${m[1]}:5060`;
  return Object.entries(ADDRESSES).find(([, a]) => a === hp)?.[0];
}

export function flow(): Flow {
  return new Flow();
}
