/**
 * A UAS answers an INVITE long after it arrived: the 200 after a PRACK, the 487 after a CANCEL. By then SIPp's
 * [last_*] keywords name the later request, so the INVITE's own header lines are kept in variables when it
 * arrives and written back into the late response.
 */
import type { Action } from '../../drivers/sipp/index.js';
import { UAS_TAG } from './sip-text.js';

/**
 * Every consecutive `name:` line of the message as one block, names included: the whole Via stack however
 * many proxies added to it (POSIX ERE; [[:cntrl:]] is the CRLF between the lines). When the message has none
 * (no Record-Route), the variable stays unset and SIPp leaves the line out of the message it writes.
 */
export function linesOf(name: string, assignTo: string): Action {
  return { ereg: { regexp: `${name}:[[:print:]]*([[:cntrl:]]+${name}:[[:print:]]*)*`, search_in: 'msg', assign_to: assignTo } };
}

/** Actions for the INVITE's recv: its Via stack, Record-Route set, CSeq, From and To. */
export const KEEP_INVITE: Action[] = [
  linesOf('Via', 'inv_via'),
  linesOf('Record-Route', 'inv_rr'),
  { ereg: { regexp: '.*', search_in: 'hdr', header: 'CSeq:', assign_to: 'inv_cseq', check_it: true } },
  { ereg: { regexp: '.*', search_in: 'hdr', header: 'From:', assign_to: 'inv_from', check_it: true } },
  { ereg: { regexp: '.*', search_in: 'hdr', header: 'To:', assign_to: 'inv_to', check_it: true } },
];

/**
 * The header lines of a late response to the kept INVITE. Its To gets the UAS's tag, the same one its
 * provisional responses carried (the tag is fixed per call: see UAS_TAG).
 */
export function inviteResponseHeaders(status: string): string[] {
  return [`SIP/2.0 ${status}`, '[$inv_via]', 'From:[$inv_from]', `To:[$inv_to];${UAS_TAG}`, '[last_Call-ID:]', 'CSeq:[$inv_cseq]', '[$inv_rr]'];
}
