/**
 * Headless Debian Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: the
 * browser reads commands on fd 3 and answers on fd 4, NUL-separated JSON). No WebSocket, no port, no
 * extra npm package: enough to load a page, run script in it and take a screenshot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep Chromium quiet on a closed network (see .library env notes) and sandbox-free as root. */
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--window-size=1400,1000',
];

interface Pending { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  private sessionId = '';
  private stderr = '';
  /** Sessions of out-of-process iframes (Chromium isolates sandboxed frames such as Allure's previews). */
  private readonly frameSessions = new Set<string>();

  private constructor(private readonly child: ChildProcess, private readonly profile: string) {
    const out = child.stdio[4] as Readable;
    out.on('data', (chunk: Buffer) => this.receive(chunk.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    child.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited during ${p.method}: ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** Starts the browser with a fresh profile and attaches to a blank page. */
  static async launch(): Promise<Chromium> {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's browser with \`apt-get install chromium\` (or set CHROMIUM_PATH)`);
    const profile = mkdtempSync(join(tmpdir(), 'sipwright-chromium-'));
    // Own process group, so close() can end the browser and every helper process it started, by id.
    const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const browser = new Chromium(child, profile);
    const started = new Promise<void>((ok, fail) => {
      child.once('error', fail);
      child.once('spawn', ok);
    });
    await started;
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' }, true) as { targetId: string };
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true }, true) as { sessionId: string };
    browser.sessionId = sessionId;
    await browser.send('Page.enable');
    await browser.send('Runtime.enable');
    // iframes in their own process are separate targets: attach to them as they appear
    await browser.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
    return browser;
  }

  /** Sends a command to the page (or, with browserLevel, to the browser) and waits for its answer. */
  send(method: string, params: Record<string, unknown> = {}, browserLevel = false): Promise<Record<string, unknown>> {
    return this.sendTo(browserLevel ? '' : this.sessionId, method, params);
  }

  /**
   * Evaluates an expression in each out-of-process iframe and returns the values, one per frame that
   * answered (a frame that went away in between is left out).
   */
  async evaluateInFrames<T>(expression: string): Promise<T[]> {
    const out: T[] = [];
    for (const s of this.frameSessions) {
      try {
        out.push(await this.evaluate<T>(expression, s));
      } catch {
        // detached frame
      }
    }
    return out;
  }

  private sendTo(sessionId: string, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message: Record<string, unknown> = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      (this.child.stdio[3] as Writable).write(JSON.stringify(message) + '\0');
    });
  }

  async navigate(url: string): Promise<void> {
    const r = await this.send('Page.navigate', { url });
    if (typeof r.errorText === 'string') throw new Error(`navigate ${url}: ${r.errorText}`);
  }

  /** Evaluates an expression in the page (promises awaited) and returns its JSON value. */
  async evaluate<T>(expression: string, sessionId = this.sessionId): Promise<T> {
    const r = await this.sendTo(sessionId, 'Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    const ex = r.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
    if (ex) throw new Error(`page script failed: ${ex.exception?.description ?? ex.text}`);
    return (r.result as { value: T }).value;
  }

  /** Polls an expression until it returns a truthy value; returns that value. */
  async waitFor<T>(expression: string, timeoutMs = 15_000, what = expression): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate<T>(expression).catch(() => undefined);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async screenshot(): Promise<Buffer> {
    const r = await this.send('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(r.data as string, 'base64');
  }

  /** Closes the browser and removes its profile; kills the process group if it does not exit in time. */
  async close(): Promise<void> {
    const exited = new Promise<void>((r) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) r();
      else this.child.once('exit', () => r());
    });
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.send('Browser.close', {}, true).catch(() => undefined), new Promise((r) => (grace = setTimeout(r, 2000)))]);
    clearTimeout(grace); // a pending timer would keep jest from exiting
    const timer = setTimeout(() => {
      try { process.kill(-this.child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, 3000);
    await exited;
    clearTimeout(timer);
    // helpers (zygote, renderers) share the group; make sure none outlives the browser
    try { process.kill(-this.child.pid!, 'SIGKILL'); } catch { /* none left */ }
    // the pipes can stay open in helpers that outlived the kill for a moment; drop our ends so jest can exit
    for (const stream of this.child.stdio) stream?.destroy();
    rmSync(this.profile, { recursive: true, force: true });
  }

  private event(method: string, params: Record<string, unknown>): void {
    const info = params.targetInfo as { type?: string } | undefined;
    if (method === 'Target.attachedToTarget' && info?.type === 'iframe') this.frameSessions.add(params.sessionId as string);
    if (method === 'Target.detachedFromTarget') this.frameSessions.delete(params.sessionId as string);
  }

  private receive(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\0')) >= 0) {
      const raw = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      const msg = JSON.parse(raw) as { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string } };
      if (msg.id === undefined) {
        this.event(msg.method ?? '', msg.params ?? {});
        continue;
      }
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result ?? {});
    }
  }
}
