/**
 * The SIP message model. A message keeps its wire form (start line, fields, body) so an unmodified message
 * re-serializes to the same bytes; typed views (Via, CSeq, From …) are parsed on demand and cached.
 */
import { diag, type Diagnostic } from './diagnostics.js';
import { GRAMMAR, type Grammar } from './header-grammar.js';
import { HeaderField } from './header-field.js';
import { headerDisplayName, headerKey, LIST_VALUED, SINGLE_VALUED } from './header-names.js';
import type { CSeq, RAck } from './headers/cseq.js';
import type { EventHeader, SubscriptionState } from './headers/event.js';
import type { SessionExpires } from './headers/scalars.js';
import { parseVia, type Via } from './headers/via.js';
import type { NameAddr } from './name-addr.js';
import { recall, remember } from './parse-memo.js';
import { closingQuote, isWs, splitOutside, trimPiece } from './split.js';
import { parseUri, type Uri } from './uri.js';

export interface StartLine {
  /** The start line as on the wire, without its terminator. */
  text: string;
  /** Its terminator ("\r\n", or "\n" from sloppy senders). */
  eol: string;
}

export abstract class SipMessage {
  abstract readonly kind: 'request' | 'response';
  /** Values of headers that occur more than once, by key (a single field keeps its own values). */
  private multi: Map<string, unknown[]> | undefined;
  private fieldKeys: string[] | undefined;
  private keyedFields: HeaderField[] | undefined;
  private fullDiagnostics: Diagnostic[] | undefined;
  // Values trace grouping and nearly every rule read, kept in plain fields: undefined = not read yet,
  // null = absent. A lookup per read adds up over 200 rule passes on a large capture.
  private knownCallId: string | null | undefined;
  private knownCSeq: CSeq | null | undefined;
  // From the full parse of the header. Until that exists, the quick reads below (quickTopVia …) are kept
  // apart: the full parse, once made, is what every later read gives, as it always was.
  private knownFromTag: string | null | undefined;
  private knownToTag: string | null | undefined;
  private knownTopVia: Via | null | undefined;
  // Lists rules read over and over; a parsed list never changes until the fields do (read-only).
  private knownVias: Via[] | undefined;
  private knownRoutes: NameAddr[] | undefined;
  private knownRecordRoutes: NameAddr[] | undefined;
  private knownContacts: NameAddr[] | undefined;
  private quickFromTag: string | null | undefined;
  private quickToTag: string | null | undefined;
  private quickTopVia: Via | null | undefined;

  constructor(
    public startLine: StartLine,
    public fields: HeaderField[],
    /** The empty line ending the header section ("\r\n"), or "" when the sender omitted it. */
    public headerEnd: string,
    public body: Buffer,
    /** Problems found while framing and reading the start line and header names. */
    public diagnostics: Diagnostic[] = [],
    /** Bytes after the message in the same datagram (RFC 3261 §18.3: ignored). */
    public trailing: Buffer = NO_BYTES,
  ) {}

  /**
   * The key of each field, in order. Lookups scan this one array instead of touching every field object:
   * on a large trace each object is a likely cache miss, and rules look headers up millions of times.
   * Rebuilt when `fields` is replaced or changes length.
   */
  private keys(): string[] {
    const fields = this.fields;
    let keys = this.fieldKeys;
    if (keys === undefined || this.keyedFields !== fields || keys.length !== fields.length) {
      keys = this.fieldKeys = fields.map((f) => f.key);
      this.keyedFields = fields;
    }
    return keys;
  }

  /** The first field with this key, or undefined. */
  private firstField(key: string): HeaderField | undefined {
    const i = this.keys().indexOf(key);
    return i < 0 ? undefined : this.fields[i];
  }

  /** All fields with this name (compact forms and case folded). */
  fieldsOf(name: string): HeaderField[] {
    const key = keyOf(name);
    return this.fields.filter((f) => f.key === key);
  }

  has(name: string): boolean {
    return this.keys().indexOf(keyOf(name)) >= 0;
  }

  /** First value of a header, unfolded and trimmed. */
  get(name: string): string | undefined {
    return this.firstField(keyOf(name))?.value;
  }

