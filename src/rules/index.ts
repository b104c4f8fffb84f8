/**
 * The rule catalogue (docs/rules-catalogue.md): every implemented rule, and running them over a trace.
 * The catalogue ids that have no rule, and why, are in NOT_IMPLEMENTED below.
 */
import { partitionTrace } from '../trace/partition.js';
import type { Trace } from '../trace/trace.js';
import { CANCEL_RULES } from './cancel.js';
import { legsOfParts, timesTrusted } from './common.js';
import { DIALOG_RULES } from './dialog.js';
import { EVENT_RULES } from './events.js';
import { MESSAGE_PUBLISH_RULES } from './message-publish.js';
import { PRACK_RULES } from './prack.js';
import { PROXY_RULES } from './proxy.js';
import { REFER_RULES } from './refer.js';
import { REGISTRATION_RULES } from './registration.js';
import { SDP_RULES } from './sdp.js';
import { SDES_RULES } from './sdes.js';
import { SESSION_TIMER_RULES } from './session-timers.js';
import { SYNTAX_RULES } from './syntax.js';
import { TIMER_RULES } from './timers.js';
import { compareMessages, DEFAULT_CONTEXT, earliestOfEach, type Finding, type Rule, type RuleContext } from './types.js';
import { UAC_RULES } from './uac.js';
import { UAS_RULES } from './uas.js';

/** Rules that measure time or wait for something "within" a delay: meaningless on a capture with broken clocks. */
const TIMED = new Set(['DLG-09', 'DLG-10', 'DLG-12', 'DLG-15', 'CAN-06', 'CAN-08', 'REL-05', 'REL-08', 'REL-13', 'SES-10', 'SES-11', 'REF-04', 'EVT-04', 'EVT-07', 'UAS-15', 'RPL-05', 'PRX-05', 'PRX-07', 'PRX-17']);

function guarded(r: Rule): Rule {
  if (!r.id.startsWith('TMR-') && !TIMED.has(r.id)) return r;
  const once = r.once;
  return {
    ...r,
    check: (trace, ctx) => (timesTrusted(trace) ? r.check(trace, ctx) : []),
    once: once && { findings: (trace, ctx) => (timesTrusted(trace) ? once.findings(trace, ctx) : []) },
  };
}

export const ALL_RULES: Rule[] = [
  ...SYNTAX_RULES, ...UAC_RULES, ...UAS_RULES, ...DIALOG_RULES, ...CANCEL_RULES, ...TIMER_RULES, ...PROXY_RULES,
  ...REGISTRATION_RULES, ...PRACK_RULES, ...SESSION_TIMER_RULES, ...REFER_RULES, ...EVENT_RULES, ...MESSAGE_PUBLISH_RULES, ...SDP_RULES,
  ...SDES_RULES,
].map(guarded);

/** Catalogue ids with no rule, and why. */
const NOT_IMPLEMENTED: Array<[RegExp, string]> = [
  [/^IDN-/, 'STIR/SHAKEN Identity is left for its own issue'],
  [/^TMR-15$/, 'the timer defaults are RuleContext values (--t1), which TMR-01..14 scale by'],
  [/^PRX-10$/, 'it needs the URI schemes an element supports, which a capture does not show'],
  [/^PRX-11$/, 'it needs the option tags an element supports (the 420 it must send is checked by UAS-05)'],
  [/^OB-0[567]$/, 'CRLF and STUN keep-alives are not SIP messages, so a trace does not carry them'],
];

/**
 * The rules `only` names, by id ("SYN-06") or by prefix ("REL-"), in either case; all when absent. A name that
 * selects no rule is an error: a mistyped id would otherwise run nothing and report a clean capture.
 */
