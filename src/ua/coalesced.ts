/**
 * Two messages a far end sends back to back can reach SIPp in one TCP read: two 2xx of a forked INVITE, or a
 * proxy's CANCEL and the ACK behind it. SIPp hands every message of a read to the call before the call runs
 * again, so when the scenario's step after the first is a send, the second meets that send and SIPp takes it
 * for a retransmission (dropped) or an unexpected message (the call aborted). Over UDP each arrives in its own
 * datagram, usually after the send has gone out, but not always: a second message a millisecond or two behind
 * can land after the wait below ran out and before SIPp sent (seen with a proxy's CANCEL and ACK, which the
 * answering user agent therefore takes in order instead, answer.ts).
 *
 * Where the far end may do this, the step after the first message is a recv of the second with this wait: a
 * message from the same read matches it at once, and otherwise the wait ends within a millisecond or two and
 * the scenario goes on as before.
 */
export const COALESCED_WAIT_MS = 1;
