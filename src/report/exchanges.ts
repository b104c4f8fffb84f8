/**
 * A step per SIP exchange: each transaction of a test's trace becomes an Allure step named after what
 * happened on the wire (`INVITE alice → proxy: 100, 180, 200`), holding the exchange's messages as text.
 * The verdict comes from the capture, so the steps are built from it after the fact, not from what a
 * driver believed it sent.
 */
import type { Trace, TraceMessage, Transaction } from '../trace/trace.js';
import { attachText, step } from './allure.js';

/** `INVITE alice → proxy: 100, 180, 200` (`no response` when none was captured; `(rtx)` counts retransmissions). */
export function exchangeName(t: Transaction): string {
  const codes = t.responses.filter((r) => !r.retransmission).map((r) => String(r.status));
  const rtx = [...t.requests, ...t.responses].filter((m) => m.retransmission).length;
  const outcome = codes.length > 0 ? codes.join(', ') : t.method === 'ACK' ? 'no response expected' : 'no response';
  return `${t.method} ${t.client} → ${t.server}: ${outcome}${rtx > 0 ? ` (${rtx} rtx)` : ''}`;
}

/** The exchange's messages in wire order, each headed by its time, direction and transport. */
export function exchangeText(t: Transaction): string {
  const all: TraceMessage[] = [...t.requests, ...t.responses, ...t.acks].sort((a, b) => a.index - b.index);
  return all.map((m) => `#${m.index} ${new Date(m.time * 1000).toISOString()} ${m.from} → ${m.to} (${m.transport})${m.retransmission ? ' retransmission' : ''}\n${m.message.toString()}`).join('\n');
}

/** Records one step per transaction, in order of first appearance, each with its messages attached. */
export async function reportExchanges(trace: Trace): Promise<void> {
  for (const t of trace.transactions) {
    await step(exchangeName(t), async () => {
      await attachText('messages', exchangeText(t), 'text/plain');
    });
  }
}
