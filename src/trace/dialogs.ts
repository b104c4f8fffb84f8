/**
 * Dialogs (RFC 3261 §12): Call-ID plus the two tags. A forked INVITE answered with several To tags gives
 * several early dialogs; the one (or ones) confirmed by a 2xx become confirmed. Dialogs span every hop
 * of a proxy, since a proxy keeps Call-ID and tags.
 */
import type { TraceMessage } from './trace-message.js';
import type { Transaction } from './transactions.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface Dialog {
  id: string;
  callId: string;
  /** From tag of the dialog-creating request (the caller's tag). */
  callerTag: string;
  /** To tag given by the callee. */
  calleeTag: string;
  /** INVITE, SUBSCRIBE, REFER … */
  method: string;
  /** The transaction that created it (the initial INVITE at the first hop seen). */
  creator: Transaction;
  /** Final state seen in the trace. */
  state: DialogState;
  /** Time the dialog was confirmed, if it was. */
  confirmedAt?: number;
  messages: TraceMessage[];
}

const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

export function dialogKey(callId: string, a: string, b: string): string {
  return `${callId}|${a}|${b}`;
}

export function groupDialogs(messages: TraceMessage[]): Dialog[] {
  const byKey = new Map<string, Dialog>();
  const out: Dialog[] = [];
  /** The messages of each dialog, as a set (a long dialog must not be searched for every message). */
  const members = new Map<Dialog, Set<TraceMessage>>();
  const find = (callId: string, t1: string, t2: string) => byKey.get(dialogKey(callId, t1, t2)) ?? byKey.get(dialogKey(callId, t2, t1));
  for (const m of messages) {
    const msg = m.message;
    const callId = msg.callId;
    const fromTag = msg.fromTag;
    const toTag = msg.toTag;
    if (!callId || !fromTag) continue;
    if (toTag) {
      let d = find(callId, fromTag, toTag);
      if (!d && msg.kind === 'response' && m.status! > 100 && m.status! < 300 && DIALOG_CREATING.has(msg.cseq?.method ?? '') && m.transaction) {
        d = { id: dialogKey(callId, fromTag, toTag), callId, callerTag: fromTag, calleeTag: toTag, method: msg.cseq!.method, creator: m.transaction, state: 'early', messages: [] };
        byKey.set(d.id, d);
        out.push(d);
        // The creating request (and its earlier responses) belong to every dialog it creates.
        for (const r of m.transaction.requests) d.messages.push(r);
        for (const r of m.transaction.responses) if (r !== m && !r.message.toTag) d.messages.push(r);
        members.set(d, new Set(d.messages));
      }
      if (!d) continue;
      if (!m.dialog) m.dialog = d;
      const have = members.get(d)!;
      if (!have.has(m)) { have.add(m); d.messages.push(m); }
      if (msg.kind === 'response' && m.status! >= 200 && m.status! < 300 && msg.cseq?.method === d.method && d.state === 'early') {
        d.state = 'confirmed';
        d.confirmedAt = m.time;
      }
      if (msg.kind === 'response' && m.status! >= 300 && msg.cseq?.method === d.method && d.state === 'early' && m.transaction === d.creator) {
        d.state = 'terminated';
      }
      if (msg.kind === 'response' && msg.cseq?.method === 'BYE' && m.status! >= 200 && m.status! < 300) d.state = 'terminated';
      if (msg.kind === 'request' && m.method === 'NOTIFY' && msg.subscriptionState?.state === 'terminated') d.state = 'terminated';
    }
  }
  // Each dialog also owns the requests (every hop's copy) of its transactions, the To-tag-less responses to
  // them (100 Trying) and CANCELs aimed at them; the creator is the earliest hop's transaction.
  for (const d of out) {
    const txs = new Set<Transaction>();
    for (const m of d.messages) if (m.transaction) txs.add(m.transaction);
    for (const t of [...txs]) if (t.cancel) txs.add(t.cancel);
    const have = new Set(d.messages);
    for (const t of txs) {
      for (const r of t.requests) if (!have.has(r)) { have.add(r); d.messages.push(r); }
      for (const r of t.acks) if (!have.has(r)) { have.add(r); d.messages.push(r); }
      for (const r of t.responses) if (!r.message.toTag && !have.has(r)) { have.add(r); d.messages.push(r); }
      if (t.method === d.method && !t.request.message.toTag && t.request.index < d.creator.request.index) d.creator = t;
    }
    d.messages.sort((a, b) => a.index - b.index);
    for (const m of d.messages) if (!m.dialog) m.dialog = d;
  }
  return out;
}