  /** Every value of a header: list headers are split on commas outside quotes and < >. */
  getAll(name: string): string[] {
    const key = keyOf(name);
    const out: string[] = [];
    for (const f of this.fields) {
      if (f.key !== key) continue;
      if (LIST_VALUED.has(key)) for (const p of splitOutside(f.value, 0x2c)) { if (p.text !== '') out.push(p.text); }
      else out.push(f.value);
    }
    return out;
  }

  /** Parsed value of every occurrence, through the header's grammar (undefined where it does not parse). */
  parsed<T>(name: string): T[] {
    const key = keyOf(name);
    const grammar = grammarOf(key);
    if (!grammar) throw new Error(`no grammar for header ${name}`);
    const keys = this.keys();
    const i = keys.indexOf(key);
    if (i < 0) return [];
    if (keys.indexOf(key, i + 1) >= 0) return this.allValues(key, grammar) as T[];
    // One field: its own list, shared with every message that has the same value (read-only, like all
    // parsed values).
    return fieldValues(key, grammar, this.fields[i], undefined) as T[];
  }

  private allValues(key: string, grammar: Grammar): unknown[] {
    const hit = this.multi?.get(key);
    if (hit) return hit;
    const out: unknown[] = [];
    for (const f of this.fields) if (f.key === key) for (const x of fieldValues(key, grammar, f, undefined)) out.push(x);
    (this.multi ??= new Map()).set(key, out);
    return out;
  }

  /** The first field of a header, and whether its values through the grammar were already read. */
  private parsedYet(key: string): HeaderField | null | undefined {
    const f = this.firstField(key);
    if (!f) return undefined;
    return f.parsedValues !== undefined || this.multi?.has(key) ? f : null;
  }

  private first<T>(name: string): T | undefined {
    return this.parsed<T>(name)[0];
  }

  get callId(): string | undefined {
    if (this.knownCallId === undefined) this.knownCallId = this.get('call-id') ?? null;
    return this.knownCallId ?? undefined;
  }
  get cseq(): CSeq | undefined {
    if (this.knownCSeq === undefined) this.knownCSeq = this.first<CSeq>('cseq') ?? null;
    return this.knownCSeq ?? undefined;
  }
  get from(): NameAddr | undefined { return this.first<NameAddr>('from'); }
  get to(): NameAddr | undefined { return this.first<NameAddr>('to'); }
  get fromTag(): string | undefined { return this.tag('from'); }
  get toTag(): string | undefined { return this.tag('to'); }
  get vias(): Via[] { return (this.knownVias ??= this.parsed<Via>('via')); }

  get topVia(): Via | undefined {
    if (this.knownTopVia !== undefined) return this.knownTopVia ?? undefined;
    const f = this.parsedYet('via');
    if (f !== null) return (this.knownTopVia = (f && this.vias[0]) ?? null) ?? undefined;
    // Grouping a large capture needs only the top Via of each message: parse that one element, not the stack.
    const whole = this.wholeTopViaField();
    if (whole) return (this.knownTopVia = whole);
    if (this.quickTopVia === undefined) this.quickTopVia = this.readTopVia() ?? null;
    return this.quickTopVia ?? undefined;
  }

