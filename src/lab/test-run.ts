/**
 * One test's evidence: its capture (started before the test body, so the first packet is in it), the trace
 * and rule findings made from it, the ladders, the SIPp files and the target's log for the test's time span.
 * Kept for passing and failing tests alike; a failing test's evidence matters most.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { extractSip } from '../capture/extract.js';
import { writePcapngWithSecrets } from '../capture/pcapng-secrets.js';
import { undecryptedTls } from '../capture/tls-unread.js';
import { RuntimeSkip } from './runtime-skip.js';
import { runTransport } from './transport.js';
import { LiveCapture, type StartedCapture } from '../capture/live.js';
import { rememberTrace } from '../expect/failure-ladder.js';
import { attachFile, attachText, scrub } from '../report/allure.js';
import { artifactDir, writeMeta } from '../report/artifacts.js';
import { reportExchanges } from '../report/exchanges.js';
import { runRules, type Finding } from '../rules/index.js';
import { renderHtmlLadder } from '../trace/ladder-html.js';
import { renderTextLadder } from '../trace/ladder-text.js';
import { Trace } from '../trace/trace.js';
import type { Lab } from './fixture.js';

/** An SDES key in SDP (RFC 4568 §6.1): `a=crypto:<tag> <suite> inline:<key>`. */
const SDES_KEY = /a=crypto:\d+\s+\S+\s+inline:/;

export interface EvidenceFile {
  name: string;
  path: string;
  contentType?: string;
}

export class TestRun {
  readonly dir: string;
  readonly pcap: string;
  /** Where the parties' SIPps write the secrets of their TLS connections (a run over TLS), to read the capture. */
  readonly keyLog: string;
  private capture?: StartedCapture;
  private traced?: Promise<Trace>;
  private findingsList: Finding[] = [];
  private readonly extra: EvidenceFile[] = [];
  private readonly logStart: number;
  private readonly startedAt = Date.now();
  /** The other domain's proxy as the test began, and how much of its log there was (fixture.ts may start a new one). */
  private readonly peerAtStart?: { logs(): string };
  private readonly peerLogStart: number;
  private readonly lastly: Array<() => Promise<unknown>> = [];
  private sippSeq = 0;
  private readonly sippDirs: string[] = [];
  private readonly cleanups: Array<() => Promise<unknown>> = [];
  private readonly cleanupKeys = new Set<string>();
  private readonly running: Array<{ stop(): Promise<unknown> }> = [];

  private constructor(private readonly lab: Lab, readonly fullName: string) {
    this.dir = artifactDir(lab.env.reportDir, lab.suite, fullName);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.pcap = join(this.dir, 'capture.pcap');
    this.keyLog = join(this.dir, 'tls.keys');
    this.logStart = lab.target.logs()?.length ?? 0;
    this.peerAtStart = lab.options.peerParty && lab.target.peer ? lab.peerIfStarted : undefined;
    this.peerLogStart = this.peerAtStart?.logs().length ?? 0;
  }

  /** `narrow` adjusts the capture filter (a background test keeps to its own block, the others leave it out). */
  static async begin(lab: Lab, fullName: string, narrow: (filter: string) => string = (f) => f): Promise<TestRun> {
    const run = new TestRun(lab, fullName);
    const block = lab.addresses;
    const t = lab.target;
    if (t.local) {
      // Parties share one address, so the block is its ports: the target's traffic with them (and with the
      // other domain's proxy the lab runs), on the interface that reaches it. Nothing else on a busy
      // interface matches, another worker's or a background test's ports included.
      const [lo, hi] = block.portRange;
      const withTarget = `host ${t.host} and (portrange ${lo}-${hi}${t.peer ? ` or port ${t.peer.port}` : ''})`;
      // The other domain's proxy runs on this machine: its legs with the parties (bob registers with it, it
      // relays to him) never leave it, so they are taken on loopback too, by their ports.
      const filter = t.peer ? `(${withTarget}) or (src host ${t.peer.host} and dst host ${t.peer.host} and portrange ${lo}-${hi})` : withTarget;
      const iface = t.peer ? 'any' : t.local.iface;
      run.capture = await LiveCapture.start({ file: run.pcap, filter, iface, markerAddress: t.host, markerFrom: { address: t.local.address, port: block.markerPort }, name: `capture of "${fullName}"` });
      return run;
    }
    // The target, and the other domain's proxy, may live outside the block (a target file names them).
    const outside = [t.host, t.peer?.host].filter((h): h is string => !!h && !h.startsWith(block.cidr.replace(/0\/24$/, '')));
    const filter = [`net ${block.cidr}`, ...[...new Set(outside)].map((h) => `host ${h}`)].join(' or ');
    run.capture = await LiveCapture.start({ file: run.pcap, filter: narrow(filter), markerAddress: block.host(254), name: `capture of "${fullName}"` });
    return run;
  }

