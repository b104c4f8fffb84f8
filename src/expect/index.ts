/** Registers the SIP matchers with jest. Import once per test file (the lab fixture does it). */
import { expect } from '@jest/globals';
import type { MessageQuery } from '../trace/trace.js';
import type { FlowOptions, FlowStepInput } from './flow.js';
import { sipMatchers } from './matchers.js';

expect.extend(sipMatchers);

declare module 'expect' {
  interface Matchers<R> {
    toHaveFlow(steps: FlowStepInput[], opts?: FlowOptions): R;
    toHaveMessage(query: MessageQuery): R;
    toHaveHeader(name: string, expected?: string | number | RegExp): R;
    toBeAnsweredWith(status: number | string): R;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toHaveFlow(steps: FlowStepInput[], opts?: FlowOptions): R;
      toHaveMessage(query: MessageQuery): R;
      toHaveHeader(name: string, expected?: string | number | RegExp): R;
      toBeAnsweredWith(status: number | string): R;
    }
  }
}

export { matchFlow, parseStep, type FlowStep, type FlowOptions } from './flow.js';
export { rememberTrace, failureLadder } from './failure-ladder.js';