  /**
   * When the first Via field holds one element only, its parse is the field's parse through the grammar:
   * kept on the field (and shared by text, parse-memo.ts) when clean, so validation does not parse it again.
   * Anything else (a list, quotes, '<', trailing whitespace, a problem) is left to the reads below.
   */
  private wholeTopViaField(): Via | undefined {
    const f = this.firstField('via')!;
    const v = f.rawValue;
    if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('<') >= 0 || v.length === 0 || isWs(v.charCodeAt(v.length - 1))) return undefined;
    const known = recall('via', v) as Via[] | undefined;
    let list = known;
    if (!list) {
      const via = parseVia(trimPiece(v, 0, v.length).text, f.valueOffset, scratch);
      const clean = scratch.length === 0;
      scratch.length = 0;
      if (!clean || !via) return undefined;
      list = [via];
      remember('via', v, list);
    }
    f.parsedValues = list;
    f.parsedClean = true;
    return list[0];
  }

  private readTopVia(): Via | undefined {
    const f = this.firstField('via')!;
    const v = f.rawValue;
    if (v.indexOf('"') >= 0) return this.vias[0];
    // A clean parse of the same text seen before; '<' is left to the cut below, which it could change.
    const known = v.indexOf('<') < 0 ? (recall('via', v) as Via[] | undefined) : undefined;
    if (known) return known[0];
    const comma = v.indexOf(',');
    return parseVia(comma < 0 ? v : v.slice(0, comma), f.valueOffset, undefined);
  }

  private tag(key: 'from' | 'to'): string | undefined {
    const known = key === 'from' ? this.knownFromTag : this.knownToTag;
    if (known !== undefined) return known ?? undefined;
    const f = this.parsedYet(key);
    if (f !== null) {
      const t = (f && this.parsed<NameAddr>(key)[0]?.params.get('tag')) ?? null;
      if (key === 'from') this.knownFromTag = t; else this.knownToTag = t;
      return t ?? undefined;
    }
    let quick = key === 'from' ? this.quickFromTag : this.quickToTag;
    if (quick === undefined) {
      quick = this.tagOf(key) ?? null;
      if (key === 'from') this.quickFromTag = quick; else this.quickToTag = quick;
    }
    return quick ?? undefined;
  }

  /**
   * The tag parameter of From or To without building the whole name-addr: trace grouping reads two tags per
   * message. Odd values (quotes could hide ";tag=" in a display name) take the full parse.
   */
  private tagOf(key: 'from' | 'to'): string | undefined {
    const f = this.firstField(key)!;
    let v = f.rawValue;
    // A quoted display name could hide ";tag=" or '>': skip past it (the full parse handles one never closed).
    const q = v.indexOf('"');
    if (q >= 0) {
      const close = closingQuote(v, q);
      v = close < 0 ? '' : v.slice(close + 1).trimStart();
      // A display name must be followed by <URI>; anything else is for the full parse to judge.
      if (v[0] !== '<') return (key === 'from' ? this.from : this.to)?.params.get('tag');
    }
    const gt = v.lastIndexOf('>');
    // Quotes left, or a '<' never closed: the full parse decides what is URI and what is parameter.
    if (v.indexOf('"') >= 0 || v.lastIndexOf('<') > gt) return (key === 'from' ? this.from : this.to)?.params.get('tag');
    const params = gt >= 0 ? v.slice(gt + 1) : v.slice(Math.max(0, v.indexOf(';')));
    const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(params);
    return m ? m[1] : undefined;
  }
  get branch(): string | undefined { return this.topVia?.branch; }
  get contacts(): NameAddr[] {
    return (this.knownContacts ??= this.readContacts());
  }

  private readContacts(): NameAddr[] {
    const all = this.parsed<NameAddr[] | '*'>('contact') as unknown as Array<NameAddr | '*'>;
    return all.filter((c): c is NameAddr => c !== '*');
  }
  get isContactStar(): boolean { return this.get('contact') === '*'; }
  get routes(): NameAddr[] { return (this.knownRoutes ??= this.parsed<NameAddr>('route')); }
  get recordRoutes(): NameAddr[] { return (this.knownRecordRoutes ??= this.parsed<NameAddr>('record-route')); }
  get maxForwards(): number | undefined { return this.first<number>('max-forwards'); }
  get expires(): number | undefined { return this.first<number>('expires'); }
  get contentLength(): number | undefined { return this.first<number>('content-length'); }
  get contentType(): string | undefined { return this.first<{ type: string }>('content-type')?.type; }
  get rseq(): number | undefined { return this.first<number>('rseq'); }
  get rack(): RAck | undefined { return this.first<RAck>('rack'); }
  get sessionExpires(): SessionExpires | undefined { return this.first<SessionExpires>('session-expires'); }
  get minSE(): number | undefined { return this.first<SessionExpires>('min-se')?.seconds; }
  get event(): EventHeader | undefined { return this.first<EventHeader>('event'); }
  get subscriptionState(): SubscriptionState | undefined { return this.first<SubscriptionState>('subscription-state'); }
  get referTo(): NameAddr | undefined { return this.first<NameAddr>('refer-to'); }
  /** Option tags of Require / Supported / … as lower-case tokens. */
  optionTags(name: 'require' | 'supported' | 'proxy-require' | 'unsupported' | 'allow'): string[] {
    return this.parsed<string>(name).map((t) => t.toLowerCase());
  }

  /** Body as UTF-8 text (SDP, sipfrag, PIDF …). */
  get bodyText(): string { return this.body.toString('utf8'); }

  /** Method of the request, or of the request this response answers (from CSeq). */
  abstract get method(): string | undefined;

  /** Every diagnostic: framing, start line, and the grammar of each known header and of the message as a whole. */
  validate(): Diagnostic[] {
    if (this.fullDiagnostics) return this.fullDiagnostics;
    const out = [...this.diagnostics];
    // The values parsed here stay with their fields for parsed(): rules that validate every message and then
    // read Vias, Contacts or tags do not parse each header twice.
    for (const f of this.fields) {
      const g = grammarOf(f.key);
      if (!g) checkOpaqueValue(f, out);
      else fieldValues(f.key, g, f, out);
    }
    this.validateMessage(out);
    out.sort((a, b) => a.offset - b.offset);
    this.fullDiagnostics = out;
    return out;
  }

  protected abstract validateMessage(out: Diagnostic[]): void;

  // ---- serialization and editing -------------------------------------------------------------------

  /** The message as bytes: start line, each field as on the wire, the empty line, the body. */
  toBuffer(): Buffer {
    let head = this.startLine.text + this.startLine.eol;
    for (const f of this.fields) head += f.raw;
    head += this.headerEnd;
    return Buffer.concat([Buffer.from(head, 'latin1'), this.body]);
  }

  /** toBuffer().length without building the buffer: the header text is latin1, one byte per character. */
  get wireLength(): number {
    let n = this.startLine.text.length + this.startLine.eol.length + this.headerEnd.length + this.body.length;
    for (const f of this.fields) n += f.rawLength;
    return n;
  }

  /** Readable text (UTF-8 decoded), for ladders and failure messages. */
  toString(): string {
    return this.toBuffer().toString('utf8');
  }

  private touched(): void {
    this.multi = undefined;
    this.fullDiagnostics = undefined;
    this.knownCallId = this.knownCSeq = this.knownFromTag = this.knownToTag = this.knownTopVia = undefined;
    this.quickFromTag = this.quickToTag = this.quickTopVia = undefined;
    this.knownVias = this.knownRoutes = this.knownRecordRoutes = this.knownContacts = undefined;
  }

  /** Replace every occurrence of a header with one field, or add it at the end. */
  setHeader(name: string, value: string): this {
    const key = keyOf(name);
    const i = this.fields.findIndex((f) => f.key === key);
    const field = HeaderField.create(name.length === 1 ? headerDisplayName(key) : name, value);
    if (i < 0) this.fields.push(field);
    else this.fields = [...this.fields.slice(0, i), field, ...this.fields.slice(i + 1).filter((f) => f.key !== key)];
    this.touched();
    return this;
  }

  /** Add a field; `top` puts it before other fields of that name (Via, Route, Record-Route are stacks). */
  addHeader(name: string, value: string, top = false): this {
    const key = keyOf(name);
    const field = HeaderField.create(name, value);
    const i = this.fields.findIndex((f) => f.key === key);
    if (top && i >= 0) this.fields.splice(i, 0, field);
    else if (i >= 0) {
      let last = i;
      this.fields.forEach((f, k) => { if (f.key === key) last = k; });
      this.fields.splice(last + 1, 0, field);
    } else this.fields.push(field);
    this.touched();
    return this;
  }

  removeHeader(name: string): this {
    const key = keyOf(name);
    this.fields = this.fields.filter((f) => f.key !== key);
    this.touched();
    return this;
  }

  /** Replace the body and keep Content-Length (and the header terminator) consistent. */
  setBody(body: Buffer | string, contentType?: string): this {
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (contentType) this.setHeader('Content-Type', contentType);
    this.setHeader('Content-Length', String(this.body.length));
    if (this.headerEnd === '') this.headerEnd = '\r\n';
    this.touched();
    return this;
  }

  protected commonChecks(out: Diagnostic[], required: string[]): void {
    if (this.mayRepeatSingle()) this.repeatedSingles(out);
    for (const h of required) {
      if (!this.has(h)) {
        out.push(diag('missing-header', 'error', this.kind === 'request' ? 'RFC 3261 §8.1.1 (SYN-04)' : 'RFC 3261 §8.2.6.2 (SYN-05)', `mandatory header ${headerDisplayName(h)} is missing`, 0, { header: h }));
      }
    }
    if (this.body.length > 0 && !this.has('content-type')) {
      out.push(diag('body-without-content-type', 'error', 'RFC 3261 §7.4.1 (SYN-07)', `a ${this.body.length}-byte body has no Content-Type`, this.bodyOffset, { header: 'content-type' }));
    }
  }

  /**
   * Whether some single-valued header may occur twice. Validating a large capture asks this of every
   * message, and nearly all have no repeat: a scan of the keys instead of a map of lists per message.
   */
  private mayRepeatSingle(): boolean {
    const keys = this.keys();
    if (keys.length > 64) return true; // the map below stays linear on a message of thousands of fields
    for (let i = 0; i < keys.length; i++) if (SINGLE_VALUED.has(keys[i]) && keys.indexOf(keys[i], i + 1) >= 0) return true;
    return false;
  }

  private repeatedSingles(out: Diagnostic[]): void {
    const counts = new Map<string, HeaderField[]>();
    for (const f of this.fields) {
      if (!SINGLE_VALUED.has(f.key) || f.key === 'content-length') continue; // Content-Length: framing reports it
      const l = counts.get(f.key);
      if (l) l.push(f); else counts.set(f.key, [f]);
    }
    for (const [key, list] of counts) {
      if (list.length > 1) {
        out.push(diag('duplicate-header', 'error', 'RFC 3261 §7.3.1 (SYN-10); RFC 4475 §3.3.8', `${headerDisplayName(key)} appears ${list.length} times but takes a single value`, list[1].offset, { header: key }));
      }
    }
  }

  /** Byte offset of the body within the message. */
  get bodyOffset(): number {
    let n = Buffer.byteLength(this.startLine.text + this.startLine.eol, 'latin1');
    for (const f of this.fields) n += f.rawLength;
    return n + this.headerEnd.length;
  }
}

