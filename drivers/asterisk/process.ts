/**
 * A running Asterisk however it runs: a native process group or a container. The started driver needs its
 * output, whether it runs, a way to stop it, and `asterisk -rx` against its control socket.
 */
import type { ContainerProcess } from '../../src/runtime/container.js';
import { runToEnd, type NativeProcess } from '../../src/runtime/native.js';

export interface AsteriskProcess {
  readonly runtime: 'native' | 'container';
  readonly running: boolean;
  output(): string;
  stop(): Promise<void>;
  /** `asterisk -rx command` against this Asterisk; resolves to what it printed. */
  rx(command: string): Promise<string>;
}

export function nativeAsterisk(proc: NativeProcess, asteriskConf: string): AsteriskProcess {
  return {
    runtime: 'native',
    get running() {
      return proc.running;
    },
    output: () => proc.output(),
    stop: async () => {
      await proc.stop('SIGTERM', 5000);
    },
    rx: async (command) => {
      const r = await runToEnd('asterisk', ['-C', asteriskConf, '-rx', command], 10_000);
      if (r.code !== 0) throw new Error(`asterisk -rx '${command}' failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
      return r.stdout;
    },
  };
}

/** `asterisk -rx` runs inside the container: the host has no Asterisk (that is why it is in a container). */
export function containerAsterisk(c: ContainerProcess, asteriskConf: string): AsteriskProcess {
  return {
    runtime: 'container',
    get running() {
      return c.running;
    },
    output: () => c.output(),
    stop: () => c.stop(5000),
    rx: async (command) => {
      const r = await c.exec(['asterisk', '-C', asteriskConf, '-rx', command]);
      if (r.exitCode !== 0) throw new Error(`asterisk -rx '${command}' in ${c.name} failed (exit ${r.exitCode}): ${r.output.trim()}`);
      return r.output;
    },
  };
}
