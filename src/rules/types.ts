/** The passive rule catalogue's shape: each rule reads a trace and reports findings. */
import type { Trace } from '../trace/trace.js';

export type Level = 'MUST' | 'SHOULD';

export interface Finding {
  /** Catalogue id, e.g. "REL-09" (see docs/rules-catalogue.md). */
  rule: string;
  level: Level;
  /** RFC section, e.g. "RFC 3262 §7.2". */
  rfc: string;
  /** What is wrong, naming the values seen: `RAck 1 2 INVITE, but the INVITE's CSeq is 1`. */
  message: string;
  /** Trace indexes of the offending message(s), the first one being the one to mark. */
  messages: number[];
}

export interface RuleContext {
  /** SIP timers in seconds (RFC 3261 §17.1.1.1); the embedded lab may run with a smaller T1. */
  t1: number;
  t2: number;
  t4: number;
  /** Relative tolerance for timer checks (captures are noisy): 0.25 = ±25 %, plus `slack` seconds. */
  tolerance: number;
  slack: number;
}

export const DEFAULT_CONTEXT: RuleContext = { t1: 0.5, t2: 4, t4: 5, tolerance: 0.25, slack: 0.05 };

export interface Rule {
  id: string;
  level: Level;
  rfc: string;
  /** One line, from the catalogue. */
  title: string;
  check(trace: Trace, ctx: RuleContext): Finding[];
  /**
   * Set by ruleOnce: findings with the same text are one defect seen again (at another hop, in another call),
   * and only the earliest is kept. `findings` gives them all, so parts of a trace can be merged first.
   */
  once?: { findings(trace: Trace, ctx: RuleContext): Finding[] };
  /**
   * Why the rule must see the whole trace: it relates messages of different calls (a branch or a nonce
   * reused anywhere, a UA's registrations, round trips between two hosts). Other rules look within calls
   * and may be run on parts of a large trace (runRules, src/trace/partition.ts).
   */
  acrossCalls?: string;
}

/** Small helper so rule modules read as the catalogue does. */
export function rule(id: string, level: Level, rfc: string, title: string, check: Rule['check']): Rule {
  return { id, level, rfc, title, check };
}

/** A rule whose findings with the same text are reported once, at the earliest message (see Rule.once). */
export function ruleOnce(id: string, level: Level, rfc: string, title: string, findings: Rule['check']): Rule {
  return { id, level, rfc, title, check: (trace, ctx) => earliestOfEach(findings(trace, ctx)), once: { findings } };
}

/** The rule reads across calls, for the reason given: it always runs on the whole trace. */
export function acrossCalls(r: Rule, why: string): Rule {
  return { ...r, acrossCalls: why };
}

/**
 * One finding per rule and text: the one whose messages come first. It depends only on which findings there
 * are, not on the order a rule met them, so parts of a trace give what the whole trace gives.
 */
export function earliestOfEach(findings: Finding[]): Finding[] {
  const best = new Map<string, Finding>();
  for (const f of findings) {
    const k = `${f.rule}|${f.message}`;
    const b = best.get(k);
    if (!b || compareMessages(f.messages, b.messages) < 0) best.set(k, f);
  }
  return best.size === findings.length ? findings : findings.filter((f) => best.get(`${f.rule}|${f.message}`) === f);
}

/** Lexicographic order of two lists of message indexes (a shorter prefix first). */
export function compareMessages(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * A finding on the messages it names. The first is sent by the party at fault: a lab test's verdict goes to
 * the sender of a MUST finding's first message (test-run.ts). When the fault is something not sent (an ACK,
 * a CANCEL, a forwarded response), lead with a message the one at fault did send, then the one it ignored.
 */
export function finding(r: Pick<Rule, 'id' | 'level' | 'rfc'>, message: string, ...messages: number[]): Finding {
  return { rule: r.id, level: r.level, rfc: r.rfc, message, messages };
}
