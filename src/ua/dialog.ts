/**
 * Requests inside a dialog, for either side. The Request-URI is the peer's Contact and the Route set comes
 * from the Record-Route SIPp recorded (`rrs` on the message that made the dialog: reversed for a UAC, as
 * received for a UAS), so every request follows the dialog's route set through any proxy (RFC 3261 §12.2.1.1).
 */
import { CALL_ID, MAX_FORWARDS, message, UAS_TAG, VIA, type Body } from './sip-text.js';

/** How one dialog is addressed from one side. */
export interface DialogRef {
  /** Request-URI: the peer's Contact. */
  target: string;
  /** Our From line (with our tag) and the To line (the peer's tag). */
  from: string;
  to: string;
}

/** A UAC's dialog: From with its tag, To with the tag of the response that made the dialog. */
export function uacDialog(fromLine: string, toUri: string): DialogRef {
  return { target: '[next_url]', from: fromLine, to: `To: <${toUri}>[peer_tag_param]` };
}

/** A UAS's dialog: From is the INVITE's To with our tag, To the INVITE's From (keep-invite.ts keeps both). */
export const UAS_DIALOG: DialogRef = { target: '[next_url]', from: `From:[$inv_to];${UAS_TAG}`, to: 'To:[$inv_from]' };

/** `cseq` is SIPp's `[cseq]` (one more than any CSeq so far) unless a request must repeat one (an ACK, a CANCEL). */
export function inDialogRequest(method: string, d: DialogRef, o: { cseq?: string; extra?: string[]; body?: Body } = {}): string {
  return message([`${method} ${d.target} SIP/2.0`, VIA, '[routes]', MAX_FORWARDS, d.from, d.to, CALL_ID, `CSeq: ${o.cseq ?? '[cseq]'} ${method}`, ...(o.extra ?? [])], o.body);
}

/**
 * The ACK of a non-2xx final response to a request inside the dialog (a re-INVITE's 401 or 407): hop by hop, so
 * on that request's branch (the Via the response carries back) and with its Request-URI and route set (RFC 3261
 * §17.1.1.3). A fresh branch would match no transaction: a proxy that challenged statefully would relay it.
 */
export function inDialogAckOfFailure(d: DialogRef): string {
  return message([`ACK ${d.target} SIP/2.0`, '[last_Via:]', '[routes]', MAX_FORWARDS, d.from, d.to, CALL_ID, 'CSeq: [last_cseq_number] ACK']);
}
