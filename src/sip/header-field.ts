/** One header field as it sits on the wire, so that untouched fields re-serialize byte for byte. */
import { headerKey } from './header-names.js';
import { unfold } from './split.js';

export class HeaderField {
  /** Lower-case long form: "v" and "VIA" are both "via". */
  readonly key: string;

  /**
   * The field is `source` from `start` to `end`: the parser hands every field of a message the same header
   * text, so a 200k-message trace does not keep two strings (name and raw) per field besides the field.
   *
   * @param source  text holding the field (the message's header section, or the field alone)
   * @param start   index in source where the field starts
   * @param end     index in source where the field ends (after its line terminator)
   * @param nameEnd     index in the field where the name ends
   * @param valueStart  index in the field where the value starts (just after the colon)
   * @param valueEnd    index in the field where the value ends (before the final line terminator)
   * @param offset byte offset of the field in its message (0 for a field added by code)
   * @param key    the key of the name, when the caller already has it
   */
  constructor(
    private readonly source: string,
    private readonly start: number,
    private readonly end: number,
    private readonly nameEnd: number,
    readonly valueStart: number,
    readonly valueEnd: number,
    readonly offset: number,
    /** A line without ':' kept only for its bytes: it answers to no header name. */
    readonly opaque = false,
    key?: string,
  ) {
    this.key = opaque ? '' : (key ?? headerKey(this.name));
  }

  static create(name: string, value: string): HeaderField {
    const raw = `${name}: ${value}\r\n`;
    return new HeaderField(raw, 0, raw.length, name.length, name.length + 1, raw.length - 2, 0);
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
  parsedClean = false;

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
