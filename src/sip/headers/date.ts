/** Date (RFC 3261 §20.17): rfc1123-date, and only "GMT" is a legal zone. */
import { diag, type Diagnostic } from '../diagnostics.js';

const RE = /^\s*(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (\S+)\s*$/;

export function parseDate(s: string, base: number, diags: Diagnostic[] | undefined): Date | undefined {
  const m = RE.exec(s);
  if (!m) {
    diags?.push(diag('bad-date', 'error', 'RFC 3261 §20.17', `Date "${s.trim()}" is not an RFC 1123 date`, base, { header: 'date' }));
    return undefined;
  }
  if (m[8] !== 'GMT') {
    diags?.push(diag('date-not-gmt', 'error', 'RFC 3261 §20.17; RFC 4475 §3.1.2.12', `Date time zone "${m[8]}" must be GMT`, base, { header: 'date' }));
  }
  const t = Date.parse(`${m[2]} ${m[3]} ${m[4]} ${m[5]}:${m[6]}:${m[7]} GMT`);
  return Number.isNaN(t) ? undefined : new Date(t);
}
