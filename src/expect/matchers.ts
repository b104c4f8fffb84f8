/**
 * jest matchers on traces and their messages. Each failure message says what was expected, what the wire
 * showed, and prints the text ladder with the offending message marked.
 */
import { finalResponse } from '../trace/transactions.js';
import { Trace, type MessageQuery, type TraceMessage } from '../trace/trace.js';
import { failureLadder, rememberTrace, traceOf } from './failure-ladder.js';
import { matchFlow, parseStep, type FlowOptions, type FlowStepInput } from './flow.js';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function isTrace(x: unknown): x is Trace {
  return x instanceof Trace;
}

function isTraceMessage(x: unknown): x is TraceMessage {
  return typeof x === 'object' && x !== null && 'message' in x && 'index' in x && 'from' in x;
}

function ladderFor(m: TraceMessage, note: string): string {
  const t = traceOf(m);
  return t ? failureLadder(t, m, note) : `\n\n${m.message.toBuffer().toString('utf8')}`;
}

export function toHaveFlow(received: unknown, steps: FlowStepInput[], opts: FlowOptions = {}): MatcherResult {
  if (!isTrace(received)) return { pass: false, message: () => 'toHaveFlow expects a Trace (from lab.trace())' };
  rememberTrace(received);
  const parsed = steps.map(parseStep);
  const r = matchFlow(received, parsed, opts);
  return {
    pass: r.pass,
    message: () =>
      r.pass
        ? `expected the trace not to have this flow, but it does${failureLadder(received)}`
        : `flow mismatch: ${r.reason}\n\nexpected:\n${steps.map((s, i) => `  ${i + 1}. ${typeof s === 'string' ? s : JSON.stringify(s)}`).join('\n')}${failureLadder(received, r.offending, r.reason)}`,
  };
}

export function toHaveMessage(received: unknown, query: MessageQuery): MatcherResult {
  if (!isTrace(received)) return { pass: false, message: () => 'toHaveMessage expects a Trace (from lab.trace())' };
  rememberTrace(received);
  const found = received.find(query);
  const q = JSON.stringify({ ...query, after: query.after?.index, before: query.before?.index, where: query.where ? '(fn)' : undefined });
  return {
    pass: found.length > 0,
    message: () =>
      found.length > 0
        ? `expected no message matching ${q}, found #${found[0].index}${failureLadder(received, found[0], 'unexpected')}`
        : `expected a message matching ${q}, found none${failureLadder(received)}`,
  };
}

type HeaderExpectation = string | number | RegExp | undefined;

export function toHaveHeader(received: unknown, name: string, expected?: HeaderExpectation): MatcherResult {
  if (!isTraceMessage(received)) return { pass: false, message: () => `toHaveHeader expects a trace message, got ${typeof received}` };
  const values = received.message.getAll(name);
  const ok = (v: string) =>
    expected === undefined ? true : expected instanceof RegExp ? expected.test(v) : v.trim() === String(expected);
  const pass = values.some(ok);
  const want = expected === undefined ? `a ${name} header` : `${name}: ${String(expected)}`;
  return {
    pass,
    message: () =>
      pass
        ? `expected #${received.index} (${received.label}) not to have ${want}${ladderFor(received, `has ${name}`)}`
        : `expected #${received.index} (${received.label}) to have ${want}, ${values.length ? `it has ${values.map((v) => `${name}: ${v}`).join(', ')}` : `it has no ${name} header`}${ladderFor(received, `no ${want}`)}`,
  };
}

/** The request's transaction ends with this final status (exact, or a class such as "2xx"). */
export function toBeAnsweredWith(received: unknown, status: number | string): MatcherResult {
  if (!isTraceMessage(received) || received.method === undefined) {
    return { pass: false, message: () => 'toBeAnsweredWith expects a request from a trace' };
  }
  const tx = received.transaction;
  const final = tx ? finalResponse(tx) : undefined;
  const matches = (s: number) => (typeof status === 'number' ? s === status : String(s)[0] === String(status)[0]);
  const pass = final?.status !== undefined && matches(final.status);
  return {
    pass,
    message: () =>
      pass
        ? `expected #${received.index} ${received.method} not to be answered ${status}, but it was${ladderFor(final!, String(status))}`
        : `expected #${received.index} ${received.method} to be answered ${status}, ${final ? `it got ${final.label} (#${final.index})` : 'it got no final response'}${ladderFor(final ?? received, final ? `want ${status}` : 'unanswered')}`,
  };
}

export const sipMatchers = { toHaveFlow, toHaveMessage, toHaveHeader, toBeAnsweredWith };
