/**
 * Running the builder's commands: each step's output goes to the build log (a first build takes minutes and
 * prints thousands of apt lines nobody reads unless it fails), the console gets one line per step with its
 * elapsed time, plus a "still running" line every 20 s so a long step does not look hung.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';

export class BuildError extends Error {}

const running = new Set<ChildProcess>();

/**
 * SIGKILLs the commands still running (on Ctrl-C): dpkg outlives a SIGINT for a while, and a rootfs cannot be
 * removed while it is still writing into it.
 */
export function killRunningSteps(): void {
  for (const c of running) c.kill('SIGKILL');
}

function track<C extends ChildProcess>(c: C): C {
  running.add(c);
  c.once('close', () => running.delete(c));
  return c;
}

export interface StepContext {
  /** Prefix of progress lines, e.g. "asterisk". */
  label: string;
  logFile: string;
  log: (s: string) => void;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function logTail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Runs one step with a progress line at its start and its end. */
export async function step<T>(ctx: StepContext, what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  ctx.log(`[${ctx.label}] ${what}…`);
  appendFileSync(ctx.logFile, `\n=== ${what}\n`);
  const beat = setInterval(() => ctx.log(`[${ctx.label}]   still ${what} (${seconds(Date.now() - t0)})`), 20_000);
  try {
    const r = await fn();
    ctx.log(`[${ctx.label}] ${what}: done in ${seconds(Date.now() - t0)}`);
    return r;
  } finally {
    clearInterval(beat);
  }
}

/** Runs a command with its output appended to the build log; rejects with the log's tail on failure. */
export function run(ctx: StepContext, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    appendFileSync(ctx.logFile, `$ ${command} ${args.join(' ')}\n`);
    const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));
    const write = (d: Buffer) => appendFileSync(ctx.logFile, d);
    child.stdout.on('data', write);
    child.stderr.on('data', write);
    child.on('error', (e) => reject(new BuildError(`${command}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new BuildError(`${command} ${args.slice(0, 6).join(' ')}… failed (${signal ?? `exit ${code}`}); log ${ctx.logFile}:\n${logTail(ctx.logFile)}`));
    });
  });
}

/** `producer | consumer`, both checked (a shell pipeline would only report the consumer's status). */
export function pipe(ctx: StepContext, producer: [string, string[]], consumer: [string, string[]]): Promise<string> {
  return new Promise((resolve, reject) => {
    appendFileSync(ctx.logFile, `$ ${producer.flat().join(' ')} | ${consumer.flat().join(' ')}\n`);
    const a = track(spawn(producer[0], producer[1], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const b = track(spawn(consumer[0], consumer[1], { stdio: ['pipe', 'pipe', 'pipe'] }));
    a.stdout.pipe(b.stdin);
    let out = '';
    a.stderr.on('data', (d: Buffer) => appendFileSync(ctx.logFile, d));
    b.stderr.on('data', (d: Buffer) => appendFileSync(ctx.logFile, d));
    b.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const codes: Array<number | null> = [];
    let failed = false;
    const done = (who: string, code: number | null) => {
      codes.push(code);
      if (code !== 0 && !failed) {
        failed = true;
        a.kill('SIGKILL');
        reject(new BuildError(`${who} failed (exit ${code}); log ${ctx.logFile}:\n${logTail(ctx.logFile)}`));
      }
      if (codes.length === 2 && !failed) resolve(out.trim());
    };
    a.on('error', (e) => reject(new BuildError(`${producer[0]}: ${e.message}`)));
    b.on('error', (e) => reject(new BuildError(`${consumer[0]}: ${e.message}`)));
    a.on('close', (c) => done(producer[0], c));
    b.on('close', (c) => done(consumer[0], c));
  });
}
