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
}

/** Small helper so rule modules read as the catalogue does. */
export function rule(id: string, level: Level, rfc: string, title: string, check: Rule['check']): Rule {
  return { id, level, rfc, title, check };
}

export function finding(r: Pick<Rule, 'id' | 'level' | 'rfc'>, message: string, ...messages: number[]): Finding {
  return { rule: r.id, level: r.level, rfc: r.rfc, message, messages };
}
