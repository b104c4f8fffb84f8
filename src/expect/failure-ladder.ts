/** The text ladder printed in a failure message, with the offending message marked and shown in full. */
import { renderTextLadder } from '../trace/ladder-text.js';
import type { Trace, TraceMessage } from '../trace/trace.js';

const tracesByMessage = new WeakMap<TraceMessage, Trace>();

/** Remembers which trace a message came from, so matchers on a single message can print its ladder. */
export function rememberTrace(trace: Trace): void {
  for (const m of trace.messages) tracesByMessage.set(m, trace);
}

export function traceOf(m: TraceMessage): Trace | undefined {
  return tracesByMessage.get(m);
}

export function failureLadder(trace: Trace, offending?: TraceMessage, note = 'here'): string {
  const mark = new Map<number, string>();
  if (offending) mark.set(offending.index, note);
  const text = renderTextLadder(trace.ladder({ mark }), { width: 110, color: false });
  return `\n\nLadder (${trace.messages.length} messages${offending ? `, #${offending.index} marked` : ''}):\n${text}`;
}