export class SipRequest extends SipMessage {
  readonly kind = 'request' as const;

  constructor(
    public requestMethod: string,
    /** The Request-URI as written (brackets and LWS removed when the sender added them; see diagnostics). */
    public uriText: string,
    public version: string,
    startLine: StartLine,
    fields: HeaderField[],
    headerEnd: string,
    body: Buffer,
    diagnostics: Diagnostic[] = [],
    trailing?: Buffer,
    /** Offset of the Request-URI in the message, for diagnostics. */
    private uriOffset = 0,
  ) {
    super(startLine, fields, headerEnd, body, diagnostics, trailing);
  }

  get method(): string { return this.requestMethod; }

  private parsedUri: Uri | undefined | null = null;

  /** Parsed Request-URI (undefined if it has no scheme at all). */
  get uri(): Uri | undefined {
    if (this.parsedUri === null) this.parsedUri = parseUri(this.uriText);
    return this.parsedUri;
  }

  protected validateMessage(out: Diagnostic[]): void {
    // The Request-URI grammar is checked here rather than while parsing: bulk reading of captures needs only
    // the method and framing, and most messages are never validated.
    // Requests of a call share their Request-URI: a clean parse of the same text is reused (parse-memo.ts).
    let uri = recall(' request-uri', this.uriText) as Uri | undefined;
    if (!uri) {
      const before = out.length;
      uri = parseUri(this.uriText, this.uriOffset, out, 'Request-URI');
      if (out.length === before) remember(' request-uri', this.uriText, uri);
    }
    if (uri?.kind === 'sip' && uri.headers.length > 0) {
      out.push(diag('request-uri-headers', 'error', 'RFC 3261 §19.1.1 (table 1); RFC 4475 §3.1.2.11', `the Request-URI carries URI headers (?${uri.headers.map((h) => h.name).join('&')}), which are not allowed there`, this.uriOffset + this.uriText.indexOf('?')));
    }
    if (uri?.kind === 'sip' && uri.params.has('method')) {
      out.push(diag('request-uri-method-param', 'error', 'RFC 3261 §19.1.1 (table 1)', 'the Request-URI carries a method parameter, which is not allowed there', this.uriOffset));
    }
    this.commonChecks(out, ['to', 'from', 'cseq', 'call-id', 'max-forwards', 'via']);
    const cseq = this.cseq;
    if (cseq && cseq.method !== this.method) {
      out.push(diag('cseq-method-mismatch', 'error', 'RFC 3261 §8.1.1.5 (SYN-08); RFC 4475 §3.1.2.17', `CSeq method "${cseq.method}" does not match the request method "${this.method}"`, this.fieldsOf('cseq')[0]?.valueOffset ?? 0, { header: 'cseq' }));
    }
  }
}