  /** A fresh folder for one SIPp run's files (scenario XML, traces), attached when the test ends. */
  sippDir(label: string): string {
    const d = join(this.dir, `sipp-${++this.sippSeq}-${label.replace(/[^A-Za-z0-9_-]+/g, '-')}`);
    mkdirSync(d, { recursive: true });
    this.sippDirs.push(d);
    return d;
  }

  /**
   * Work to do after the capture has stopped (so it is not part of the evidence): undoing state the test
   * left on the target, such as bindings. Runs pass or fail; a cleanup error fails the test. `key` names
   * what it undoes, so asking twice does it once.
   */
  onCleanup(fn: () => Promise<unknown>, key?: string): void {
    // The same undoing asked twice (two user agents of one AoR) is done once.
    if (key !== undefined) {
      if (this.cleanupKeys.has(key)) return;
      this.cleanupKeys.add(key);
    }
    this.cleanups.push(fn);
  }

  /** Work to do after every cleanup (stopping what the cleanups still talk to); an error fails the test too. */
  atLast(fn: () => Promise<unknown>): void {
    this.lastly.push(fn);
  }

  /**
   * A user agent the test started in the background. One still running when the test ends (a test that
   * failed before settling it) is stopped then, so it does not hold its address for the next test.
   */
  track(running: { stop(): Promise<unknown> }): void {
    this.running.push(running);
  }

  private async stopRunning(): Promise<void> {
    for (const r of this.running.splice(0)) await r.stop().catch(() => undefined);
  }

  /** Adds a file to the test's evidence (attached when the test ends). */
  keep(file: EvidenceFile): void {
    this.extra.push(file);
  }

  get findings(): readonly Finding[] {
    return this.findingsList;
  }

  /**
   * The test's capture as a trace. Over TLS, when SIP of the test's own parties is in a connection no key
   * decrypts, it throws a runtime skip instead: no assertion on that capture can be trusted, and none passes.
   */
  async trace(): Promise<Trace> {
    this.traced ??= this.makeTrace();
    const trace = await this.traced;
    if (this.unreadTls.length) throw this.unreadSkip();
    return trace;
  }

  private unreadSkip(): RuntimeSkip {
    return new RuntimeSkip(`no key decrypts SIP over TLS in this test's capture, so its SIP assertions are not made: ${this.unreadTls.join('; ')}`);
  }

