/**
 * Grouping messages into transactions, RFC 3261 §17.1.3 (client) and §17.2.3 (server): the top Via branch
 * with the magic cookie, the sent-by, and the CSeq method, where ACK for a non-2xx and CANCEL map to their
 * INVITE. Requests without the cookie use the RFC 2543 fallback (Call-ID, CSeq, From tag, top Via).
 */
import type { TraceMessage } from './trace-message.js';

export interface Transaction {
  /** Stable key, also used as a ladder group. */
  id: string;
  /** INVITE, REGISTER, BYE, ACK (an ACK for a 2xx is a transaction of its own, with no response) … */
  method: string;
  branch?: string;
  /** RFC 3261 branch (magic cookie z9hG4bK) or RFC 2543 matching. */
  rfc2543: boolean;
  /** First copy of the request; retransmissions are in `requests`. */
  request: TraceMessage;
  requests: TraceMessage[];
  responses: TraceMessage[];
  /** ACKs of a non-2xx final response (same branch as the INVITE). */
  acks: TraceMessage[];
  /** The CANCEL transaction aimed at this INVITE, if any. */
  cancel?: Transaction;
  /** For a CANCEL transaction: the INVITE transaction it cancels. */
  cancels?: Transaction;
  /** Party names of the client and server sides (from the first request's source and destination). */
  client: string;
  server: string;
}

export function finalResponse(t: Transaction): TraceMessage | undefined {
  return t.responses.find((r) => r.status !== undefined && r.status >= 200);
}

export function provisionalResponses(t: Transaction): TraceMessage[] {
  return t.responses.filter((r) => r.status !== undefined && r.status < 200);
}

const COOKIE = 'z9hG4bK';

/**
 * sent-by with the default port filled in: RFC 3261 compares sent-by as written, but real UAs (X-Lite in the
 * aaa capture) send "host" on the CANCEL and "host:5060" on its INVITE, and a trace reader must pair them.
 */
function sentBy(m: TraceMessage): string {
  const v = m.message.topVia;
  if (!v) return m.src.ip;
  return `${v.host.toLowerCase()}:${v.port ?? (v.transport === 'TLS' || v.transport === 'WSS' ? 5061 : 5060)}`;
}

function keyOf(m: TraceMessage, method: string): { key: string; rfc2543: boolean; branch?: string } {
  const branch = m.message.branch;
  if (branch !== undefined && branch.startsWith(COOKIE) && branch.length > COOKIE.length) {
    return { key: `${branch}|${sentBy(m)}|${method}`, rfc2543: false, branch };
  }
  const msg = m.message;
  return { key: `2543|${msg.callId}|${msg.cseq?.seq}|${method}|${msg.fromTag ?? ''}|${sentBy(m)}|${branch ?? ''}`, rfc2543: true, branch };
}

/** Assigns m.transaction for every message and returns the transactions in order of first appearance. */
export function groupTransactions(messages: TraceMessage[]): Transaction[] {
  const byKey = new Map<string, Transaction>();
  /** Transactions displaced from byKey by a reused branch, by key and CSeq number. */
  const older = new Map<string, Transaction>();
  const out: Transaction[] = [];
  for (const m of messages) {
    const msg = m.message;
    const cseqMethod = msg.cseq?.method ?? msg.method ?? '?';
    if (msg.kind === 'request') {
      const method = msg.method;
      if (method === 'ACK') {
        // An ACK with the INVITE's branch acknowledges a non-2xx final; otherwise it is its own transaction.
        const inv = byKey.get(keyOf(m, 'INVITE').key);
        const fin = inv && finalResponse(inv);
        if (inv && fin && fin.status! >= 300) {
          inv.acks.push(m);
          m.transaction = inv;
          continue;
        }
      }
      const k = keyOf(m, method);
      let t = byKey.get(k.key);
      // A branch reused for another request (other CSeq or Call-ID) is not a retransmission: the server
      // saw a new request, and the rules must see it too (UAC-02 reports the reuse).
      if (t && (t.request.message.cseq?.seq !== msg.cseq?.seq || t.request.message.callId !== msg.callId)) t = undefined;
      if (t) {
        t.requests.push(m);
        m.transaction = t;
        m.retransmission = true;
        continue;
      }
      const prev = byKey.get(k.key);
      if (prev) older.set(`${k.key}|${prev.request.message.cseq?.seq}`, prev);
      t = { id: k.key, method, branch: k.branch, rfc2543: k.rfc2543, request: m, requests: [m], responses: [], acks: [], client: m.from, server: m.to };
      byKey.set(k.key, t);
      out.push(t);
      m.transaction = t;
      if (method === 'CANCEL') {
        const inv = byKey.get(keyOf(m, 'INVITE').key);
        if (inv) { inv.cancel = t; t.cancels = inv; }
      }
    } else {
      const k = keyOf(m, cseqMethod === 'ACK' ? 'INVITE' : cseqMethod);
      let t = byKey.get(k.key);
      if (t && t.request.message.cseq?.seq !== msg.cseq?.seq) t = older.get(`${k.key}|${msg.cseq?.seq}`) ?? t;
      // Another host answering with another Call-ID answers another request that reused the branch.
      if (t && t.request.message.callId !== msg.callId && t.request.dst.ip !== m.src.ip) t = undefined;
      if (!t) continue; // a response whose request was not captured
      const prior = t.responses.find((r) => r.status === m.status && r.message.toTag === msg.toTag && r.src.ip === m.src.ip && r.src.port === m.src.port && r.message.rseq === msg.rseq);
      if (prior) m.retransmission = true;
      t.responses.push(m);
      m.transaction = t;
    }
  }
  return out;
}