export function selectRules(only?: readonly string[]): Rule[] {
  if (!only) return ALL_RULES;
  const given = only.map((o) => o.trim()).filter((o) => o !== '');
  const names = given.map((o) => o.toUpperCase());
  if (names.length === 0) throw new Error('no rule ids given: name ids such as SYN-06 or prefixes such as REL-');
  const selects = (r: Rule, o: string) => r.id === o || (o.endsWith('-') && r.id.startsWith(o));
  for (const [i, o] of names.entries()) {
    if (ALL_RULES.some((r) => selects(r, o))) continue;
    const why = NOT_IMPLEMENTED.find(([re]) => re.test(o));
    if (why) throw new Error(`rule ${o} is in the catalogue but not implemented: ${why[1]}`);
    const families = [...new Set(ALL_RULES.map((r) => r.id.replace(/\d+$/, '')))].filter((f) => f.endsWith('-')).join(' ');
    throw new Error(`no rule has the id or prefix "${given[i]}": ids look like SYN-06, and a prefix ending in "-" names a family (${families})`);
  }
  return ALL_RULES.filter((r) => names.some((o) => selects(r, o)));
}

export interface RunRulesOptions {
  /** Rule ids (or prefixes such as "REL-") to run; all when absent. One that names no rule throws. */
  only?: string[];
  context?: Partial<RuleContext>;
  /**
   * A trace of more messages than this is read in parts of whole calls of about this many messages, so
   * that a part stays in the CPU's caches across the rules; the findings are the same. 0 reads it whole.
   */
  partSize?: number;
  /**
   * Called as the rules go, and once at the end: (steps done, all steps). A step is a part of the trace with the
   * rules that read one call at a time, or one rule reading the whole trace.
   */
  progress?: (done: number, total: number) => void;
}

/** Measured on the 200k-message bench capture: parts of 300 to 2,000 messages were equally fast. */
export const PART_SIZE = 1000;

export function runRules(trace: Trace, options: RunRulesOptions = {}): Finding[] {
  const ctx = { ...DEFAULT_CONTEXT, ...options.context };
  const rules = selectRules(options.only);
  const size = options.partSize ?? PART_SIZE;
  const parts = size > 0 && trace.whole === trace && trace.messages.length > size ? partitionTrace(trace, size) : [];
  const found: Finding[][] = rules.map(() => []);
  const failed: Array<Error | undefined> = rules.map(() => undefined);
  const run = (i: number, t: Trace, raw: boolean) => {
    if (failed[i]) return;
    const r = rules[i];
    try {
      const list = found[i];
      // A loop, not push(...found): a rule with a finding on each of 150,000 messages would overflow the
      // call stack, and all of its findings would be lost to one "could not be evaluated".
      for (const f of raw && r.once ? r.once.findings(t, ctx) : r.check(t, ctx)) list.push(f);
    } catch (e) {
      failed[i] = e as Error;
    }
  };
  const progress = options.progress;
  if (parts.length > 1) {
    const callwise = rules.map((r, i) => (r.acrossCalls ? -1 : i)).filter((i) => i >= 0);
    const across = rules.map((r, i) => (r.acrossCalls ? i : -1)).filter((i) => i >= 0);
    const steps = parts.length + across.length;
    const legs = legsOfParts(trace);
    parts.forEach((p, k) => {
      progress?.(k, steps);
      const part = trace.part(p.messages, p.transactions, p.dialogs);
      for (const i of callwise) run(i, part, true);
      legs.add(part);
    });
    legs.done();
    for (const i of callwise) if (rules[i].once) found[i] = earliestOfEach(found[i]);
    across.forEach((i, k) => { progress?.(parts.length + k, steps); run(i, trace, false); });
    progress?.(steps, steps);
  } else {
    rules.forEach((_, i) => { progress?.(i, rules.length); run(i, trace, false); });
    progress?.(rules.length, rules.length);
  }
  const out: Finding[] = [];
  const position = new Map<Finding, number>();
  rules.forEach((r, i) => {
    // A rule crashing on odd input must not hide the other findings; it is reported as a finding itself.
    const list = failed[i] ? [{ rule: r.id, level: 'SHOULD' as const, rfc: r.rfc, message: `rule could not be evaluated: ${failed[i]!.message}`, messages: [] }] : found[i];
    for (const f of list) { position.set(f, i); out.push(f); }
  });
  // A total order, so a trace read in parts lists its findings exactly as when read whole.
  return out.sort((a, b) => (a.messages[0] ?? -1) - (b.messages[0] ?? -1) || position.get(a)! - position.get(b)!
    || compareMessages(a.messages, b.messages) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

export type { Finding, Rule, RuleContext };
