/**
 * A client of baresip's ctrl_tcp module: commands as netstring-framed JSON (`{"command","params","token"}`),
 * each answered by a response carrying the same token (`{"response":true,"ok","data","token"}`), and events
 * (`{"event":true,"type","class",…}`) interleaved with the responses in whatever order baresip produced them.
 *
 * What baresip 1.0 does, as seen here:
 * - it keeps one connection: a second one replaces the first (so one client per baresip);
 * - it joins command and params into a 256-byte buffer and cuts what is longer, so a longer command is refused
 *   here instead of being run cut short;
 * - a command it does not know (or one of the call menu, such as `transfer`, while there is no call) answers
 *   ok:false "command not found (…)".
 */
import { connect as netConnect, type Socket } from 'node:net';
import { redact } from '../../src/report/redact.js';
import { hostPort } from '../../src/util/host.js';
import { encodeNetstring, NetstringDecoder } from './netstring.js';

/** The event types baresip 1.0's ctrl_tcp sends (its uaevent names). */
export const BARESIP_EVENT_TYPES = [
  'REGISTERING',
  'REGISTER_OK',
  'REGISTER_FAIL',
  'UNREGISTERING',
  'MWI_NOTIFY',
  'SHUTDOWN',
  'CALL_INCOMING',
  'CALL_RINGING',
  'CALL_PROGRESS',
  'CALL_ESTABLISHED',
  'CALL_CLOSED',
  /** The transferee got a REFER it accepted (202); param is the Refer-To target it is now calling. */
  'TRANSFER',
  /** The transferor's REFER failed: a NOTIFY with a non-2xx sipfrag, or the REFER itself refused. */
  'TRANSFER_FAILED',
  'CALL_DTMF_START',
  'CALL_DTMF_END',
  'CALL_RTPESTAB',
  'CALL_RTCP',
  'CALL_MENC',
  'VU_TX_REPORT',
  'VU_RX_REPORT',
  'AUDIO_ERROR',
  'CALL_LOCAL_SDP',
  'CALL_REMOTE_SDP',
] as const;

export type BaresipEventType = (typeof BARESIP_EVENT_TYPES)[number];

export interface BaresipEvent<T extends string = string> {
  /** Arrival order on this connection, from 0: what mark() and `since` count. */
  seq: number;
  /** Date.now() when it arrived. */
  at: number;
  type: T;
  /** baresip's event class: call, register, other, … */
  class: string;
  accountaor?: string;
  direction?: 'incoming' | 'outgoing';
  peeruri?: string;
  peerdisplayname?: string;
  /** The call's id: baresip uses the SIP Call-ID of the call's dialog. */
  id?: string;
  /** What the event says: the reason of CALL_CLOSED, the status of REGISTER_FAIL, the target of TRANSFER. */
  param?: string;
  /** The whole JSON object as received (secrets masked). */
  raw: Record<string, unknown>;
}

export interface WaitOptions<T extends string> {
  /** Default 5000. */
  timeoutMs?: number;
  /** Only events with seq >= since (a mark() taken before the action that causes them). Default 0. */
  since?: number;
  where?: (e: BaresipEvent<T>) => boolean;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Names the endpoint in errors ("baresip@127.100.241.10:5060"). */
  name: string;
  /** How long to keep trying to connect (default 3000). */
  timeoutMs?: number;
  /**
   * Masked in responses, events and errors. The driver never sends a password over ctrl (a capture of the lab
   * records that connection), but a raw `uanew` would, and baresip echoes its line back.
   */
  secrets?: readonly string[];
}

/** baresip's command buffer: command, a space and params are cut at 255 bytes. */
export const MAX_COMMAND_BYTES = 255;

interface Pending {
  text: string;
  resolve: (data: string) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Waiter {
  check: (e: BaresipEvent) => boolean;
  fail: (e: Error) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connectOnce(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    });
  });
}

export class BaresipCtrl {
  private readonly log: BaresipEvent[] = [];
  /** seq of events a waitFor() has returned: each is returned once. */
  private readonly taken = new Set<number>();
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<Waiter>();
  private readonly decoder = new NetstringDecoder();
  private nextToken = 1;
  private closedBy?: string;

