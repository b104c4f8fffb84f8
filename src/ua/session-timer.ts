/**
 * RFC 4028 on the wire, for the user agents: the headers of a timer offer, the flag a 2xx without an interval
 * sets, and the answer to a refresh.
 */
import type { Action } from '../../drivers/sipp/index.js';

export type Refresher = 'uac' | 'uas';

/** What a UAC asks for in its INVITE (RFC 4028 §7.1). */
export interface TimerOffer {
  /** Session-Expires, seconds. */
  se: number;
  minSE?: number;
  /** Omitted: the UAS chooses (§7.1 recommends leaving it to the negotiation). */
  refresher?: Refresher;
}

/** When each side acts, from the 2xx that set the interval (RFC 4028 §10). */
export function timing(se: number): { refreshAtMs: number; byeAtMs: number } {
  // The refresher at half the interval; the other side "the minimum of 32 seconds and one third of the
  // session interval" before it expires.
  return { refreshAtMs: (se / 2) * 1000, byeAtMs: (se - Math.min(32, se / 3)) * 1000 };
}

export function offerHeaders(o: { se: number | string; minSE?: number | string; refresher?: Refresher }): string[] {
  return [`Session-Expires: ${o.se}${o.refresher ? `;refresher=${o.refresher}` : ''}`, ...(o.minSE !== undefined ? [`Min-SE: ${o.minSE}`] : [])];
}

/** A 422's Min-SE, kept in `minse` for the retry (RFC 4028 §7.3). */
export const KEEP_MIN_SE: Action = { ereg: { regexp: '[0-9]+', search_in: 'hdr', header: 'Min-SE:', assign_to: 'minse', check_it: true } };

/**
 * Sets the boolean `flag` when the message has no Session-Expires, keeping its seconds in `into` otherwise.
 * (SIPp's check_it on a missing header only logs a warning and carries on.) The pattern always matches: the
 * header where it is, or else the end of the message, with the seconds group left empty.
 */
export function lacksInterval(flag: string, into: string): Action[] {
  return [
    { ereg: { regexp: '(Session-Expires:[ ]*([0-9]+)|$)', search_in: 'msg', assign_to: [`${into}_match`, `${into}_header`, into] } },
    { todouble: { assign_to: `${into}_s`, variable: into } },
    { test: { assign_to: flag, variable: `${into}_s`, compare: 'less_than', value: 1 } },
  ];
}

/**
 * The 2xx to a refresh mirrors its Session-Expires (the refresher stays who it was) with Require: timer, which
 * §9 demands with refresher=uac; a refresh without Session-Expires fails the UA on the spot (`rse` unset).
 */
export const KEEP_REFRESH_SE: Action = { ereg: { regexp: '.*', search_in: 'hdr', header: 'Session-Expires:', assign_to: 'rse', check_it: true } };
export const REFRESH_OK_HEADERS = ['Supported: timer', 'Require: timer', 'Session-Expires:[$rse]'];
