/**
 * A running Kamailio however it runs: a native process group or a container. The started driver only needs
 * its output, whether it runs, a way to stop it and a way to reach its ctl socket (kamcmd).
 */
import type { ContainerProcess } from '../../src/runtime/container.js';
import type { NativeProcess } from '../../src/runtime/native.js';
import { kamcmd } from './kamcmd.js';

export interface KamailioProcess {
  readonly runtime: 'native' | 'container';
  readonly running: boolean;
  /** The native process group's leader (undefined in a container). */
  readonly pid?: number;
  output(): string;
  stop(): Promise<void>;
  /** kamcmd with these arguments against this Kamailio's ctl socket; resolves to its stdout. */
  ctl(args: string[]): Promise<string>;
}

export function nativeKamailio(proc: NativeProcess, ctlSocket: string): KamailioProcess {
  return {
    runtime: 'native',
    pid: proc.pid,
    get running() {
      return proc.running;
    },
    output: () => proc.output(),
    stop: async () => {
      await proc.stop('SIGTERM', 3000);
    },
    ctl: (args) => kamcmd(ctlSocket, args),
  };
}

/** kamcmd runs inside the container: the host may have no Kamailio at all (that is why it is in a container). */
export function containerKamailio(c: ContainerProcess, ctlSocketInside: string): KamailioProcess {
  return {
    runtime: 'container',
    get running() {
      return c.running;
    },
    output: () => c.output(),
    stop: () => c.stop(3000),
    ctl: async (args) => {
      const r = await c.exec(['kamcmd', '-s', `unix:${ctlSocketInside}`, ...args]);
      if (r.exitCode !== 0) throw new Error(`kamcmd ${args.join(' ')} in ${c.name} failed (exit ${r.exitCode}): ${r.output.trim()}`);
      return r.output;
    },
  };
}