  private constructor(
    private readonly socket: Socket,
    readonly name: string,
    readonly endpoint: string,
    private readonly secrets: readonly string[],
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let docs: string[];
      try {
        docs = this.decoder.push(chunk);
      } catch (e) {
        this.shut(`it sent ${(e as Error).message}`);
        return;
      }
      for (const d of docs) this.receive(d);
    });
    socket.on('error', (e) => this.shut(e.message));
    socket.on('close', () => this.shut('the connection closed (baresip exited, or another client connected: it keeps one)'));
  }

  /**
   * Connects, retrying a refused connection until `timeoutMs` (baresip may print its ready line a moment
   * before the socket accepts), and fails with the endpoint, the address and the reason.
   */
  static async connect(o: ConnectOptions): Promise<BaresipCtrl> {
    const timeoutMs = o.timeoutMs ?? 3000;
    const endpoint = hostPort(o.host, o.port);
    const deadline = Date.now() + timeoutMs;
    let last: Error = new Error('no attempt');
    while (Date.now() < deadline) {
      try {
        const s = await connectOnce(o.host, o.port, Math.max(100, deadline - Date.now()));
        return new BaresipCtrl(s, o.name, endpoint, o.secrets ?? []);
      } catch (e) {
        last = e as Error;
        await sleep(100);
      }
    }
    const code = (last as NodeJS.ErrnoException).code;
    throw new Error(`${o.name}: its ctrl_tcp port ${endpoint} did not accept a connection within ${timeoutMs} ms (${code ?? last.message}): is baresip running with ctrl_tcp_listen ${endpoint}?`);
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** Every event received so far, in order. */
  get events(): readonly BaresipEvent[] {
    return this.log;
  }

  /** The seq the next event will get: pass it as `since` to wait only for what follows. */
  mark(): number {
    return this.log.length;
  }

  /**
   * Runs a command (`dial`, `hangup`, `accept`, `transfer`, `insmod`, …: baresip's long commands without the
   * slash) and resolves with what it printed; rejects when baresip answers ok:false.
   */
  command(command: string, params?: string, timeoutMs = 5000): Promise<string> {
    const text = params === undefined || params === '' ? command : `${command} ${params}`;
    const shown = this.mask(text);
    if (this.closedBy) return Promise.reject(new Error(`${this.name}: ctrl command "${shown}": ${this.closedBy}`));
    if (!/^[a-z_]+$/.test(command)) return Promise.reject(new Error(`${this.name}: ctrl command "${shown}" is not a command name`));
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_COMMAND_BYTES) return Promise.reject(new Error(`${this.name}: ctrl command "${shown}" is ${bytes} bytes; baresip cuts a command at ${MAX_COMMAND_BYTES}`));
    const token = `sw${this.nextToken++}`;
    const body = JSON.stringify({ command, ...(params ? { params } : {}), token });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`${this.name}: ctrl command "${shown}" got no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { text: shown, resolve, reject, timer });
      this.socket.write(encodeNetstring(body));
    });
  }

  /**
   * The first event of one of `types` at or after `since` that no earlier waitFor() returned (and that `where`
   * accepts), whether it came before this call or comes within `timeoutMs`. The error on timeout lists the
   * events that did come, so a failure says what baresip did instead.
   */
  waitFor<T extends BaresipEventType>(types: T | readonly T[], o: WaitOptions<T> = {}): Promise<BaresipEvent<T>> {
    const wanted: readonly string[] = typeof types === 'string' ? [types] : types;
    const since = o.since ?? 0;
    const timeoutMs = o.timeoutMs ?? 5000;
    const fits = (e: BaresipEvent): e is BaresipEvent<T> => e.seq >= since && !this.taken.has(e.seq) && wanted.includes(e.type) && (!o.where || o.where(e as BaresipEvent<T>));
    const found = this.log.find(fits);
    if (found) {
      this.taken.add(found.seq);
      return Promise.resolve(found);
    }
    const what = `${wanted.join(' or ')}${o.where ? ' (that the condition accepts)' : ''}`;
    if (this.closedBy) return Promise.reject(new Error(`${this.name}: waiting for ${what}: ${this.closedBy}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: (e) => {
          if (!fits(e)) return false;
          this.taken.add(e.seq);
          done();
          resolve(e);
          return true;
        },
        fail: (err) => {
          done();
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        done();
        const seen = this.log.filter((e) => e.seq >= since && e.type !== 'CALL_RTCP').map((e) => `${e.type}${e.param ? ` "${e.param}"` : ''}${e.peeruri ? ` (${e.peeruri})` : ''}`);
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms; events since: ${seen.length ? seen.join(', ') : 'none'}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  /** Ends the connection; pending commands and waits fail. */
  close(): void {
    this.shut('the client closed the connection');
    this.socket.destroy();
  }

  private mask(text: string): string {
    return this.secrets.length ? redact(text, this.secrets) : text;
  }

  private receive(doc: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(this.mask(doc)) as Record<string, unknown>;
    } catch {
      this.shut(`it sent a netstring that is not JSON: ${JSON.stringify(this.mask(doc).slice(0, 80))}`);
      return;
    }
    if (m.response === true) {
      const p = typeof m.token === 'string' ? this.pending.get(m.token) : undefined;
      // A response to another client's command (it connected first) or one already timed out: nobody waits for it.
      if (!p) return;
      this.pending.delete(m.token as string);
      clearTimeout(p.timer);
      const data = typeof m.data === 'string' ? m.data : '';
      if (m.ok === true) p.resolve(data);
      else p.reject(new Error(`${this.name}: ctrl command "${p.text}" failed: ${data.trim() || 'ok:false'}`));
      return;
    }
    if (m.event === true || m.event === 'true') {
      const str = (k: string) => (typeof m[k] === 'string' ? (m[k] as string) : undefined);
      const direction = str('direction');
      const e: BaresipEvent = {
        seq: this.log.length,
        at: Date.now(),
        type: str('type') ?? '',
        class: str('class') ?? '',
        accountaor: str('accountaor'),
        direction: direction === 'incoming' || direction === 'outgoing' ? direction : undefined,
        peeruri: str('peeruri'),
        peerdisplayname: str('peerdisplayname'),
        id: str('id'),
        param: str('param'),
        raw: m,
      };
      this.log.push(e);
      for (const w of [...this.waiters]) if (w.check(e)) break;
    }
  }

  private shut(reason: string): void {
    if (this.closedBy) return;
    this.closedBy = `ctrl_tcp ${this.endpoint}: ${reason}`;
    const err = (what: string) => new Error(`${this.name}: ${what}: ${this.closedBy}`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err(`ctrl command "${p.text}"`));
    }
    this.pending.clear();
    for (const w of [...this.waiters]) w.fail(err('waiting for an event'));
    this.socket.destroy();
  }
}
