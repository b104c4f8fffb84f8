/** A problem found in a message: where it is, what is wrong, and which rule it breaks. */
export interface Diagnostic {
  /** Stable machine id, e.g. "content-length-mismatch". Tests and reports key on it. */
  code: string;
  /** error = the message breaks a MUST or the grammar; warning = legal but suspect or tolerated. */
  severity: 'error' | 'warning';
  message: string;
  /** The rule broken, e.g. "RFC 3261 §20.14" (with a catalogue id like "SYN-06" where one exists). */
  rule: string;
  /** Byte offset in the message where the problem starts. */
  offset: number;
  length?: number;
  /** Canonical (lower-case, long form) header name, when the problem is in a header. */
  header?: string;
}

export function diag(
  code: string,
  severity: Diagnostic['severity'],
  rule: string,
  message: string,
  offset: number,
  extra: Partial<Pick<Diagnostic, 'length' | 'header'>> = {},
): Diagnostic {
  return { code, severity, rule, message, offset, ...extra };
}

/** "line 3, column 7" for a byte offset: what a person looks for in a raw message. */
export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; last = i; }
  }
  return { line, column: offset - last };
}

export function formatDiagnostic(d: Diagnostic, text?: string): string {
  const where = text === undefined ? `@${d.offset}` : (() => { const p = lineCol(text, d.offset); return `${p.line}:${p.column}`; })();
  return `${where} ${d.severity} ${d.code}: ${d.message} [${d.rule}]`;
}
