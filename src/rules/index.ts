/** The rule catalogue: every implemented rule, and running them over a trace. */
import type { Trace } from '../trace/trace.js';
import { SYNTAX_RULES } from './syntax.js';
import { DEFAULT_CONTEXT, type Finding, type Rule, type RuleContext } from './types.js';

export const ALL_RULES: Rule[] = [...SYNTAX_RULES];

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
      out.push(...r.check(trace, ctx));
    } catch (e) {
      // A rule crashing on odd input must not hide the other findings; it is reported as a finding itself.
      out.push({ rule: r.id, level: 'SHOULD', rfc: r.rfc, message: `rule could not be evaluated: ${(e as Error).message}`, messages: [] });
    }
  }
  return out.sort((a, b) => (a.messages[0] ?? -1) - (b.messages[0] ?? -1));
}

export type { Finding, Rule, RuleContext };
