/**
 * Over TCP, a party's SIPp binds its connections to the party's SIP port, so two tests in a row would open
 * connections between the same addresses and ports. PJSIP (Asterisk 22) keys its connections by the far end's
 * address, and the idle timer of the old one can shut the new one down: seen as "Shutting down transport 'TCP
 * to 127.100.2.12:5060' since no request was received in 6 seconds", 50 ms after the new connect, and a call
 * that never started. So over TCP each test gives a party the set of ports (an epoch) it used least recently.
 */
export class PortEpochs {
  private readonly lastUse = new Map<string, number[]>();

  /** The epoch (0 … max-1) for the next test of `key` (a party): one never used, else the least recently used. */
  pick(key: string, max: number, now = Date.now()): number {
    const uses = this.lastUse.get(key) ?? [];
    const epoch = uses.length < max ? uses.length : uses.indexOf(Math.min(...uses));
    uses[epoch] = now;
    this.lastUse.set(key, uses);
    return epoch;
  }
}
