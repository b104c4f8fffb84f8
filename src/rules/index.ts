/**
 * The rule catalogue (docs/rules-catalogue.md): every implemented rule, and running them over a trace.
 *
 * Not implemented, and why:
 * - IDN-01..08: STIR/SHAKEN Identity, left for its own issue.
 * - TMR-15: the timer defaults themselves; they are RuleContext (t1, t2, t4) that TMR-01..14 scale by.
 * - PRX-10: needs the URI schemes an element supports, which a capture does not show.
 * - PRX-11: needs the option tags an element supports; the 420 it must send is checked by UAS-05.
 * - OB-05, OB-06, OB-07: CRLF and STUN keep-alives are not SIP messages, so the trace does not carry them
 *   (the capture layer drops them before parsing).
 */
import type { Trace } from '../trace/trace.js';
import { CANCEL_RULES } from './cancel.js';
import { timesTrusted } from './common.js';
import { DIALOG_RULES } from './dialog.js';
import { EVENT_RULES } from './events.js';
import { MESSAGE_PUBLISH_RULES } from './message-publish.js';
import { PRACK_RULES } from './prack.js';
import { PROXY_RULES } from './proxy.js';
import { REFER_RULES } from './refer.js';
import { REGISTRATION_RULES } from './registration.js';
import { SDP_RULES } from './sdp.js';
import { SESSION_TIMER_RULES } from './session-timers.js';
import { SYNTAX_RULES } from './syntax.js';
import { TIMER_RULES } from './timers.js';
import { DEFAULT_CONTEXT, type Finding, type Rule, type RuleContext } from './types.js';
import { UAC_RULES } from './uac.js';
import { UAS_RULES } from './uas.js';

/** Rules that measure time or wait for something "within" a delay: meaningless on a capture with broken clocks. */
const TIMED = new Set(['DLG-09', 'DLG-10', 'DLG-12', 'DLG-15', 'CAN-06', 'CAN-08', 'REL-05', 'REL-08', 'REL-13', 'SES-10', 'SES-11', 'REF-04', 'EVT-04', 'EVT-07', 'UAS-15', 'RPL-05', 'PRX-05', 'PRX-07', 'PRX-17']);

function guarded(r: Rule): Rule {
  if (!r.id.startsWith('TMR-') && !TIMED.has(r.id)) return r;
  return { ...r, check: (trace, ctx) => (timesTrusted(trace) ? r.check(trace, ctx) : []) };
}

export const ALL_RULES: Rule[] = [
  ...SYNTAX_RULES, ...UAC_RULES, ...UAS_RULES, ...DIALOG_RULES, ...CANCEL_RULES, ...TIMER_RULES, ...PROXY_RULES,
  ...REGISTRATION_RULES, ...PRACK_RULES, ...SESSION_TIMER_RULES, ...REFER_RULES, ...EVENT_RULES, ...MESSAGE_PUBLISH_RULES, ...SDP_RULES,
].map(guarded);

export interface RunRulesOptions {
  /** Rule ids (or prefixes such as "REL-") to run; all when absent. */
  only?: string[];
  context?: Partial<RuleContext>;
}

export function runRules(trace: Trace, options: RunRulesOptions = {}): Finding[] {
  const ctx = { ...DEFAULT_CONTEXT, ...options.context };
  const rules = options.only ? ALL_RULES.filter((r) => options.only!.some((o) => r.id === o || (o.endsWith('-') && r.id.startsWith(o)))) : ALL_RULES;
  const out: Finding[] = [];
  for (const r of rules) {
    try {
      // A loop, not push(...found): a rule with a finding on each of 150,000 messages would overflow the
      // call stack, and all of its findings would be lost to one "could not be evaluated".
      for (const f of r.check(trace, ctx)) out.push(f);
    } catch (e) {
      // A rule crashing on odd input must not hide the other findings; it is reported as a finding itself.
      out.push({ rule: r.id, level: 'SHOULD', rfc: r.rfc, message: `rule could not be evaluated: ${(e as Error).message}`, messages: [] });
    }
  }
  return out.sort((a, b) => (a.messages[0] ?? -1) - (b.messages[0] ?? -1));
}

export type { Finding, Rule, RuleContext };