export class SipResponse extends SipMessage {
  readonly kind = 'response' as const;

  constructor(
    public status: number,
    /** Reason phrase, UTF-8 decoded. */
    public reason: string,
    public version: string,
    startLine: StartLine,
    fields: HeaderField[],
    headerEnd: string,
    body: Buffer,
    diagnostics: Diagnostic[] = [],
    trailing?: Buffer,
  ) {
    super(startLine, fields, headerEnd, body, diagnostics, trailing);
  }

  get method(): string | undefined { return this.cseq?.method; }

  protected validateMessage(out: Diagnostic[]): void {
    this.commonChecks(out, ['to', 'from', 'cseq', 'call-id', 'via']);
  }
}

export type AnySipMessage = SipRequest | SipResponse;

/** The empty trailing bytes of nearly every message: one zero-length buffer rather than one per message. */
const NO_BYTES = Buffer.alloc(0);

/** Header names from callers go through the same canonical key (compact forms, case) as those off the wire. */
const keyOf = headerKey;

/**
 * The grammar of a header, own properties only: header names come off the wire, and "__proto__" or
 * "constructor" must not find Object.prototype's members in the GRAMMAR table.
 */
function grammarOf(key: string): Grammar | undefined {
  return GRAMMARS.get(key);
}

/** GRAMMAR as a Map: looked up for every field of every message, and a Map has no prototype to fall into. */
const GRAMMARS = new Map(Object.entries(GRAMMAR));

