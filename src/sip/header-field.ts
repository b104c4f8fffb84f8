/** One header field as it sits on the wire, so that untouched fields re-serialize byte for byte. */
import { headerKey } from './header-names.js';
import { unfold } from './split.js';

const OPAQUE = 1;
const CLEAN = 2;
const LF = 0x0a;
const CR = 0x0d;

export class HeaderField {
  /** Lower-case long form: "v" and "VIA" are both "via". */
  readonly key: string;
  /** OPAQUE | CLEAN. */
  private bits: number;

  /**
   * The field is `source` from `start` to `end`: the parser hands every field of a message the same header
   * text, so a 200k-message trace does not keep two strings (name and raw) per field besides the field.
   * Where the name and the value lie is worked out from the text when asked, not kept: a large capture has
   * millions of fields, and each number kept is 8 bytes more on every one for the garbage collector to copy.
   *
   * @param source  text holding the field (the message's header section, or the field alone)
   * @param start   index in source where the field starts
   * @param end     index in source where the field ends (after its line terminator)
   * @param offset  byte offset of the field in its message (0 for a field added by code)
   * @param opaque  a line without ':' (in its first line) kept only for its bytes: it answers to no header name
   * @param key     the key of the name, when the caller already has it
   */
  constructor(
    private readonly source: string,
    private readonly start: number,
    private readonly end: number,
    readonly offset: number,
    opaque = false,
    key?: string,
  ) {
    this.bits = opaque ? OPAQUE : 0;
    this.key = opaque ? '' : (key ?? headerKey(this.name));
  }

  static create(name: string, value: string): HeaderField {
    const raw = `${name}: ${value}\r\n`;
    return new HeaderField(raw, 0, raw.length, 0);
  }

  /** A line without ':' kept only for its bytes: it answers to no header name. */
  get opaque(): boolean {
    return (this.bits & OPAQUE) !== 0;
  }

  /** Index of the colon in source (non-opaque fields: the first ':' of the field's first line). */
  private colon(): number {
    return this.source.indexOf(':', this.start);
  }

  /** End of the first line in source, without its terminator (opaque fields). */
  private firstLineEnd(): number {
    const s = this.source;
    let e = s.indexOf('\n', this.start);
    if (e < 0 || e >= this.end) e = this.end;
    else if (e > this.start && s.charCodeAt(e - 1) === CR) e--;
    return e;
  }

  /** Index in the field where the name ends: before the colon and any whitespace ahead of it. */
  private get nameEnd(): number {
    const s = this.source;
    if (this.opaque) {
      // Named by its first word; a line starting with whitespace (folding without a header) has none.
      const lineEnd = this.firstLineEnd();
      for (let i = this.start; i < lineEnd; i++) {
        const c = s.charCodeAt(i);
        if (c === 0x20 || c === 0x09 || c === 0x3a) return i > this.start ? i - this.start : lineEnd - this.start;
      }
      return lineEnd - this.start;
    }
    let e = this.colon();
    while (e > this.start && (s.charCodeAt(e - 1) === 0x20 || s.charCodeAt(e - 1) === 0x09)) e--;
    return e - this.start;
  }

  /** Index in the field where the value starts (just after the colon). */
  get valueStart(): number {
    return this.opaque ? this.firstLineEnd() - this.start : this.colon() - this.start + 1;
  }

  /** Index in the field where the value ends (before the final line terminator). */
  get valueEnd(): number {
    if (this.opaque) return this.firstLineEnd() - this.start;
    const s = this.source;
    let e = this.end;
    if (e > this.start && s.charCodeAt(e - 1) === LF) e--;
    if (e > this.start && s.charCodeAt(e - 1) === CR) e--;
    return e - this.start;
  }

  /** The name as written ("v", "MaX-fOrWaRdS"). */
  get name(): string {
    return this.source.slice(this.start, this.start + this.nameEnd);
  }

  /** The whole field as on the wire, including folded lines and the line terminator. */
  get raw(): string {
    return this.start === 0 && this.end === this.source.length ? this.source : this.source.slice(this.start, this.end);
  }

  /** raw.length without making raw. */
  get rawLength(): number {
    return this.end - this.start;
  }

  /** Value with folding turned into spaces of the same length, so offsets stay exact for diagnostics. */
  get rawValue(): string {
    const v = this.source.slice(this.start + this.valueStart, this.start + this.valueEnd);
    return v.indexOf('\r') < 0 && v.indexOf('\n') < 0 ? v : v.replace(/[\r\n]/g, ' ');
  }

  private unfolded: string | undefined;
  /**
   * The field's values through its header's grammar, kept by SipMessage (a field never changes). The list
   * may be shared with fields of other messages that have the same text: read-only.
   */
  parsedValues: readonly unknown[] | undefined;

  /** That parse found no problem, so validation need not parse the field again. */
  get parsedClean(): boolean {
    return (this.bits & CLEAN) !== 0;
  }
  set parsedClean(clean: boolean) {
    this.bits = clean ? this.bits | CLEAN : this.bits & ~CLEAN;
  }

  /** Value as a reader means it: folding collapsed, surrounding whitespace removed. */
  get value(): string {
    // Kept: rules read the same few values (CSeq, Call-ID, From) of a message many times.
    return (this.unfolded ??= unfold(this.source.slice(this.start + this.valueStart, this.start + this.valueEnd)).trim());
  }

  /** Byte offset of the value in the message. */
  get valueOffset(): number {
    return this.offset + this.valueStart;
  }
}
