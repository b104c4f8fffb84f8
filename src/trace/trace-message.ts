/** One SIP message in a trace, with its wire context and its place in transactions and dialogs. */
import type { Endpoint, Transport } from '../capture/types.js';
import type { AnySipMessage } from '../sip/message.js';
import type { Dialog } from './dialogs.js';
import type { Transaction } from './transactions.js';

export interface TraceMessage {
  /** 0-based position in wire order. */
  index: number;
  /** Frame number in the capture, when it came from one. */
  frame?: number;
  /** Seconds since the epoch. */
  time: number;
  src: Endpoint;
  dst: Endpoint;
  transport: Transport;
  /** Party names of src and dst. */
  from: string;
  to: string;
  message: AnySipMessage;
  /** Request method, or undefined for a response. */
  method?: string;
  /** Status code, or undefined for a request. */
  status?: number;
  /** "INVITE", "180 Ringing", "200 OK (SDP)". */
  label: string;
  transaction?: Transaction;
  /** The dialog this message belongs to (in-dialog requests, responses with a To tag, and their requests). */
  dialog?: Dialog;
  /** A copy of an earlier message of the same transaction (a UDP retransmission). */
  retransmission: boolean;
}

export function labelOf(msg: AnySipMessage): string {
  const sdp = msg.body.length > 0 && (msg.contentType ?? '').includes('sdp') ? ' (SDP)' : '';
  if (msg.kind === 'request') return msg.method + sdp;
  return `${msg.status}${msg.reason ? ' ' + msg.reason : ''}${sdp}`;
}
