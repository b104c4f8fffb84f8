/**
 * Every suite on the embedded lab over TLS (`sipwright run --transport tls`, both embedded targets), with the
 * verdicts still from the wire: the parties (SIPp in its image) log their TLS secrets, each test's capture is
 * read through them, and it is kept as a pcapng with the secrets embedded, which opens decrypted in Wireshark.
 * What passes over TCP passes over TLS; what only UDP has is skipped with the reason. A run here that fails
 * keeps its report in reports/embedded-tls-failed.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractSip } from '../../src/capture/extract.js';
import { embeddedUnavailable } from '../../src/lab/embedded.js';
import { loadLabConfig } from '../../src/lab/target.js';
import { which } from '../../src/runtime/native.js';
import { ROOT, RUN_LIMIT, runSuite, type SummaryTest } from './support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump', 'openssl'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
const asteriskAway = process.env.CI ? undefined : embeddedUnavailable('embedded:asterisk', loadLabConfig());

/** Why a test may be skipped over TLS: a declaration of its target, or what only UDP has. */
const SKIPS = [/^over TLS /, /does not declare the role/, /answers too brief an expiry with 423/, /raises too brief an expiry to its minimum/, /reliableRetransmitFromT1: 2/,
  /does not declare that it challenges/, /declares no challenge of a re-INVITE or a BYE/, /declares no SHA-256/, /takes transfers \(pbx\.transfers: false/];

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

d('every suite on the embedded lab over TLS', () => {
  let dir: string;
  let r: ReturnType<typeof runSuite>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-embedded-tls-'));
    r = runSuite([], join(dir, 'run'), ['--transport', 'tls', ...(asteriskAway ? ['--target', 'embedded:kamailio'] : [])]);
    if (r.code !== 0) cpSync(join(dir, 'run'), join(ROOT, 'reports', 'embedded-tls-failed'), { recursive: true });
  }, RUN_LIMIT);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('passes, skipping with the reason only what a target declares or what only UDP has', () => {
    expect(r.tests.filter((t) => t.status === 'failed').map((t) => `${t.target}: ${t.name}\n${t.failureMessage ?? ''}`)).toEqual([]);
    expect(r.tests.filter((t) => t.status === 'skipped' && !SKIPS.some((re) => re.test(t.skipReason ?? ''))).map((t) => `${t.target}: ${t.name}: ${t.skipReason}`)).toEqual([]);
    expect(r.tests.filter((t) => t.target === 'embedded:kamailio' && t.status === 'passed').length).toBeGreaterThanOrEqual(40);
    if (!asteriskAway) expect(r.tests.filter((t) => t.target === 'embedded:asterisk' && t.status === 'passed').length).toBeGreaterThanOrEqual(35);
    expect(r.code).toBe(0);
  });

  test('every passed test read SIP from its TLS capture, kept as a pcapng whose embedded secrets decrypt it without a key file', () => {
    const report = join(dir, 'run', 'report');
    const passed = r.tests.filter((t): t is SummaryTest & { pcap: string } => t.status === 'passed' && !!t.pcap);
    expect(passed.length).toBeGreaterThanOrEqual(60);
    const unreadable = passed.filter((t) => {
      const file = readFileSync(join(report, t.pcap));
      // A capture whose messages carry SRTP keys is kept without the secrets (test-run.ts); every other is a pcapng.
      // The checks of the target's TLS itself make handshakes and send no SIP (a refused one leaves no secrets).
      if (/The target's TLS/.test(t.fullName ?? '')) return false;
      if (!t.pcap.endsWith('.pcapng')) return !/SRTP with keys in SDP/.test(t.fullName ?? '');
      // TLS on every party's hop (the inter-domain tests' hop between the two proxies stays on TCP, see README).
      return !extractSip(file).payloads.some((p) => p.transport === 'tls');
    });
    expect(unreadable.map((t) => `${t.target}: ${t.name} (${t.pcap})`)).toEqual([]);
    // No key log is left beside them.
    expect(filesUnder(report).filter((f) => f.endsWith('.keys'))).toEqual([]);
  });

  test('Wireshark reads the SIP inside: tshark decodes a REGISTER test\'s pcapng with no key file given', () => {
    if (!which('tshark')) return;
    const t = r.tests.find((x) => x.status === 'passed' && x.pcap?.endsWith('.pcapng') && /digest challenge: 401/.test(x.name));
    expect(t).toBeDefined();
    const out = spawnSync('tshark', ['-r', join(dir, 'run', 'report', t!.pcap!), '-Y', 'sip', '-T', 'fields', '-e', 'sip.Method', '-e', 'sip.Status-Code'], { encoding: 'utf8', timeout: 60_000 });
    expect(out.stdout.trim().split('\n').map((l) => l.trim())).toEqual(expect.arrayContaining(['REGISTER', '401', '200']));
  });
});
