/** Notes, for the test that reads them, which target served a test and in which worker. */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../../../src/lab/fixture.js';

export function noteTarget(lab: Lab, block: string): void {
  const note = { block, worker: process.env.JEST_WORKER_ID, pid: process.pid, target: lab.target.hostPort, startedAt: lab.target.startedAt };
  appendFileSync(join(lab.env.reportDir, 'targets.jsonl'), JSON.stringify(note) + '\n');
}
