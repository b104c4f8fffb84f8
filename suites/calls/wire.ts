/**
 * Waiting for something to happen on the wire, mid-test: the test's capture file is written packet by packet
 * (tcpdump -U), so it can be read while it grows (a last packet cut short is only a finding of the reader).
 * This is for pacing a test (act once a message has arrived), never for its verdict, which comes from lab.trace().
 */
import { readFileSync } from 'node:fs';
import { extractSip } from '../../src/capture/extract.js';
import type { Lab } from '../../src/lab/fixture.js';
import { Trace } from '../../src/trace/trace.js';

/** Resolves true once `seen` holds for the capture so far, false when `timeoutMs` pass first. */
export async function onWireWithin(lab: Lab, seen: (trace: Trace) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const trace = Trace.fromCapture(extractSip(readFileSync(lab.run.pcap)), { parties: lab.partyNames() });
    if (seen(trace)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
