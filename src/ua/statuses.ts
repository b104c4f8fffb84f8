/**
 * The final statuses a user agent is ready for. SIPp matches a response by its exact code, so "any final
 * response" is this list: RFC 3261's codes and those of the extensions the suites meet (RFC 3262 420/421,
 * RFC 4028 422, RFC 3261 §10 423, RFC 3903 412 and 489, RFC 3891 481, RFC 8224 428/436-438, RFC 3329 494).
 */
export const SUCCESSES: readonly number[] = [200, 202, 204];

export const FAILURES: readonly number[] = [
  300, 301, 302, 305, 380,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 410, 412, 413, 414, 415, 416, 417, 420, 421, 422, 423, 428, 429,
  433, 436, 437, 438, 470, 480, 481, 482, 483, 484, 485, 486, 487, 488, 489, 491, 493, 494,
  500, 501, 502, 503, 504, 505, 513, 580,
  600, 603, 604, 606, 607, 608,
];

/**
 * The failures an INVITE may meet, for a call that compiles its rest once per INVITE attempt (challenge,
 * 422): shorter than FAILURES, which would make such a scenario too large for SIPp (64 KiB).
 */
export const INVITE_FAILURES: readonly number[] = [
  300, 301, 302, 380, 400, 403, 404, 405, 406, 408, 410, 413, 415, 416, 420, 421, 428, 433, 436, 437, 438,
  480, 481, 482, 483, 484, 485, 486, 487, 488, 491, 493, 500, 501, 502, 503, 504, 513, 580, 600, 603, 604, 606, 607, 608,
];
