/**
 * SIPp `<action>` children of recv and nop: typed, one object per action, `{ ereg: {...} }` style so that a
 * list of actions reads like the XML it becomes.
 */
import { attrs, checkName, ScenarioError, type AttrValue } from './xml.js';

export interface EregAction {
  regexp: string;
  /** `msg` (whole message), `hdr` (one header, named by `header`), `body`, or `var` (a variable). */
  search_in?: 'msg' | 'hdr' | 'body' | 'var';
  /** With search_in hdr: the header name with its colon, e.g. `Contact:`. */
  header?: string;
  /** With search_in var. */
  variable?: string;
  /** First name gets the whole match, the next ones the groups. */
  assign_to: string | string[];
  /** Fail the call when the regexp does not match (the header is missing, or the value is wrong). */
  check_it?: boolean;
  /** Fail the call when it does match. */
  check_it_inverse?: boolean;
  case_indep?: boolean;
  occurrence?: number;
  start_line?: boolean;
}

export type Compare = 'equal' | 'not_equal' | 'greater_than' | 'less_than' | 'greater_than_equal' | 'less_than_equal';

export type Action =
  | { ereg: EregAction }
  /** Numeric assignment (SIPp variables assigned this way are doubles). */
  | { assign: { assign_to: string; value: number } }
  | { assignstr: { assign_to: string; value: string } }
  | { add: { assign_to: string; value: number } }
  | { subtract: { assign_to: string; value: number } }
  | { multiply: { assign_to: string; value: number } }
  | { divide: { assign_to: string; value: number } }
  /** Sets the boolean `assign_to` from a numeric comparison; use it with `test` on a message to branch. */
  | { test: { assign_to: string; variable: string; compare: Compare; value?: number; variable2?: string } }
  /** String comparison: `assign_to` is 0 when equal (strcmp semantics). */
  | { strcmp: { assign_to: string; variable: string; value?: string; variable2?: string } }
  | { log: { message: string } }
  | { warning: { message: string } }
  | { error: { message: string } }
  | { exec: { int_cmd: 'stop_call' | 'stop_gracefully' | 'stop_now' } }
  | { exec: { command: string } }
  | { gettimeofday: { assign_to: string } }
  | { todouble: { assign_to: string; variable: string } }
  | { setdest: { host: string; port: number | string; protocol: 'udp' | 'tcp' } };

/** Variables an action assigns (so the scenario can declare them used) and reads (so it can check they exist). */
export function assignedBy(a: Action): string[] {
  const body = Object.values(a)[0] as { assign_to?: string | string[] };
  if (body.assign_to === undefined) return [];
  return (Array.isArray(body.assign_to) ? body.assign_to : body.assign_to.split(',')).map((v) => v.trim());
}

export function readBy(a: Action): string[] {
  const body = Object.values(a)[0] as { variable?: string; variable2?: string };
  return [body.variable, body.variable2].filter((v): v is string => v !== undefined);
}

function names(kind: string, v: string | string[]): string {
  const list = Array.isArray(v) ? v : v.split(',');
  if (!list.length) throw new ScenarioError(`${kind} needs at least one variable`);
  return list.map((n) => checkName(kind, n.trim())).join(',');
}

function element(tag: string, list: Array<[string, AttrValue]>, freeText: readonly string[] = []): string {
  return `<${tag}${attrs(list, freeText)} />`;
}

export function renderAction(a: Action): string {
  const tag = Object.keys(a)[0];
  if ('ereg' in a) {
    const e = a.ereg;
    if (e.search_in === 'hdr' && !e.header) throw new ScenarioError('ereg with search_in "hdr" needs a header (e.g. "Contact:")');
    if (e.search_in === 'var' && !e.variable) throw new ScenarioError('ereg with search_in "var" needs a variable');
    return element(
      'ereg',
      [
        ['search_in', e.search_in ?? 'msg'],
        ['header', e.header],
        ['variable', e.variable === undefined ? undefined : checkName('variable', e.variable)],
        ['check_it', e.check_it],
        ['check_it_inverse', e.check_it_inverse],
        ['case_indep', e.case_indep],
        ['occurrence', e.occurrence],
        ['start_line', e.start_line],
        ['assign_to', names('ereg assign_to', e.assign_to)],
        ['regexp', e.regexp],
      ],
      ['regexp'],
    );
  }
  if ('assign' in a) return element('assign', [['assign_to', checkName('variable', a.assign.assign_to)], ['value', a.assign.value]]);
  if ('assignstr' in a) return element('assignstr', [['assign_to', checkName('variable', a.assignstr.assign_to)], ['value', a.assignstr.value]], ['value']);
  if ('add' in a || 'subtract' in a || 'multiply' in a || 'divide' in a) {
    const b = Object.values(a)[0] as { assign_to: string; value: number };
    return element(tag, [['assign_to', checkName('variable', b.assign_to)], ['value', b.value]]);
  }
  if ('test' in a) {
    const t = a.test;
    if ((t.value === undefined) === (t.variable2 === undefined)) throw new ScenarioError('test needs exactly one of value and variable2');
    return element('test', [
      ['assign_to', checkName('variable', t.assign_to)],
      ['variable', checkName('variable', t.variable)],
      ['compare', t.compare],
      ['value', t.value],
      ['variable2', t.variable2 === undefined ? undefined : checkName('variable', t.variable2)],
    ]);
  }
  if ('strcmp' in a) {
    const s = a.strcmp;
    if ((s.value === undefined) === (s.variable2 === undefined)) throw new ScenarioError('strcmp needs exactly one of value and variable2');
    return element(
      'strcmp',
      [
        ['assign_to', checkName('variable', s.assign_to)],
        ['variable', checkName('variable', s.variable)],
        ['variable2', s.variable2 === undefined ? undefined : checkName('variable', s.variable2)],
        ['value', s.value],
      ],
      ['value'],
    );
  }
  if ('log' in a) return element('log', [['message', a.log.message]], ['message']);
  if ('warning' in a) return element('warning', [['message', a.warning.message]], ['message']);
  if ('error' in a) return element('error', [['message', a.error.message]], ['message']);
  if ('exec' in a) {
    const x = a.exec;
    return 'int_cmd' in x ? element('exec', [['int_cmd', x.int_cmd]]) : element('exec', [['command', x.command]], ['command']);
  }
  if ('gettimeofday' in a) return element('gettimeofday', [['assign_to', names('gettimeofday assign_to', a.gettimeofday.assign_to)]]);
  if ('todouble' in a) {
    return element('todouble', [['assign_to', checkName('variable', a.todouble.assign_to)], ['variable', checkName('variable', a.todouble.variable)]]);
  }
  if ('setdest' in a) {
    return element('setdest', [['host', a.setdest.host], ['port', String(a.setdest.port)], ['protocol', a.setdest.protocol]]);
  }
  throw new ScenarioError(`unknown action ${tag}`);
}

export function renderActions(actions: readonly Action[] | undefined, indent: string): string {
  if (!actions?.length) return '';
  const inner = actions.map((a) => `${indent}  ${renderAction(a)}`).join('\n');
  return `${indent}<action>\n${inner}\n${indent}</action>\n`;
}
