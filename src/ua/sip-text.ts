/**
 * The text of the user agents' SIP messages as SIPp sends them: the header lines every request or response
 * is made of, written once. `[keyword]`s are SIPp's, filled in per message (addresses, branch, tags, lengths).
 */

/** A body: its type and its lines (SIPp computes Content-Length, `[len]`). */
export interface Body {
  type: string;
  lines: string[];
}

export const VIA = 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport';
export const MAX_FORWARDS = 'Max-Forwards: 70';
export const CALL_ID = 'Call-ID: [call_id]';
/** The tag a user agent puts on its side of a dialog: SIPp's pid and call number make it unique per run and call. */
export const UAC_TAG = 'tag=[pid]SIPpTag00[call_number]';
export const UAS_TAG = 'tag=[pid]SIPpTag01[call_number]';

/** Who a user agent is in its messages: the user of From and Contact and the host of From. */
export interface Identity {
  user: string;
  /** The From URI's host: the target's domain for an account, the UA's own address otherwise. */
  domain: string;
}

export function contactLine(user: string, params = ''): string {
  return `Contact: <sip:${user}@[local_ip]:[local_port];transport=[transport]>${params}`;
}

export function fromLine(id: Identity, tag = UAC_TAG): string {
  return `From: <sip:${id.user}@${id.domain}>;${tag}`;
}

/** Header lines, then the body (or Content-Length: 0), then the empty line that ends the message. */
export function message(headers: string[], body?: Body): string {
  const lines = headers.filter((h) => h !== '');
  if (!body) return [...lines, 'Content-Length: 0', '', ''].join('\n');
  return [...lines, `Content-Type: ${body.type}`, 'Content-Length: [len]', '', ...body.lines, ''].join('\n');
}

export function sdpBody(lines: string[]): Body {
  return { type: 'application/sdp', lines };
}

/**
 * A response to the request just received: its Via stack, From, To, Call-ID and CSeq copied as they came
 * (SIPp's [last_*]), with our tag added to To when `tag` (the first response that makes a dialog).
 */
export function responseToLast(status: string, o: { tag?: boolean; recordRoute?: boolean; extra?: string[]; body?: Body } = {}): string {
  return message(
    [
      `SIP/2.0 ${status}`,
      '[last_Via:]',
      '[last_From:]',
      o.tag ? `[last_To:];${UAS_TAG}` : '[last_To:]',
      '[last_Call-ID:]',
      '[last_CSeq:]',
      ...(o.recordRoute ? ['[last_Record-Route:]'] : []),
      ...(o.extra ?? []),
    ],
    o.body,
  );
}
