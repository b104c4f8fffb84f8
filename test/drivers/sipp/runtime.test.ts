/**
 * Where a SIPp runs, without running one: what a SIPp build can do (from what 3.6.1 and 3.8.0 print), the
 * runtime chosen for a transport, the mounts that give a container the run's files at their host paths, and
 * docker's exit codes read back as SIPp's.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArgs, type SippOptions } from '../../../drivers/sipp/args.js';
import { interpretExit } from '../../../drivers/sipp/exit-codes.js';
import { parseScenarioScreen } from '../../../drivers/sipp/stats.js';
import { chooseRuntime, exitInfoOf, lacks, mountsFor, parseCapabilities, pathArguments } from '../../../drivers/sipp/runtime.js';
import { EnvironmentError } from '../../../src/runtime/native.js';

const V361 = '\n SIPp v3.6.1-SCTP-PCAP-RTPSTREAM.\n\n This program is free software; you can redistribute it\n';
const V380 = '\n SIPp v3.8.0-TLS-SCTP-PCAP.\n\n This program is free software;\n';
const HELP_WS = '   -t               : Set the transport mode:\n                      - w1: SIP over WebSocket (WS, RFC 7118) on TCP with one socket,\n';
const HELP_OLD = '   -t               : Set the transport mode:\n                      - l1: TLS with one socket,\n';

describe('SIPp capabilities and runtime', () => {
  const old = parseCapabilities(V361, HELP_OLD)!;
  const sid = parseCapabilities(V380, HELP_WS)!;

  test('the version line says TLS, the help says WebSocket', () => {
    expect(old).toEqual({ version: '3.6.1-SCTP-PCAP-RTPSTREAM', tls: false, ws: false, sha2Digest: false });
    expect(sid).toEqual({ version: '3.8.0-TLS-SCTP-PCAP', tls: true, ws: true, sha2Digest: true });
    expect(parseCapabilities('sipp: command not found', '')).toBeUndefined();
  });

  test('what a build lacks for each transport', () => {
    expect(['udp', 'tcp', 'tls', 'ws', 'wss'].map((t) => lacks(old, t as never) ?? 'ok')).toEqual(['ok', 'ok', 'TLS', 'WebSocket', 'TLS']);
    expect(['udp', 'tcp', 'tls', 'ws', 'wss'].map((t) => lacks(sid, t as never) ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  test('SHA-256 digest (RFC 8760) takes SIPp 3.8: auto runs a run that needs it in the container, native says why it can\'t', () => {
    expect(lacks(old, 'udp', { sha2Digest: true })).toBe('SHA-256 digest (RFC 8760)');
    expect(lacks(sid, 'udp', { sha2Digest: true })).toBeUndefined();
    expect(chooseRuntime('auto', 'sipp', 'udp', () => old, { sha2Digest: true })).toBe('container');
    expect(chooseRuntime('auto', 'sipp', 'udp', () => old, { sha2Digest: false })).toBe('native');
    expect(() => chooseRuntime('native', 'sipp', 'udp', () => old, { sha2Digest: true })).toThrow(/has no SHA-256 digest \(RFC 8760\), which this run needs/);
  });

  test('auto: native for what the native SIPp can do, the container for the rest or when there is none', () => {
    expect(chooseRuntime('auto', 'sipp', 'udp', () => old)).toBe('native');
    expect(chooseRuntime('auto', 'sipp', 'tcp', () => old)).toBe('native');
    expect(chooseRuntime('auto', 'sipp', 'tls', () => old)).toBe('container');
    expect(chooseRuntime('auto', 'sipp', 'ws', () => old)).toBe('container');
    expect(chooseRuntime('auto', 'sipp', 'tls', () => sid)).toBe('native');
    expect(chooseRuntime('auto', 'sipp', 'udp', () => undefined)).toBe('container');
    expect(chooseRuntime('container', 'sipp', 'udp', () => old)).toBe('container');
  });

  test('native with a SIPp that lacks the transport is an environment error that names the way out', () => {
    expect(chooseRuntime('native', 'sipp', 'udp', () => old)).toBe('native');
    let e: unknown;
    try {
      chooseRuntime('native', 'sipp', 'tls', () => old);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(EnvironmentError);
    expect((e as Error).message).toMatch(/SIPp 3\.6\.1-SCTP-PCAP-RTPSTREAM .* has no TLS[^]*runtime\.sipp/);
  });

  test('the transports map to SIPp -t modes, and the TLS files and injection CSVs to their flags', () => {
    const o: SippOptions = { binary: 'sipp', localIp: '127.0.0.1', localPort: 5060, transport: 'tls', calls: 1, variables: {}, globals: {}, timeoutMs: 1000, injectionFiles: ['/x/users.csv'], extraArgs: [], tls: { ca: '/k/ca.pem' } };
    const files = { scenario: 's.xml', errors: 'e', messages: 'm', screen: 'sc', stats: 'st', logs: 'l' };
    const args = buildArgs(o, files, 'p', 9999);
    expect(args.join(' ')).toContain('-t l1 -tls_ca /k/ca.pem -inf /x/users.csv');
    expect(args).not.toContain('-tls_cert');
    expect(['udp', 'tcp', 'tls', 'ws', 'wss'].map((t) => buildArgs({ ...o, transport: t as never }, files, 'p', 1)[buildArgs({ ...o, transport: t as never }, files, 'p', 1).indexOf('-t') + 1])).toEqual(['u1', 't1', 'l1', 'w1', 'x1']);
  });

  test('docker exit codes: SIPp\'s own as they are, 128 + n as the signal n', () => {
    expect(exitInfoOf(0)).toEqual({ code: 0, signal: null });
    expect(exitInfoOf(1)).toEqual({ code: 1, signal: null });
    expect(exitInfoOf(99)).toEqual({ code: 99, signal: null });
    expect(exitInfoOf(255)).toEqual({ code: 255, signal: null });
    expect(exitInfoOf(254)).toEqual({ code: 254, signal: null });
    expect(exitInfoOf(137)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exitInfoOf(143)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(exitInfoOf(null)).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

test('a failed TLS handshake is named as such, with the verification error SIPp 3.8 printed', () => {
  const printed = [
    "TLS verification error for issuer: '/CN=sipwright lab CA'",
    'verify error:num=19:self-signed certificate in certificate chain:depth=1',
    'Error in SSL_connect: SSL protocol error. SSL I/O function returned SSL_ERROR_SSL',
    'Unable to connect a TCP socket.',
  ].join('\n');
  expect(interpretExit(255, null, printed)).toEqual({
    outcome: 'tls-error',
    meaning: "fatal error (-1): the TLS handshake failed, the peer's certificate did not verify against -tls_ca (self-signed certificate in certificate chain)",
  });
  expect(interpretExit(255, null, 'Unable to connect a TCP socket.').outcome).toBe('fatal');
});

test('SIPp 3.8 numbers the steps of its scenario screen: they read as 3.6\'s do', () => {
  const screen38 = [
    '------------------------------ Scenario Screen -------- [1-9]: Change Screen --',
    '                                 Messages  Retrans   Timeout   Unexpected-Msg',
    '0 :      INVITE ---------->  B-RTD1 1         0                                      ',
    '2 :         401 <----------         1         0         0         0                  ',
    '9 :         200 <----------  E-RTD1 1         0         0         0                  ',
    '10:         ACK ---------->         1         0                                      ',
    '11:       Pause [    500ms]         1                             0        ',
    '12: ----------> BYE                 1         0         0         0',
    '----------------------------- Statistics Screen ------- [1-9]: Change Screen --',
  ].join('\n');
  const screen36 = screen38.replace(/^\d+\s*:/gm, '');
  expect(parseScenarioScreen(screen38).map((m) => `${m.direction}:${m.label}:${m.messages}`)).toEqual(['sent:INVITE:1', 'received:401:1', 'received:200:1', 'sent:ACK:1', 'pause:Pause 500ms:1', 'received:BYE:1']);
  expect(parseScenarioScreen(screen38)).toEqual(parseScenarioScreen(screen36));
});

describe('mounts for a SIPp in a container', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-mounts-'));
    for (const d of ['logs', 'scen', 'keys']) mkdirSync(join(dir, d));
    for (const f of ['scen/uac.xml', 'scen/users.csv', 'keys/ca.pem', 'logs/ca-copy.pem']) writeFileSync(join(dir, f), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the log folder writable, what SIPp reads read-only, each at its host path, nothing twice', () => {
    const m = mountsFor([join(dir, 'logs')], [join(dir, 'scen'), join(dir, 'scen/users.csv'), join(dir, 'keys/ca.pem'), join(dir, 'logs/ca-copy.pem'), join(dir, 'missing.csv')]);
    expect(m).toEqual([
      { source: join(dir, 'logs'), target: join(dir, 'logs'), mode: 'rw' },
      { source: join(dir, 'scen'), target: join(dir, 'scen'), mode: 'ro' },
      { source: join(dir, 'keys/ca.pem'), target: join(dir, 'keys/ca.pem'), mode: 'ro' },
    ]);
  });

  test('a scenario folder that holds the log folder is read-only around a writable log folder', () => {
    const m = mountsFor([join(dir, 'scen', 'logs')], [join(dir, 'scen')]);
    expect(m.map((x) => [x.target.slice(dir.length), x.mode])).toEqual([['/scen/logs', 'rw'], ['/scen', 'ro']]);
  });

  test('the filesystem root is never mounted', () => {
    expect(() => mountsFor([join(dir, 'logs')], ['/'])).toThrow(/filesystem root/);
  });

  test('absolute paths given with withArgs that exist are mounted too', () => {
    expect(pathArguments(['-inf', join(dir, 'scen/users.csv'), '-rtp_echo', '/no/such/file', 'relative.csv'])).toEqual([join(dir, 'scen/users.csv')]);
  });
});
