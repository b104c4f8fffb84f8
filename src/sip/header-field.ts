/** One header field as it sits on the wire, so that untouched fields re-serialize byte for byte. */
import { headerKey } from './header-names.js';
import { unfold } from './split.js';

export class HeaderField {
  /** Lower-case long form: "v" and "VIA" are both "via". */
  readonly key: string;

  /**
   * @param name   the name as written ("v", "MaX-fOrWaRdS")
   * @param raw    the whole field as on the wire, including folded lines and the line terminator
   * @param valueStart  index in raw where the value starts (just after the colon)
   * @param valueEnd    index in raw where the value ends (before the final line terminator)
   * @param offset byte offset of the field in its message (0 for a field added by code)
   */
  constructor(
    readonly name: string,
    readonly raw: string,
    readonly valueStart: number,
    readonly valueEnd: number,
    readonly offset: number,
    /** A line without ':' kept only for its bytes: it answers to no header name. */
    readonly opaque = false,
  ) {
    this.key = opaque ? '' : headerKey(name);
  }

  static create(name: string, value: string): HeaderField {
    const raw = `${name}: ${value}\r\n`;
    return new HeaderField(name, raw, name.length + 1, raw.length - 2, 0);
  }

  /** Value with folding turned into spaces of the same length, so offsets stay exact for diagnostics. */
  get rawValue(): string {
    const v = this.raw.slice(this.valueStart, this.valueEnd);
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
    return (this.unfolded ??= unfold(this.raw.slice(this.valueStart, this.valueEnd)).trim());
  }

  /** Byte offset of the value in the message. */
  get valueOffset(): number {
    return this.offset + this.valueStart;
  }
}
