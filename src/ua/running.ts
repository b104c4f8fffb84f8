/** A user agent running in the background (an answering phone, a subscriber): wait for it, settle it, stop it. */
import type { SippResult, StartedSipp } from '../../drivers/sipp/index.js';
import type { AnySipMessage } from '../sip/message.js';
import { receivedMessages } from './received.js';

export class RunningUa {
  constructor(readonly name: string, private readonly sipp: StartedSipp, private readonly t1Ms: number) {}

  /** Resolves when its scenario is over (or its timeout hit). */
  done(): Promise<SippResult> {
    return this.sipp.wait();
  }

  /**
   * Once the other side is done: a few T1 for the last messages to arrive, then it is stopped. When the call
   * went wrong (a BYE that never reached it), this keeps the test to seconds instead of SIPp's whole timeout;
   * the trace shows what happened either way.
   */
  async settle(): Promise<SippResult> {
    const graceMs = Math.max(1000, 8 * this.t1Ms);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    const outcome = await Promise.race([this.sipp.wait().then(() => 'done' as const), late]);
    clearTimeout(timer);
    return outcome === 'late' ? this.sipp.stop() : this.sipp.wait();
  }

  stop(): Promise<SippResult> {
    return this.sipp.stop();
  }

  /** Killed outright (SIGKILL), as a phone that crashes: no BYE, its socket gone. */
  crash(): Promise<SippResult> {
    return this.sipp.crash();
  }

  /** The requests and responses it has received so far, in order (from its SIPp's message log). */
  received(): AnySipMessage[] {
    return receivedMessages(this.sipp.files.messages);
  }

  /**
   * The first message it has received that `match` takes, once it has come (polled from its message log), or
   * undefined after `timeoutMs`: for a test that must act once the far end has answered or rung.
   */
  async receivedOne(match: (m: AnySipMessage) => boolean, timeoutMs = 5000): Promise<AnySipMessage | undefined> {
    for (const until = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 50))) {
      const found = this.received().find(match);
      if (found || Date.now() >= until) return found;
    }
  }
}
