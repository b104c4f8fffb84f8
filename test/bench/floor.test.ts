/**
 * The floor (bench/floor.ts) bounds the bench ratio only if it does the same reading as `analyze --json`:
 * the same message list, and the same transactions and dialogs found.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchCapture } from '../../bench/make-capture.js';
import { writeFloorJson } from '../../bench/floor.js';
import { analyzeCapture, toJsonText } from '../../src/cli/analyze.js';

test('the floor lists the messages of analyze --json and finds as many transactions and dialogs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipwright-floor-'));
  try {
    const file = join(dir, 'bench.pcap');
    writeBenchCapture(file, 4000);
    const chunks: string[] = [];
    const groups = writeFloorJson(file, (s) => chunks.push(s));
    const floor = JSON.parse(chunks.join('')) as { messages: unknown[] };
    const { trace, findings, capture } = analyzeCapture(file);
    const ours = JSON.parse(toJsonText(file, trace, findings, capture)) as { messages: unknown[] };
    expect(floor.messages.length).toBeGreaterThanOrEqual(4000);
    expect(floor.messages).toEqual(ours.messages);
    expect(groups).toEqual({ transactions: trace.transactions.length, dialogs: trace.dialogs.length });
    // The capture has calls over TCP too, so the floor reads more than datagrams.
    expect(new Set(floor.messages.map((m) => (m as { transport: string }).transport))).toEqual(new Set(['udp', 'tcp']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
