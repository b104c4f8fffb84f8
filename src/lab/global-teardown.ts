/**
 * jest's global teardown for the suites. Run in band (one test file, or --workers 1), the tests ran in jest's
 * own process, where the environment module holds the store: its targets are stopped here, or jest would wait
 * forever on their open pipes. With worker processes the store here is empty, and each worker's exit handler
 * (jest-environment.ts) takes its own down.
 */
import { store } from './jest-environment.js';

export default async function globalTeardown(): Promise<void> {
  await store.stopAll();
}