/** Diagnostics of a parse whose caller does not want them: only their number matters. */
const scratch: Diagnostic[] = [];

/**
 * A field's values through its grammar (a list flattened, unparsable elements left out), kept on the field.
 * A clean parse of the same text seen before is reused (parse-memo.ts). With `diags`, the field's problems
 * are reported there, which needs a parse unless the field is known to be clean.
 */
function fieldValues(key: string, grammar: Grammar, f: HeaderField, diags: Diagnostic[] | undefined): readonly unknown[] {
  if (f.parsedValues !== undefined && (f.parsedClean || diags === undefined)) return f.parsedValues;
  const raw = f.rawValue;
  const known = recall(key, raw) as readonly unknown[] | undefined;
  if (known !== undefined) {
    f.parsedValues ??= known;
    f.parsedClean = true;
    return f.parsedValues;
  }
  const sink = diags ?? scratch;
  const before = sink.length;
  const list = flatten(grammar(raw, f.valueOffset, sink));
  const clean = sink.length === before;
  scratch.length = 0;
  if (clean) remember(key, raw, list);
  if (f.parsedValues === undefined) {
    f.parsedValues = list;
    f.parsedClean = clean;
  }
  return f.parsedValues;
}

function flatten(r: unknown): readonly unknown[] {
  if (!Array.isArray(r)) return r === undefined ? [] : [r];
  return r.includes(undefined) ? r.filter((x) => x !== undefined) : r;
}

/** Unknown headers are opaque, but control characters other than HT never belong in a value. */
function checkOpaqueValue(f: HeaderField, out: Diagnostic[]): void {
  const v = f.rawValue;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) || c === 0x7f) {
      out.push(diag('control-char-in-value', 'error', 'RFC 3261 §25.1 (TEXT-UTF8-TRIM)', `${f.name}: control character 0x${c.toString(16).padStart(2, '0')} in the value`, f.valueOffset + i, { header: f.key }));
      return;
    }
  }
}