  private async makeTrace(): Promise<Trace> {
    await this.capture?.stop();
    // Over TLS the parties logged their connections' secrets: the capture is read through them.
    // A run over TLS reads with the key log even when nobody wrote one (a handshake refused before any
    // secret): each connection is then judged on its own, and one that never completed is no SIP lost.
    const tlsKeys = existsSync(this.keyLog) ? readFileSync(this.keyLog, 'utf8') : runTransport(this.lab.plan) === 'tls' ? '' : undefined;
    const pcap = readFileSync(this.pcap);
    const result = extractSip(pcap, tlsKeys !== undefined ? { tlsKeys } : {});
    if (tlsKeys) this.keepTlsCapture(pcap, tlsKeys, result.payloads.some((p) => SDES_KEY.test(p.bytes.toString('latin1'))));
    // Only this test's own connections count: one a background test's party opened to the shared target
    // crosses this capture too, and its secrets are in that test's key log.
    const names = this.lab.partyNames();
    const ours = (endpoint: string) => names[endpoint] !== undefined || names[endpoint.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')] !== undefined;
    this.unreadTls = undecryptedTls(result.findings)
      .filter((f) => {
        const client = /^TLS (?:connection|stream,? not decrypted:) (\S+) ->/.exec(f.message)?.[1];
        return client === undefined || ours(client);
      })
      .map((f) => f.message);
    const trace = Trace.fromCapture(result, { parties: this.lab.partyNames() });
    rememberTrace(trace);
    const t1 = this.lab.plan.t1Ms / 1000;
    this.findingsList = runRules(trace, { context: { t1, t2: 8 * t1 } });
    const mark = new Map<number, string>();
    for (const f of this.findingsList) if (f.messages.length) mark.set(f.messages[0], f.rule);
    const ladder = trace.ladder({ title: this.fullName, mark });
    const text = renderTextLadder(ladder, { width: 120, detailForMarked: false });
    const findingsText = this.findingsList.map((f) => `${f.level} ${f.rule} (${f.rfc}) #${f.messages.join(',#')}: ${f.message}`).join('\n');
    writeFileSync(join(this.dir, 'ladder.txt'), scrub(text + (findingsText ? `\n\nRule findings:\n${findingsText}\n` : '')));
    writeFileSync(join(this.dir, 'ladder.html'), scrub(renderHtmlLadder(ladder, { title: this.fullName })));
    return trace;
  }

  /**
   * The evidence of a run over TLS: the capture as a pcapng with the parties' secrets in a Decryption Secrets
   * Block, which Wireshark (and `sipwright analyze`) opens decrypted. Not when the decrypted messages carry SRTP
   * keys (SDES): those are secrets no report shows, and inside TLS records they can't be masked. The key log
   * itself then goes: it is in the pcapng, or withheld.
   */
  private keepTlsCapture(pcap: Buffer, keys: string, carriesSrtpKeys: boolean): void {
    if (carriesSrtpKeys) {
      this.captureNote = 'the TLS secrets are not embedded in this capture: its decrypted messages carry SRTP keys (a=crypto), which reports never show';
    } else {
      const withKeys = join(this.dir, 'capture.pcapng');
      writeFileSync(withKeys, writePcapngWithSecrets(pcap, keys));
      rmSync(this.pcap, { force: true });
      this.capturePath = withKeys;
    }
    rmSync(this.keyLog, { force: true });
  }

  /** What of the capture's TLS could not be read: a test is skipped on it, never passed. */
  private unreadTls: string[] = [];

  /** The capture kept as evidence: the pcap, or over TLS the pcapng with the secrets in it. */
  private capturePath?: string;
  private captureNote?: string;

  private finished?: Promise<void>;

  /**
   * Called at the end of the test body, pass or fail (inside the test, so Allure files the attachments under
   * the test and not its teardown): make sure the evidence exists, attach it, write meta.json. Runs once.
   */
  finish(): Promise<void> {
    this.finished ??= this.doFinish();
    return this.finished;
  }

  /**
   * For a run jest never reported (a background test left out by a name filter): stops the capture and undoes
   * what the test left on the target, without evidence or verdict. A no-op once finished.
   */
  async abandon(): Promise<void> {
    if (this.finished) return;
    this.finished = Promise.resolve();
    await this.stopRunning();
    await this.capture?.stop().catch(() => undefined);
    for (const fn of [...this.cleanups, ...this.lastly]) await fn().catch(() => undefined);
  }

  /** For afterEach: finishes a test whose body never got to (a timeout); a no-op otherwise. */
  async finishIfPending(): Promise<void> {
    if (!this.finished) await this.finish();
  }

  private async doFinish(): Promise<void> {
    await this.stopRunning();
    let traceError: Error | undefined;
    let trace: Trace | undefined;
    try {
      this.traced ??= this.makeTrace();
      trace = await this.traced;
    } catch (e) {
      traceError = e as Error;
    }
    let cleanupError: Error | undefined;
    for (const fn of [...this.cleanups, ...this.lastly]) {
      try {
        await fn();
      } catch (e) {
        cleanupError ??= e as Error;
      }
    }
    // What the cleanups did over TLS (undoing registrations) is not in the capture: their secrets are of no use.
    rmSync(this.keyLog, { force: true });
    const logs = this.lab.target.logs();
    if (logs !== undefined) {
      const path = join(this.dir, 'target.log');
      writeFileSync(path, scrub(logs.slice(this.logStart)));
      this.extra.push({ name: `${this.lab.plan.name} log`, path, contentType: 'text/plain' });
    }
    if (this.lab.options.peerParty && this.lab.target.peer) {
      const path = join(this.dir, 'peer.log');
      const peer = this.lab.peer;
      writeFileSync(path, scrub(peer.logs().slice(peer === this.peerAtStart ? this.peerLogStart : 0)));
      this.extra.push({ name: `${this.lab.options.peerParty} log (${this.lab.target.peer.domain})`, path, contentType: 'text/plain' });
    }
    writeMeta(this.lab.env.reportDir, {
      suite: this.lab.suite,
      file: this.lab.testFile,
      fullName: this.fullName,
      target: this.lab.plan.name,
      rules: this.findingsList.map((f) => f.rule),
      findings: this.findingsList.length,
      pcap: this.capturePath ?? this.pcap,
      ladderText: trace ? join(this.dir, 'ladder.txt') : undefined,
      ladderHtml: trace ? join(this.dir, 'ladder.html') : undefined,
      elapsedMs: Date.now() - this.startedAt,
      ...(this.unreadTls.length ? { skipReason: this.unreadSkip().reason } : {}),
    });
    if (trace) {
      await attachFile('ladder', join(this.dir, 'ladder.html'), 'text/html');
      await reportExchanges(trace);
      await attachFile('ladder (text)', join(this.dir, 'ladder.txt'), 'text/plain');
    }
    const capture = this.capturePath ?? this.pcap;
    await attachFile(basename(capture), capture, 'application/vnd.tcpdump.pcap');
    if (this.captureNote) await attachText('capture note', this.captureNote);
    for (const d of this.sippDirs) {
      for (const f of readdirSync(d).sort()) await attachFile(`${basename(d)}/${f}`, join(d, f));
    }
    for (const f of this.extra) await attachFile(f.name, f.path, f.contentType);
    if (this.findingsList.length) {
      await attachText('rule findings', this.findingsList.map((f) => `${f.level} ${f.rule} ${f.rfc}: ${f.message}`).join('\n'));
    }
    if (traceError) throw traceError;
    if (this.unreadTls.length) {
      await attachText('skipped', this.unreadSkip().message);
      throw this.unreadSkip();
    }
    this.failOnTargetFindings(trace!);
    if (cleanupError) throw new Error(`cleanup after the test failed: ${cleanupError.message}`);
  }

  /** MUST-level findings on messages the target sent are a verdict against it, whatever the test asserted. */
  private failOnTargetFindings(trace: Trace): void {
    const party = this.lab.targetParty;
    const bad = this.findingsList.filter((f) => f.level === 'MUST' && f.messages.length > 0 && trace.messages[f.messages[0]]?.from === party);
    if (bad.length === 0) return;
    const lines = bad.map((f) => `  ${f.rule} (${f.rfc}) at #${f.messages[0]}: ${f.message}`).join('\n');
    throw new Error(`${party} broke ${bad.length} MUST-level rule${bad.length > 1 ? 's' : ''} on the wire:\n${lines}\n(ladder: ${join(this.dir, 'ladder.txt')})`);
  }
}
