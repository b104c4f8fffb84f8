/**
 * A stand-in suite for test/lab/background.test.ts: one background test that goes on registering for a few
 * seconds, and two ordinary tests that register meanwhile. Named *.fixture.ts so the project's own jest
 * run never collects it.
 */
import { expect } from '@jest/globals';
import { describeLab, type Lab } from '../../../../src/lab/fixture.js';

/** How long the background test goes on registering (set by test/lab/background.test.ts). */
const WAIT_MS = Number(process.env.BACKGROUND_WAIT_MS ?? 4000);

async function register(lab: Lab, party: string): Promise<void> {
  await lab.ua(party, lab.account(0)).register({ expires: 60, contact: { user: party } });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeLab('background', { roles: ['registrar'] }, (lab) => {
  // Written first: jest must still run the others meanwhile. It keeps registering throughout its wait, so an
  // ordinary test's capture would catch some of its REGISTERs if it did not leave the background block out.
  lab.test('waits in the background', { background: true, timeoutMs: 30_000 }, async (lab) => {
    const until = Date.now() + WAIT_MS;
    do {
      await register(lab, 'slow');
      await pause(300);
    } while (Date.now() < until);
    expect((await lab.trace()).find({ method: 'REGISTER', from: 'slow' }).length).toBeGreaterThanOrEqual(2);
  });

  for (const title of ['registers meanwhile', 'registers meanwhile too']) {
    lab.test(title, async () => {
      await register(lab, 'quick');
      // Capturing a while longer, as the background test goes on registering.
      await pause(800);
      expect((await lab.trace()).find({ method: 'REGISTER', from: 'quick' }).length).toBeGreaterThanOrEqual(1);
    });
  }
});
