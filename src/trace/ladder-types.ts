/** Input of the ladder renderers: already resolved parties and arrows, no SIP knowledge needed. */

export interface LadderArrow {
  /** Position of the message in the trace (0-based), shown as "#n". */
  index: number;
  /** Party names; must be members of LadderInput.parties. */
  from: string;
  to: string;
  /** "INVITE", "200 OK", "180 Ringing (SDP)" … */
  label: string;
  /** Seconds since the epoch. */
  time: number;
  transport?: string;
  /** Full message text, shown when the arrow is clicked (HTML) or under a marked arrow (text). */
  detail: string;
  /** Highlight: the offending message in a failure message, or a finding. */
  mark?: boolean;
  /** Short annotation printed beside the arrow (a finding id, "retransmission"). */
  note?: string;
  /** Dialog or transaction key; arrows sharing a group share a colour. */
  group?: string;
}

export interface LadderInput {
  title?: string;
  parties: string[];
  arrows: LadderArrow[];
}
