/**
 * A stand-in suite for test/lab/worker-targets.test.ts: two describeLab blocks whose tests register and note
 * which target served them (its address and when it was started) and in which worker. Named *.fixture.ts so
 * the project's own jest run never collects it.
 */
import { describeLab } from '../../../../src/lab/fixture.js';
import { noteTarget } from './note.js';

for (const block of ['first file, block one', 'first file, block two']) {
  describeLab(block, { roles: ['registrar'] }, (lab) => {
    lab.test('registers', async () => {
      await lab.ua('alice', lab.account(0)).register({ expires: 60 });
      noteTarget(lab, block);
    });
  });
}
