/**
 * The failure of `trace.one(query)`: what was asked, how many messages matched, and the ladder with the
 * matches marked. It reads like a matcher's failure, because a test that names "the 200 to the INVITE" and
 * finds none or two has learnt something about the wire.
 */
import { renderTextLadder } from './ladder-text.js';
import type { MessageQuery, Trace } from './trace.js';
import type { TraceMessage } from './trace-message.js';

/** The query as a person reads it: `{ status: 200, cseqMethod: "INVITE", from: "bob" }`. */
export function describeQuery(q: MessageQuery): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (k === 'after' || k === 'before') parts.push(`${k}: #${(v as TraceMessage).index}`);
    else if (k === 'where') parts.push('where: (fn)');
    else if (k === 'dialog') parts.push(`dialog: ${(v as { id: string }).id}`);
    else if (k === 'transaction') parts.push(`transaction: ${(v as { id: string }).id}`);
    else parts.push(`${k}: ${JSON.stringify(v)}`);
  }
  return `{ ${parts.join(', ')} }`;
}

/**
 * Holds only text and numbers: a jest worker sends a failed test's error to its parent as JSON, and a trace is
 * full of cycles (messages ↔ transactions ↔ dialogs).
 */
export class TraceQueryError extends Error {
  /** The indexes of the messages that matched (#n in the ladder). */
  readonly matches: number[];
  readonly query: string;
  constructor(trace: Trace, query: MessageQuery, matches: TraceMessage[], expected: 'exactly one' | 'at least one' = 'exactly one') {
    const mark = new Map<number, string>(matches.map((m, i) => [m.index, `match ${i + 1}`]));
    const ladder = renderTextLadder(trace.ladder({ mark }), { width: 110, color: false });
    const found = matches.length === 0 ? 'no message matches' : `${matches.length} messages match (${matches.map((m) => `#${m.index} ${m.label} ${m.from} -> ${m.to}`).join(', ')})`;
    super(`trace.${expected === 'exactly one' ? 'one' : 'earliest/latest'}(${describeQuery(query)}): ${found}, expected ${expected}${leftOut(query)}\n\nLadder (${trace.messages.length} messages):\n${ladder}`);
    this.name = 'TraceQueryError';
    this.matches = matches.map((m) => m.index);
    this.query = describeQuery(query);
  }
}

/** What one(), earliest() and latest() left out of the matches, as the query did not ask for it. */
function leftOut(query: MessageQuery): string {
  const out = [...(query.retransmissions ? [] : ['retransmissions']), ...(query.challenged ? [] : ['requests turned back by a 401/407'])];
  return out.length ? ` (${out.join(' and ')} left out)` : '';
}
