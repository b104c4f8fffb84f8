/**
 * A running baresip however it runs: a native process group or a container. The started driver needs its
 * output, whether it runs, and a way to stop it; everything else goes over ctrl_tcp.
 */
import type { ContainerProcess } from '../../src/runtime/container.js';
import type { NativeProcess } from '../../src/runtime/native.js';

export interface BaresipProcess {
  readonly runtime: 'native' | 'container';
  readonly running: boolean;
  output(): string;
  /** `graceful`: SIGTERM and a grace (it unregisters, hangs up); else killed at once, saying nothing more. */
  stop(graceful?: boolean): Promise<void>;
}

/**
 * On SIGTERM baresip unregisters its account before it exits; against a registrar that answers, that takes
 * milliseconds, and the grace bounds it when the registrar is gone.
 */
const GRACE_MS = 2000;

export function nativeBaresip(proc: NativeProcess): BaresipProcess {
  return {
    runtime: 'native',
    get running() {
      return proc.running;
    },
    output: () => proc.output(),
    stop: async (graceful = true) => {
      await proc.stop(graceful ? 'SIGTERM' : 'SIGKILL', graceful ? GRACE_MS : 0);
    },
  };
}

export function containerBaresip(c: ContainerProcess): BaresipProcess {
  return {
    runtime: 'container',
    get running() {
      return c.running;
    },
    output: () => c.output(),
    stop: (graceful = true) => c.stop(graceful ? GRACE_MS : 0),
  };
}
