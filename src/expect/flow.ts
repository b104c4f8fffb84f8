/**
 * Flow steps: "alice -> registrar REGISTER", "registrar -> alice 401", or the same as objects. Matching is
 * against the trace's messages in wire order with retransmissions left out (they are tolerated, not required).
 */
import type { Trace, TraceMessage } from '../trace/trace.js';

export interface FlowStep {
  from?: string;
  to?: string;
  /** A request method. */
  method?: string;
  /** A response: exact code or class ("2xx"). */
  status?: number | string;
}

export type FlowStepInput = FlowStep | string;

const STEP_RE = /^\s*(?:(\S+)\s*->\s*(\S+?):?\s+)?(\S+)\s*$/;

export function parseStep(s: FlowStepInput): FlowStep {
  if (typeof s !== 'string') return s;
  const m = STEP_RE.exec(s);
  if (!m) throw new Error(`flow step "${s}": expected "from -> to METHOD|STATUS", e.g. "alice -> registrar REGISTER"`);
  const [, from, to, what] = m;
  const step: FlowStep = {};
  if (from) step.from = from;
  if (to) step.to = to;
  if (/^\d{3}$/.test(what)) step.status = Number(what);
  else if (/^[1-6]xx$/i.test(what)) step.status = what.toLowerCase();
  else step.method = what.toUpperCase();
  return step;
}

export function stepText(s: FlowStep): string {
  const who = s.from || s.to ? `${s.from ?? '*'} -> ${s.to ?? '*'} ` : '';
  return `${who}${s.method ?? String(s.status ?? '*')}`;
}

export function messageStepText(m: TraceMessage): string {
  return `${m.from} -> ${m.to} ${m.method ?? String(m.status)}`;
}

export function stepMatches(step: FlowStep, m: TraceMessage): boolean {
  if (step.from !== undefined && step.from !== m.from) return false;
  if (step.to !== undefined && step.to !== m.to) return false;
  if (step.method !== undefined && m.method?.toUpperCase() !== step.method.toUpperCase()) return false;
  if (step.status !== undefined) {
    if (m.status === undefined) return false;
    if (typeof step.status === 'number' ? m.status !== step.status : String(m.status)[0] !== step.status[0]) return false;
  }
  return true;
}

export interface FlowOptions {
  /** Let other messages appear between the steps (default: the steps are the whole flow). */
  subsequence?: boolean;
  /** Only messages between these parties count (e.g. to ignore a second call in the same capture). */
  parties?: string[];
}

export interface FlowResult {
  pass: boolean;
  /** Index into the considered messages where matching failed (or -1). */
  mismatchAt: number;
  /** The message that broke the flow, if one did. */
  offending?: TraceMessage;
  considered: TraceMessage[];
  reason: string;
}

export function matchFlow(trace: Trace, steps: FlowStep[], opts: FlowOptions = {}): FlowResult {
  const considered = trace.messages.filter((m) => !m.retransmission && (!opts.parties || (opts.parties.includes(m.from) && opts.parties.includes(m.to))));
  if (opts.subsequence) {
    let i = 0;
    for (let s = 0; s < steps.length; s++) {
      while (i < considered.length && !stepMatches(steps[s], considered[i])) i++;
      if (i >= considered.length) {
        return { pass: false, mismatchAt: s, considered, reason: `step ${s + 1} (${stepText(steps[s])}) never appears${s > 0 ? ` after step ${s}` : ''}` };
      }
      i++;
    }
    return { pass: true, mismatchAt: -1, considered, reason: '' };
  }
  for (let s = 0; s < Math.max(steps.length, considered.length); s++) {
    const step = steps[s];
    const m = considered[s];
    if (!step) return { pass: false, mismatchAt: s, offending: m, considered, reason: `unexpected message ${s + 1} after the flow ended: ${messageStepText(m)}` };
    if (!m) return { pass: false, mismatchAt: s, considered, reason: `step ${s + 1} (${stepText(step)}) is missing: the trace ends after ${considered.length} messages` };
    if (!stepMatches(step, m)) return { pass: false, mismatchAt: s, offending: m, considered, reason: `step ${s + 1}: expected ${stepText(step)}, got ${messageStepText(m)}` };
  }
  return { pass: true, mismatchAt: -1, considered, reason: '' };
}
