/**
 * The jest environment of the suites: allure-jest's node environment, plus the worker's store (worker-store.ts)
 * handed to every test file as a global. Jest loads this module once per worker process, so the store outlives
 * the files; jest gives test code a sandboxed `process` whose exit listeners never fire, so the worker's own
 * exit is watched from here, where `process` is the real one.
 *
 * Loaded by jest untransformed: the suites' config names the compiled dist/src/lab/jest-environment.js.
 */
import { createRequire } from 'node:module';
import type { TestEnvironment } from 'jest-environment-node';
import { removeOwnedDetached } from '../runtime/container.js';
import { yieldToEndpoints } from '../runtime/priority.js';
import { killOwnedSync } from '../runtime/process-registry.js';
import { runtimeSkipReason } from './runtime-skip.js';
import { WORKER_STORE_GLOBAL, WorkerStore } from './worker-store.js';

export const store = new WorkerStore();
// Before any test file's sandbox copies the environment variables: the endpoints they spawn read them.
yieldToEndpoints();
let exitWatched = false;

/** Whatever the worker started and still holds goes with it: synchronous, for exit and signal handlers. */
function takeDownSync(): void {
  killOwnedSync();
  removeOwnedDetached();
  store.releaseSync();
}

/**
 * A jest worker is told to end by a message, after which it drops its message listeners and waits for its
 * event loop to drain, which the targets' processes never let happen: jest then kills it (SIGTERM, SIGKILL)
 * and warns about leaking tests. So the worker ends itself as soon as its last message listener goes. Run in
 * band there is no such message: the global teardown stops the store, and the exit handler is the backstop.
 */
function watchEnd(): void {
  if (exitWatched) return;
  exitWatched = true;
  process.on('exit', takeDownSync);
  if (typeof process.send === 'function') {
    process.on('removeListener', (event) => {
      if (event !== 'message' || process.listenerCount('message') > 0) return;
      takeDownSync();
      process.exit(0);
    });
  }
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      takeDownSync();
      process.kill(process.pid, signal);
    });
  }
}

// allure-jest's CommonJS build, as jest itself would load it: its ESM build imports jest-environment-node's
// default export, which Node hands an ES module as the whole CommonJS exports object, not the class.
type NodeEnvironment = typeof TestEnvironment;
const allureCjs = createRequire(import.meta.url)('allure-jest/node') as NodeEnvironment & { default?: NodeEnvironment };
const AllureNodeEnvironment = allureCjs.default ?? allureCjs;
type EnvironmentArgs = ConstructorParameters<NodeEnvironment>;

/** What of jest-circus's test and of allure-jest's environment a runtime skip touches. */
interface CircusTest { errors: unknown[]; status?: string | null }
interface AllureParts {
  runtime?: { updateTest(uuid: string, update: (r: { status?: string; statusDetails?: { message?: string; trace?: string } }) => void): void };
  runContext?: { executables: string[] };
}

export default class LabEnvironment extends AllureNodeEnvironment {
  constructor(...args: EnvironmentArgs) {
    super(...args);
    watchEnd();
    (this.global as Record<string, unknown>)[WORKER_STORE_GLOBAL] = store;
  }

  /**
   * A test whose only errors are runtime skips (runtime-skip.ts) ends skipped. allure-jest wraps this handler
   * and runs its own after it: at test_done its result is still open, so it is made skipped here, and jest's
   * test loses its errors and becomes a skip before jest-circus turns it into a result.
   */
  handleTestEvent(event: { name: string; test?: CircusTest }): void {
    if (event.name !== 'test_done' || !event.test) return;
    const reason = runtimeSkipReason(event.test.errors);
    if (reason === undefined) return;
    const allure = this as unknown as AllureParts;
    const uuid = allure.runContext?.executables.at(-1);
    if (uuid) {
      allure.runtime?.updateTest(uuid, (r) => {
        r.status = 'skipped';
        r.statusDetails = { message: `skipped: ${reason}` };
      });
    }
    event.test.errors = [];
    event.test.status = 'skip';
  }
}
