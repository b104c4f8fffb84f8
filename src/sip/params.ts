/** Generic ";name=value" parameter lists (URI parameters, header parameters). */
import { diag, type Diagnostic } from './diagnostics.js';
import { TOKEN, firstInvalid } from './grammar.js';
import { splitOutside, unquote } from './split.js';

export interface Param {
  name: string;
  /** undefined for a flag parameter such as ";lr". Quoted values keep their quotes here. */
  value: string | undefined;
}

export class Params {
  constructor(readonly list: Param[] = []) {}

  /** Case-insensitive lookup; a flag parameter gives "". Quotes are removed. */
  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const p of this.list) if (p.name.toLowerCase() === n) return p.value === undefined ? '' : unquote(p.value);
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, value: string | undefined): void {
    const n = name.toLowerCase();
    const i = this.list.findIndex((p) => p.name.toLowerCase() === n);
    if (i >= 0) this.list[i] = { name: this.list[i].name, value };
    else this.list.push({ name, value });
  }

  delete(name: string): void {
    const n = name.toLowerCase();
    const i = this.list.findIndex((p) => p.name.toLowerCase() === n);
    if (i >= 0) this.list.splice(i, 1);
  }

  get size(): number {
    return this.list.length;
  }

  toString(): string {
    return this.list.map((p) => ';' + p.name + (p.value === undefined ? '' : '=' + p.value)).join('');
  }
}

/**
 * Parse header parameters: `s` starts right after the first ';' (or is empty). Whitespace around ';' and
 * '=' is allowed (SEMI and EQUAL include SWS). `base` is the offset of s in the message, for diagnostics.
 */
export function parseHeaderParams(
  s: string,
  base: number,
  diags: Diagnostic[] | undefined,
  header: string,
): Params {
  const params: Param[] = [];
  if (s.trim() === '') {
    diags?.push(diag('empty-param', 'error', 'RFC 3261 §25.1 (generic-param)', `empty parameter (stray ';') in ${header}`, base, { header }));
    return new Params(params);
  }
  for (const piece of splitOutside(s, 0x3b)) {
    if (piece.text === '') {
      diags?.push(diag('empty-param', 'error', 'RFC 3261 §25.1 (generic-param)', `empty parameter (stray ';') in ${header}`, base + piece.offset, { header }));
      continue;
    }
    const eq = piece.text.indexOf('=');
    const name = (eq < 0 ? piece.text : piece.text.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : piece.text.slice(eq + 1).trim();
    if (firstInvalid(name, TOKEN, 0, name.length, false) >= 0 || name === '') {
      diags?.push(diag('bad-param-name', 'error', 'RFC 3261 §25.1 (generic-param)', `parameter name "${name}" is not a token in ${header}`, base + piece.offset, { header }));
    }
    if (value !== undefined && value === '') {
      diags?.push(diag('empty-param-value', 'error', 'RFC 3261 §25.1 (generic-param)', `parameter "${name}" has '=' but no value in ${header}`, base + piece.offset, { header }));
    }
    if (value !== undefined && value.startsWith('"') && (value.length < 2 || !value.endsWith('"'))) {
      diags?.push(diag('unterminated-quote', 'error', 'RFC 3261 §25.1 (quoted-string)', `unterminated quoted string in parameter "${name}" of ${header}`, base + piece.offset, { header }));
    }
    params.push({ name, value });
  }
  return new Params(params);
}
